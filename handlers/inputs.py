"""Reading an action's inputs (actions.py `Action.inputs`) from the request, for the workflow's guards.

An input that cannot be read (a time that is no time, a file over the limit) refuses the request
before the workflow is asked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.company import company_calendar, profile
from handlers.context import Ctx
from handlers.refusal import Refused
from workflow.actions import Action
from workflow.case import Case
from workflow.guards import Attempt


def talk_window(ctx: Ctx) -> tuple[datetime, datetime]:
    """When the talk may be held: from now to the policy's working days ahead (default 2)."""
    cal, zone = company_calendar(ctx.deps.calendar, ctx.tenant), ZoneInfo(ctx.tenant.timezone)
    # In the company's zone: the refusal shows the window as its people read the clock.
    latest = cal.add_working_days(ctx.now, ctx.deps.talk_max_working_days)
    return ctx.now.astimezone(zone), latest.astimezone(zone)


def parse_talk_at(ctx: Ctx) -> datetime | None:
    """The talk time from a form (aware datetime) or text ('YYYY-MM-DD HH:MM', tenant local time)."""
    raw = ctx.inbound.args.get("talk_at") or ctx.inbound.args.get("when")
    if isinstance(raw, datetime):
        return raw
    try:
        parsed = datetime.fromisoformat(str(raw).strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(ctx.tenant.timezone))
    return parsed


def _refuse_outside_working_time(ctx: Ctx, case: Case, talk_at: datetime) -> None:
    """A talk is held on a working day within the company's working hours (its profile), in the
    company's time zone (and said so in that zone, never in UTC)."""
    zone = ZoneInfo(ctx.tenant.timezone)
    local = talk_at.astimezone(zone)
    start, end = profile(ctx.tenant).hours
    if ctx.deps.calendar.is_working_day(local.date()) and start <= local.time() < end:
        return
    raise Refused("h.talk_not_working_time", case=case, talk_at=local.strftime("%Y-%m-%d %H:%M"),
                  start=start.strftime("%H:%M"), end=end.strftime("%H:%M"), zone=ctx.tenant.timezone)


def upload(ctx: Ctx) -> dict[str, Any] | None:
    """The file sent with the request, if any."""
    file: dict[str, Any] | None = ctx.inbound.args.get("file")
    return file if file and file.get("data") else None


def mebibytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB"


def attempt_fields(ctx: Ctx, case: Case, action: Action) -> dict[str, Any]:
    """The Attempt's fields this request supplies: its text, and each input the action reads."""
    text = ctx.text
    fields: dict[str, Any] = {"text": text}
    for field in action.inputs:
        match field.kind:
            case "datetime":
                talk_at = parse_talk_at(ctx)
                if talk_at is None:
                    raise Refused("h.bad_time", case=case,
                                  value=ctx.inbound.args.get("talk_at") or ctx.inbound.args.get("when") or "")
                _refuse_outside_working_time(ctx, case, talk_at)
                fields.update({field.attempt: talk_at, "talk_window": talk_window(ctx)})
            case "hash":
                # Without one (a bare Sign) the workflow is asked about the current version; the
                # request then only brings the confirmation step (service.run), it signs nothing.
                current = case.record.document.sha256 if case.record.document else None
                fields[field.attempt] = ctx.inbound.args.get(field.name) or current
            case "file":
                file = upload(ctx)
                if file is not None and len(file["data"]) > ctx.deps.max_evidence_bytes:
                    raise Refused("h.evidence_too_large", case=case, size=mebibytes(len(file["data"])),
                                  limit=mebibytes(ctx.deps.max_evidence_bytes))
            case "text" if field.attempt:
                # A yes/no field (was the notice served?) is whether the text was given.
                wants_flag = Attempt.__dataclass_fields__[field.attempt].type == "bool"
                fields[field.attempt] = bool(text) if wants_flag else text
    return fields
