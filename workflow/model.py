"""The domain vocabulary shared by every room: states, triggers, grounds, roles, evidence kinds.

Values only; the rules that use them live in machine.py, evidence.py, policy.py and compliance/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class State(StrEnum):
    COLLECTING_EVIDENCE = "collecting_evidence"
    HR_REVIEW = "hr_review"
    SCHEDULING_TALK = "scheduling_talk"
    TALK_SCHEDULED = "talk_scheduled"
    AWAITING_EMPLOYEE = "awaiting_employee"
    DISPUTED = "disputed"
    ESCALATED = "escalated"
    HANDOVER = "handover"
    CLOSED = "closed"


class Trigger(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    SCHEDULE = "schedule"
    CONFIRM_ATTENDANCE = "confirm_attendance"
    RECORD_TALK = "record_talk"
    ACKNOWLEDGE = "acknowledge"
    SIGN = "sign"
    DISPUTE = "dispute"
    ESCALATE = "escalate"
    REVISE = "revise"
    PROCEED_UNILATERAL = "proceed_unilateral"
    RECORD_NOTICE_SERVED = "record_notice_served"
    COMPLETE_ITEM = "complete_item"
    FINISH = "finish"


class Outcome(StrEnum):
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    COMPLETED = "completed"


class Ground(StrEnum):
    INCOMPETENT = "incompetent"  # Art. 40(2)
    MISCONDUCT = "misconduct"  # Art. 39(2)
    PROBATION = "probation"  # Art. 39(1)
    ILLNESS = "illness"  # Art. 40(1)
    CIRCUMSTANCES = "circumstances"  # Art. 40(3)
    MUTUAL = "mutual"  # Art. 36
    LAYOFF = "layoff"  # Art. 41: refused for a single case
    EXPIRY = "expiry"  # Art. 44(1): the fixed term ends
    RETIREMENT = "retirement"  # Art. 44(2); Regs Art. 21
    DERELICTION = "dereliction"  # Art. 39(3)
    SECOND_JOB = "second_job"  # Art. 39(4)
    FRAUD = "fraud"  # Art. 39(5)
    CRIMINAL = "criminal"  # Art. 39(6)


class Role(StrEnum):
    """Directory roles (a person may hold several)."""

    MANAGER = "manager"
    HR = "hr"
    HR_LEAD = "hr_lead"
    IT = "it"
    ADMIN = "admin"
    FINANCE = "finance"


class Party(StrEnum):
    """What the acting person is to one case; decided by the server from the directory."""

    MANAGER = "manager"  # the case's manager, or their delegate
    HR = "hr"  # holds the HR (or HR lead) role in the case's tenant
    EMPLOYEE = "employee"  # the person the case is about
    ASSIGNEE = "assignee"  # owns the handover item acted on
    SYSTEM = "system"  # timers and the worker


@dataclass(frozen=True)
class Refusal:
    """Why something was not done: a catalogue key plus its parameters, rendered per locale."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
