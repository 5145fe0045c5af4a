"""What every handler needs besides the unit of work: the clock, the calendar and the rules in force."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from handlers.rendering import DocumentRenderer, JsonRenderer
from handlers.seal import ClickToSign, SignatureProvider
from workflow.calendar import Arrangement, WorkCalendar
from workflow.clock import Clock
from workflow.compliance import Jurisdiction, ReferenceData, get_jurisdiction
from workflow.handover import HandoverTemplateItem, default_template
from workflow.policy import LadderPolicy


@dataclass(frozen=True)
class Deps:
    clock: Clock
    calendar: WorkCalendar
    ladder: LadderPolicy
    jurisdiction: Jurisdiction
    reference: ReferenceData | None
    handover_template: tuple[HandoverTemplateItem, ...]
    # The talk is held at most this many working days after it is scheduled (WORKFLOW.md: 1–2).
    talk_max_working_days: int = 2
    max_evidence_bytes: int = 20 * 1024 * 1024
    # Documents and signing (issue 5): the shell passes its PDF renderer and key-file signer;
    # the defaults (JSON documents, a per-process key) serve tests and tools.
    renderer: DocumentRenderer = field(default_factory=JsonRenderer)
    signer: SignatureProvider = field(default_factory=ClickToSign.ephemeral)
    public_base_url: str = "http://127.0.0.1:8000"  # signing links start with this
    signing_link_hours: int = 72
    retention_years: int = 2  # keep closed cases at least this long after termination
    data_dir: str = ""  # where the company's logo and seal images are kept ("" : none kept)


def build_deps(
    clock: Clock,
    *,
    timezone: str = "Asia/Shanghai",
    quiet_start: time = time(21, 0),
    quiet_end: time = time(8, 0),
    reference: Mapping[str, Any] | None = None,
    jurisdiction: str = "cn",
    on_unknown_year: Callable[[int], None] | None = None,
    ladder: LadderPolicy | None = None,
    arrangements: Mapping[int, Arrangement] | None = None,
    **documents: Any,
) -> Deps:
    """`documents` passes the document and signing fields of Deps (renderer, signer,
    public_base_url, signing_link_hours, retention_years, data_dir) through unchanged."""
    return Deps(
        clock=clock,
        calendar=WorkCalendar(
            tz=timezone,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
            on_unknown_year=on_unknown_year,
            arrangements=arrangements,
        ),
        ladder=ladder or LadderPolicy(),
        jurisdiction=get_jurisdiction(jurisdiction),
        reference=ReferenceData.from_mapping(reference) if reference else None,
        handover_template=default_template(),
        **documents,
    )
