"""The handover checklist template: who does what, due when relative to the termination date.

Handlers copy the template into a case's handover items; the ladder nudges and escalates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from workflow.calendar import WorkCalendar

# Items fall due at the close of business on their day, so the owner has the whole day and the
# due-date reminder reaches them before quiet hours start.
DUE_TIME = time(18, 0)


class DueUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


@dataclass(frozen=True)
class HandoverTemplateItem:
    key: str
    owner_role: str  # "successor" | "it" | "admin" | "finance" | "hr"
    offset: int  # from the termination date (the last day of employment); negative = before
    unit: DueUnit
    article: str  # the legal basis, empty when the step is company practice only


def default_template() -> tuple[HandoverTemplateItem, ...]:
    wd, days = DueUnit.WORKING_DAYS, DueUnit.CALENDAR_DAYS
    return (
        # The employee hands over work while still employed: the working day before the last.
        HandoverTemplateItem("work_handover", "successor", -1, wd, "LCL Art. 50"),
        HandoverTemplateItem("property_return", "admin", 0, days, "LCL Art. 50"),
        HandoverTemplateItem("account_revocation", "it", 0, days, ""),
        # Wages are settled at termination (工资支付暂行规定 Art. 9); compensation is owed when
        # the handover is completed (Art. 50), which is by the termination date at the latest.
        HandoverTemplateItem("final_pay", "finance", 0, days, "LCL Art. 50"),
        HandoverTemplateItem("social_insurance_stop", "hr", 15, days, "LCL Art. 50"),
        HandoverTemplateItem("termination_certificate", "hr", 0, days, "LCL Art. 50"),
        HandoverTemplateItem("file_transfer", "hr", 15, days, "LCL Art. 50"),
    )


def due_at(item: HandoverTemplateItem, termination_date: date, cal: WorkCalendar) -> datetime:
    """When `item` is due for a case ending on `termination_date`, as an aware UTC instant."""
    if item.unit is DueUnit.WORKING_DAYS:
        start = cal.local_instant(termination_date, DUE_TIME)
        return cal.add_working_days(start, item.offset)
    return cal.local_instant(termination_date + timedelta(days=item.offset), DUE_TIME)
