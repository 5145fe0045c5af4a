"""Tell a company's HR once per year that deadlines in a year without the official holiday
arrangement are provisional, until `python -m bot calendar import` loads it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from handlers.context import Ctx
from handlers.contracts import HR_GROUP, Message
from workflow.case import Case
from workflow.i18n import normalise_locale, t

# Tenant.settings key: the years this company's HR has been told about (a list of ints).
TOLD = "calendar_provisional_told"


async def tell_hr_once(ctx: Ctx, case: Case, instants: Iterable[datetime]) -> None:
    """One HR card per missing year the case's deadlines or timers fall in, never a second one:
    the year is recorded in the company's settings, and the outbox key repeats it."""
    cal = ctx.deps.calendar
    years = {cal.local_date(i).year for i in instants}
    told = set(ctx.tenant.settings.get(TOLD) or [])
    new = sorted(y for y in years if cal.is_provisional_year(y) and y not in told)
    if not new:
        return
    locale = normalise_locale(ctx.tenant.settings.get("locale"))
    for year in new:
        message = Message(
            kind="calendar_provisional", recipient=HR_GROUP, locale=locale, case_ref=case.ref,
            data={"title": t("h.calendar_provisional.title", locale, year=year),
                  "text": t("h.calendar_provisional.text", locale, year=year, ref=case.ref),
                  "fields": []},
        )
        # Filed with the case that met the year first (its card names it); the key is per company.
        await ctx.send(message, case=case, dedup_key=f"calendar:{ctx.tenant.id}:{year}")
    # A new dict, so the change is stored (as handlers/facts.py does for the union setting).
    ctx.tenant.settings = {**ctx.tenant.settings, TOLD: sorted(told | set(new))}
