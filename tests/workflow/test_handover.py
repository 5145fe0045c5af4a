"""The handover checklist template and its due dates around the termination date."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from workflow.calendar import WorkCalendar
from workflow.handover import DueUnit, HandoverTemplateItem, default_template, due_at
from workflow.i18n import t
from workflow.model import State
from workflow.policy import ItemDue, TimerAction, TimerContext, timers_for

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
TEMPLATE = {item.key: item for item in default_template()}


def at_18(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 18, tzinfo=SH)


def test_template_items_and_owners():
    assert {key: item.owner_role for key, item in TEMPLATE.items()} == {
        "work_handover": "successor",
        "property_return": "admin",
        "account_revocation": "it",
        "final_pay": "finance",
        "social_insurance_stop": "hr",
        "termination_certificate": "hr",
        "file_transfer": "hr",
    }


def test_art_50_items_cite_it():
    for key in ("termination_certificate", "file_transfer", "final_pay"):
        assert "Art. 50" in TEMPLATE[key].article


@pytest.mark.parametrize(
    ("key", "termination", "expected"),
    [
        # Thu 2025-10-09 follows the National Day break: one working day back is Sep 30.
        ("work_handover", date(2025, 10, 9), at_18(2025, 9, 30)),
        # Sun 2025-10-12: the working day before is the make-up Saturday.
        ("work_handover", date(2025, 10, 12), at_18(2025, 10, 11)),
        ("termination_certificate", date(2025, 10, 9), at_18(2025, 10, 9)),
        ("final_pay", date(2025, 10, 9), at_18(2025, 10, 9)),
        ("file_transfer", date(2025, 10, 9), at_18(2025, 10, 24)),
        ("social_insurance_stop", date(2025, 12, 20), at_18(2026, 1, 4)),
    ],
)
def test_due_at(key, termination, expected):
    due = due_at(TEMPLATE[key], termination, CAL)
    assert due == expected
    assert due.tzinfo is UTC
    assert CAL.out_of_quiet_hours(due) == due


def test_working_day_offsets_after_termination():
    item = HandoverTemplateItem("extra", "it", 2, DueUnit.WORKING_DAYS, "")
    assert due_at(item, date(2025, 9, 30), CAL) == at_18(2025, 10, 10)


@pytest.mark.parametrize("key", list(TEMPLATE))
def test_every_item_has_a_label_in_both_locales(key):
    zh, en = t(f"handover.{key}", "zh-CN"), t(f"handover.{key}", "en")
    assert zh and en and zh != en


def test_template_due_dates_feed_the_ladder():
    termination = date(2025, 10, 9)
    items = tuple(
        ItemDue(i, due_at(item, termination, CAL), done=False)
        for i, item in enumerate(default_template(), start=1)
    )
    context = TimerContext(
        state=State.HANDOVER,
        state_entered_at=at_18(2025, 9, 29),
        last_activity_at=at_18(2025, 9, 29),
        talk_at=None,
        employee_opened=True,
        termination_date=termination,
        items=items,
    )
    specs = {s.kind: s for s in timers_for(context, CAL)}
    assert specs["item_due:1"].due_at == at_18(2025, 9, 30)
    assert specs["item_due:1"].action is TimerAction.REMIND_ITEM_OWNER
    assert specs["item_escalate:1"].due_at == at_18(2025, 10, 10)
    assert len(specs) == 2 * len(items) + 2
