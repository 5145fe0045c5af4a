"""What the rules say about a case: findings, notice, documents and deadlines, each with its article.

Articles are written in one canonical form ("LCL Art. 42(4)", "Regs Art. 20; LCL Art. 40");
`cite()` renders them for a reader, using the law names in the catalogue (compliance.law.*).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from workflow.i18n import has, normalise_locale, t


class Level(StrEnum):
    BLOCKING = "blocking"  # the case may not go ahead as it stands
    WARNING = "warning"  # a step or fact HR must see to
    INFO = "info"  # what the law requires or how a figure came about


LEVEL_ORDER = {Level.BLOCKING: 0, Level.WARNING: 1, Level.INFO: 2}


@dataclass(frozen=True)
class Finding:
    """One rule applied to the case; its text is the catalogue entry f"compliance.{code}"."""

    level: Level
    code: str
    article: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, locale: str | None) -> str:
        return t(f"compliance.{self.code}", locale, **self.params)

    def cite(self, locale: str | None) -> str:
        return cite(self.article, locale)


@dataclass(frozen=True)
class NoticeRule:
    """How much notice a ground needs, and whether a month's wage may replace it."""

    days: int
    pay_in_lieu_allowed: bool
    article: str


@dataclass(frozen=True)
class DocumentRule:
    """A document the case must produce for its ground, and whether electronic form is allowed."""

    kind: str  # termination_notice | mutual_agreement | settlement_statement | ...
    article: str
    electronic_allowed: bool
    # "rescind" (解除: a party ends the contract) or "end" (终止: it ends by law, Art. 44),
    # which decides the notice's and the certificate's title and wording.
    wording: str = "rescind"


@dataclass(frozen=True)
class Deadline:
    """Something due after termination: by a date, or (due None) when `after` happens."""

    code: str
    article: str
    due: date | None
    after: str | None = None  # an event name, e.g. "handover_completed"

    def message(self, locale: str | None) -> str:
        return t(f"compliance.deadline.{self.code}", locale, due=self.due)


_ARTICLE = re.compile(r"^(?P<law>[A-Za-z]+) Art\. (?P<items>.+)$")
_ITEM = re.compile(r"^(?P<art>\d+)(?:\((?P<sub>\d+)\))?$")


def cite(article: str, locale: str | None) -> str:
    """The article for a reader: English keeps the canonical form, Chinese names the law.

    "LCL Art. 42(4); Regs Art. 20" → "《劳动合同法》第42条第4项；《劳动合同法实施条例》第20条".
    Anything not in the canonical form (or a law without a registered name) is shown unchanged.
    """
    if normalise_locale(locale) == "en":
        return article
    return "；".join(_cite_zh(part.strip()) for part in article.split(";"))


def _cite_zh(part: str) -> str:
    match = _ARTICLE.match(part)
    key = f"compliance.law.{match['law']}" if match else ""
    if match is None or not has(key):
        return part
    items = [_ITEM.match(item.strip()) for item in match["items"].split(",")]
    if not all(items):
        return part
    rendered = "、".join(
        f"第{m['art']}条" + (f"第{m['sub']}项" if m["sub"] else "") for m in items if m
    )
    return t(key, "zh-CN") + rendered
