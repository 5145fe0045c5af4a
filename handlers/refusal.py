"""Refusals: raised where a request is refused, answered to the asker in one place (`answer`).

A refusal names a catalogue key and its parameters (or carries the workflow's own `Refusal`, whose
parameters are rendered per locale); it may ask for the refused attempt to be audited on a case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.contracts import Message
from workflow.case import Case
from workflow.i18n import t
from workflow.machine import refusal_text
from workflow.model import Refusal


@dataclass(frozen=True)
class Shown:
    """The case a refusal is about, as its answer shows it (copied: the request is rolled back)."""

    ref: str
    version: int
    state: str


class Refused(Exception):
    """The request is refused: nothing it changed is kept; the asker is told why.

    `case` is the case the answer shows; `audit` names the action whose refused attempt is kept in
    the audit log of `about` (default: `case`), with `payload`. `data` adds values to the answer
    (e.g. choices), `then` messages shown after it (e.g. the current card).
    """

    def __init__(self, key: str, /, *, case: Case | None = None, about: Case | None = None,
                 audit: str = "", payload: dict[str, Any] | None = None, workflow: Refusal | None = None,
                 data: dict[str, Any] | None = None, then: tuple[Message, ...] = (), **params: Any) -> None:
        super().__init__(key)
        self.key, self.params, self.workflow = key, params, workflow
        self.shown = Shown(case.ref, case.version, case.state) if case is not None else None
        audited = about or case
        self.audit: tuple[int, str, dict[str, Any]] | None = (
            (audited.id, f"refused:{audit}", payload or {}) if audit and audited is not None else None)
        self.data = data or {}
        self.then = then

    @classmethod
    def by_workflow(cls, refusal: Refusal, *, case: Case, audit: str, payload: dict[str, Any]) -> Refused:
        return cls(refusal.code, case=case, audit=audit, payload=payload, workflow=refusal)

    def text(self, locale: str) -> str:
        if self.workflow is not None:
            return refusal_text(self.workflow, locale)
        return t(self.key, locale, **self.params)


def answer(refused: Refused, *, recipient: str, locale: str) -> tuple[Message, ...]:
    """The asker's answer to a refused request, in their language: the one place it is built."""
    shown = refused.shown
    message = Message(
        kind="refusal", recipient=recipient, locale=locale,
        case_ref=shown.ref if shown else None, case_version=shown.version if shown else None,
        data={"title": t("h.refused", locale), "text": refused.text(locale), "fields": [],
              **({"state": t(f"state.{shown.state}", locale)} if shown else {}), **refused.data},
    )
    return (message, *refused.then)
