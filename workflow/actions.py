"""The action table: what each thing a person (or a timer) can do to a case means, one spec each.

A spec says who may do it, from which state to which, its guards, the inputs it reads, what it
records on the case and which named effects it runs, who is told what, and the button that
offers it. The `transitions` machine (machine.py), the README diagram (diagram.py), the buttons
and input forms (bot/cards/build.py, commands.py) and the handlers' one service function
(handlers/service.py) are all read from here. Timers are not listed per action: after every
change the case's state alone decides them (policy.timers_for), so an action arms and disarms
timers by the state it leaves the case in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from workflow import guards as g
from workflow.guards import Guard
from workflow.model import Outcome, Party, State, Trigger
from workflow.policy import TimerAction


class Rest(StrEnum):
    """How the words typed after a command's verb (and the case) are read."""

    NOTHING = "nothing"  # nothing expected; any words become an optional note
    TEXT = "text"  # free text stored under the action's text input
    TIME = "time"  # a local wall time "YYYY-MM-DD HH:MM" (args "talk_at")
    ITEM = "item"  # a handover item's number within its case (args "item"), then an optional note
    FACTS = "facts"  # key=value pairs (args "facts", a dict of text values)
    CONFIRM_FACTS = "confirm_facts"  # like FACTS, but none is needed: confirm=yes is implied
    OPEN = "open"  # @employee ground [note]
    EVIDENCE = "evidence"  # kind, then the link or text
    HASH = "hash"  # the document's SHA-256 the signer confirmed (args "document_hash"), then a note
    DELEGATE = "delegate"  # @person until YYYY-MM-DD, or off (args "delegate", "until" / "off")
    SNOOZE = "snooze"  # an optional length such as 2d or 4h (args "minutes")


InputKind = Literal["text", "datetime", "select", "grounds", "item", "facts", "hash", "file"]
# Kinds a form (Slack modal, WeCom dialogue, console prompt) asks for; the others come with the
# request itself (a hash the signing page sends, a file attached to the message).
FORM_KINDS = frozenset({"text", "datetime", "select", "grounds", "item", "facts"})


@dataclass(frozen=True)
class Input:
    """One value an action reads from the request, named as the request's args carry it.

    Its label is the catalogue key `card.input.<name>`. `attempt` names the machine Attempt field
    it fills (a guard reads it there); "" when only the effect uses it.
    """

    name: str
    kind: InputKind = "text"
    required: bool = True
    attempt: str = ""

    @property
    def label_key(self) -> str:
        return f"card.input.{self.name}"

    @property
    def on_form(self) -> bool:
        return self.kind in FORM_KINDS


@dataclass(frozen=True)
class Step:
    """Where the action may happen: from `source` (to `target`; None = the case stays), by whom."""

    source: State
    parties: tuple[Party, ...]
    target: State | None = None
    guards: tuple[Guard, ...] = ()
    outcome: Outcome | None = None


class Value(StrEnum):
    """What a recorded case field (workflow.case.CaseRecord) is set to (handlers/effects.py computes each once)."""

    ASKER = "asker"  # the acting person's id
    NOW = "now"  # the request's time
    TEXT = "text"  # the request's free text (reason, comment, note …)
    TALK_AT = "talk_at"  # the parsed talk time
    CLEARED = "cleared"  # None
    REASON_AND_TIME = "reason_and_time"  # a Dispute: the text, and now
    KEPT_OR_NOW = "kept_or_now"  # the field's value if set, else now
    APPROVAL = "approval"  # the field's list plus {"by": asker, "opened_or_manages": …, "at": now}


class Effect(StrEnum):
    """Named effects on the case, each implemented once in handlers/effects.py."""

    ISSUE_DOCUMENT = "issue_document"  # the settlement/decision document, a new version
    RECORD_SIGNATURE = "record_signature"  # the sealed signature record
    RECORD_NOTICE_EVIDENCE = "record_notice_evidence"  # proof of service becomes evidence
    ISSUE_CERTIFICATE = "issue_certificate"  # the Art. 50 termination certificate
    CREATE_ITEMS = "create_items"  # the handover checklist, owners told
    TICK_ITEM = "tick_item"  # the asker's handover item is done


class To(StrEnum):
    """Who a notice goes to."""

    MANAGER = "manager"
    EMPLOYEE = "employee"
    HR_EACH = "hr_each"  # each HR member of the tenant, except the employee
    HR_GROUP = "hr_group"  # the HR group channel: never money or protected facts
    SCHEDULER = "scheduler"  # the HR member who scheduled the talk


class Param(StrEnum):
    """A text parameter a notice may use (handlers/notify.py computes each once)."""

    REF = "ref"
    WHEN = "when"  # the talk time, local
    MANAGER = "manager"  # the manager's name
    NAME = "name"  # the employee's name
    REASON = "reason"  # the request's free text
    TEXT = "text"  # the request's free text
    EVIDENCE = "evidence"  # the evidence list (for the reader)
    COUNT = "count"  # how many pieces of evidence
    BLOCKING = "blocking"  # how many blocking findings
    WARNINGS = "warnings"  # how many warnings
    OUTCOME = "outcome"  # the case's outcome label
    UNTIL = "until"  # the retention date
    APPROVER = "approver"  # the acting person's name


# The message "<who> did <action> at <when>; the case is now at <state>".
TOLD_TITLE, TOLD_TEXT = "h.transition.title", "h.transition.text"


@dataclass(frozen=True)
class Notice:
    """One message an action sends, to each person `to` names, in that person's language.

    Either a whole card drawn for the reader (`card`: "hr_review", "employee_decision") or a
    message of `kind` with the texts `title` and `text` (catalogue keys) and their `params`;
    `extra` names a line added below ("reason", "signing_status"), `fields` a block of fields.
    """

    to: To
    kind: str = "case_update"
    title: str = TOLD_TITLE
    text: str = TOLD_TEXT
    params: tuple[Param, ...] = ()
    extra: str = ""
    fields: str = ""
    buttons: tuple[str, ...] = ()
    no_buttons_for_manager: bool = False  # HR's buttons are not the case manager's, even if they are HR
    card: str = ""
    only_from: tuple[State, ...] = ()  # only when the action left one of these states
    only_to: tuple[State, ...] = ()  # only when the action left the case in one of these states
    not_the_asker: bool = False  # the asker has the inline answer instead


def told(to: To, extra: str = "", *, only_from: tuple[State, ...] = (), only_to: tuple[State, ...] = ()) -> Notice:
    """The short "X did Y" update; the asker is never sent one (they get the inline answer)."""
    return Notice(to, extra=extra, only_from=only_from, only_to=only_to, not_the_asker=to is not To.HR_GROUP)


Style = Literal["primary", "danger"] | None


@dataclass(frozen=True)
class Action:
    """Everything one action means. `trigger` is None for actions the machine does not decide.

    Timers: an action that changes the case re-arms the timers its new state wants
    (policy.timers_for, at the new case version; older ones go stale). `fired_by` names the timer
    that runs a SYSTEM action.
    """

    name: str
    steps: tuple[Step, ...]  # where it may happen and by whom (all states for `anywhere`)
    trigger: Trigger | None = None
    inputs: tuple[Input, ...] = ()
    typed: Rest = Rest.NOTHING  # how a typed command's words are read into `inputs`
    records: tuple[tuple[str, Value], ...] = ()  # CaseRecord fields it sets, in order
    effects: tuple[Effect, ...] = ()  # then these, in order
    notices: tuple[Notice, ...] = ()  # then who is told what
    prompts: tuple[str, ...] = ()  # further inline answers, each only where it applies: "schedule",
    # "second_approval", "evidence_if_manager"
    answer: str = "told"  # the asker's inline answer: "told" (the X-did-Y update) or a kind
    follow_up: str = ""  # what may happen next by itself: "finish_when_items_done"
    fired_by: TimerAction | None = None  # the timer that fires it (SYSTEM steps)
    style: Style = None  # the button's look: primary moves the case on; danger cannot be undone
    confirm: bool = False  # the platform asks "are you sure?" (text card.confirm.<name>)
    # Only a confirmation that showed the document (title, version, SHA-256) and the intention
    # statement, and names the hash it showed, does it; a bare press or command gets that
    # confirmation step instead (handlers/signing/confirm.py). The signing page is such a step.
    intention: bool = False
    button: bool = True  # offered on the case cards of those who may do it
    caseless: bool = False  # names no case (open, report)
    refuse_party: str = ""  # the handler's own refusal text for the wrong person, if any
    refuse_state: str = ""  # the handler's own refusal text for the wrong state, if any

    def step(self, state: State) -> Step | None:
        return next((s for s in self.steps if s.source == state), None)

    def parties_in(self, state: State) -> tuple[Party, ...]:
        step = self.step(state)
        return step.parties if step else ()

    @property
    def text_input(self) -> Input | None:
        """The free-text input a typed command fills with its remaining words."""
        return next((i for i in self.inputs if i.kind == "text"), None)


S, P, T, V, E = State, Party, Trigger, Value, Effect
_REASON = Input("reason")
_NOTICE_EFFECTS = (E.RECORD_NOTICE_EVIDENCE, E.ISSUE_CERTIFICATE, E.CREATE_ITEMS)
_EMPLOYEE_DECISION = Notice(To.EMPLOYEE, card="employee_decision")
_DISPUTE = Notice(To.HR_EACH, kind="dispute", title="h.disputed.title", text="h.disputed.text",
                  params=(Param.NAME, Param.REASON, Param.EVIDENCE),
                  buttons=("revise", "withdraw", "proceed_unilateral"), no_buttons_for_manager=True)
_CLOSED = Notice(To.MANAGER, kind="closed", title="h.closed.title", text="h.closed.text",
                 params=(Param.OUTCOME, Param.UNTIL))
_EDITABLE_FACTS = (S.COLLECTING_EVIDENCE, S.HR_REVIEW, S.DISPUTED, S.ESCALATED)


def _everywhere(*parties: Party) -> tuple[Step, ...]:
    return tuple(Step(state, parties) for state in State)


ACTIONS: tuple[Action, ...] = (
    # ---- machine actions, in the order the workflow meets them (buttons are drawn in this order)
    Action(
        "submit", trigger=T.SUBMIT, style="primary",
        steps=(Step(S.COLLECTING_EVIDENCE, (P.MANAGER,), S.HR_REVIEW, (g.evidence_complete,)),),
        notices=(
            Notice(To.HR_EACH, card="hr_review"),
            Notice(To.HR_GROUP, kind="hr_review", title="h.review.title", text="h.review_group.text",
                   params=(Param.MANAGER, Param.NAME, Param.COUNT, Param.BLOCKING, Param.WARNINGS)),
        ),
    ),
    Action(
        "withdraw", trigger=T.WITHDRAW, style="danger", confirm=True,
        steps=(Step(S.COLLECTING_EVIDENCE, (P.MANAGER, P.HR), S.CLOSED, outcome=Outcome.WITHDRAWN),
               Step(S.DISPUTED, (P.HR,), S.CLOSED, outcome=Outcome.WITHDRAWN)),
        inputs=(_REASON,), typed=Rest.TEXT,
        notices=(told(To.MANAGER, "reason"), told(To.EMPLOYEE, "reason", only_from=(S.DISPUTED,)),
                 told(To.HR_GROUP)),
    ),
    Action(
        "approve", trigger=T.APPROVE, style="primary",
        # Separation of duties: an approval by whoever opened or manages the case (or any, where the
        # company wants two) is recorded and the case stays in review until another HR member approves.
        steps=(Step(S.HR_REVIEW, (P.HR,), S.SCHEDULING_TALK,
                    (g.facts_confirmed, g.no_blocking_finding, g.not_approved_yet, g.approvals_complete)),
               Step(S.HR_REVIEW, (P.HR,), None,
                    (g.facts_confirmed, g.no_blocking_finding, g.not_approved_yet, g.second_approval_needed))),
        records=(("approvals", V.APPROVAL), ("approved_by", V.ASKER)),
        notices=(told(To.MANAGER, only_to=(S.SCHEDULING_TALK,)), told(To.HR_GROUP, only_to=(S.SCHEDULING_TALK,)),
                 Notice(To.HR_EACH, kind="second_approval", title="h.second_approval.title",
                        text="h.second_approval.text", params=(Param.NAME, Param.APPROVER), buttons=("approve",),
                        no_buttons_for_manager=True, only_to=(S.HR_REVIEW,), not_the_asker=True)),
        prompts=("schedule", "second_approval"),
    ),
    Action(
        "request_changes", trigger=T.REQUEST_CHANGES,
        steps=(Step(S.HR_REVIEW, (P.HR,), S.COLLECTING_EVIDENCE, (g.comment_given,)),),
        inputs=(Input("comment"),), typed=Rest.TEXT,
        records=(("changes_requested", V.TEXT), ("approvals", V.CLEARED)),  # approvals were of the old file
        notices=(told(To.MANAGER, "reason"),),
        prompts=("evidence_if_manager",),
    ),
    Action(
        "reject", trigger=T.REJECT, style="danger", confirm=True,
        steps=(Step(S.HR_REVIEW, (P.HR,), S.CLOSED, (g.reason_given,), Outcome.REJECTED),),
        inputs=(_REASON,), typed=Rest.TEXT,
        notices=(told(To.MANAGER, "reason"), told(To.EMPLOYEE, "reason", only_from=(S.DISPUTED,)),
                 told(To.HR_GROUP)),
    ),
    Action(
        "schedule", trigger=T.SCHEDULE, style="primary",
        # Again while scheduled: the talk moves (a new time, the manager confirms again).
        steps=(Step(S.SCHEDULING_TALK, (P.HR,), S.TALK_SCHEDULED, (g.talk_time_in_policy,)),
               Step(S.TALK_SCHEDULED, (P.HR,), guards=(g.talk_time_in_policy,))),
        inputs=(Input("talk_at", "datetime", attempt="talk_at"),), typed=Rest.TIME,
        records=(("talk_at", V.TALK_AT), ("scheduled_by", V.ASKER), ("attendance_confirmed_at", V.CLEARED)),
        notices=(
            Notice(To.MANAGER, kind="talk_confirm", title="h.talk_confirm.title", text="h.talk_confirm.text",
                   params=(Param.WHEN,), buttons=("confirm_attendance",)),
            Notice(To.EMPLOYEE, kind="talk_invite", title="h.talk_invite.title", text="h.talk_invite.text",
                   params=(Param.WHEN, Param.MANAGER)),
        ),
    ),
    Action(
        "confirm_attendance", trigger=T.CONFIRM_ATTENDANCE, style="primary",
        steps=(Step(S.TALK_SCHEDULED, (P.MANAGER,)),),
        records=(("attendance_confirmed_at", V.NOW),),
        notices=(told(To.SCHEDULER),),
    ),
    Action(
        "record_talk", trigger=T.RECORD_TALK, style="primary",
        steps=(Step(S.TALK_SCHEDULED, (P.HR,), S.AWAITING_EMPLOYEE,
                    (g.talk_time_reached, g.attendance_or_override)),),
        # Without the manager's confirmation the reason given is the override.
        inputs=(Input("reason", required=False, attempt="override_reason"),), typed=Rest.TEXT,
        effects=(E.ISSUE_DOCUMENT,),
        notices=(_EMPLOYEE_DECISION, told(To.MANAGER)),
    ),
    Action(
        "acknowledge", trigger=T.ACKNOWLEDGE,
        steps=(Step(S.AWAITING_EMPLOYEE, (P.EMPLOYEE,)),),
        records=(("read_at", V.NOW),),
    ),
    Action(
        "sign", trigger=T.SIGN, style="primary", intention=True,
        steps=(Step(S.AWAITING_EMPLOYEE, (P.EMPLOYEE,), S.HANDOVER, (g.current_document_seen,)),
               Step(S.ESCALATED, (P.EMPLOYEE,), S.HANDOVER, (g.current_document_seen,))),
        # The version the signer was shown and confirmed (the signing page's, or the chat
        # confirmation's button); without it the press only brings the confirmation step.
        inputs=(Input("document_hash", "hash", required=False, attempt="document_hash_seen"),),
        typed=Rest.HASH,
        effects=(E.RECORD_SIGNATURE, E.ISSUE_CERTIFICATE, E.CREATE_ITEMS),
        notices=(told(To.HR_EACH, "signing_status"), told(To.MANAGER)),
    ),
    Action(
        "dispute", trigger=T.DISPUTE, style="danger", confirm=True,
        steps=(Step(S.AWAITING_EMPLOYEE, (P.EMPLOYEE,), S.DISPUTED, (g.reason_given,)),),
        inputs=(_REASON,), typed=Rest.TEXT,
        records=(("read_at", V.NOW), ("dispute", V.REASON_AND_TIME)),
        notices=(_DISPUTE, Notice(To.MANAGER, kind="dispute", title=_DISPUTE.title, text=_DISPUTE.text,
                                  params=_DISPUTE.params)),
    ),
    Action(
        "escalate", trigger=T.ESCALATE, fired_by=TimerAction.ESCALATE, button=False,
        steps=(Step(S.AWAITING_EMPLOYEE, (P.SYSTEM,), S.ESCALATED),),
        notices=(
            Notice(To.HR_EACH, kind="escalated", title="h.escalated.title", text="h.escalated.text",
                   params=(Param.NAME,), fields="signing_status", buttons=("record_notice_served",)),
            told(To.HR_GROUP),
        ),
    ),
    Action(
        "revise", trigger=T.REVISE,
        steps=(Step(S.DISPUTED, (P.HR,), S.AWAITING_EMPLOYEE),),
        inputs=(Input("note", required=False),), typed=Rest.TEXT,
        records=(("revision_note", V.TEXT), ("read_at", V.CLEARED)),
        effects=(E.ISSUE_DOCUMENT,),
        notices=(_EMPLOYEE_DECISION, told(To.MANAGER)),
    ),
    Action(
        "proceed_unilateral", trigger=T.PROCEED_UNILATERAL, style="danger", confirm=True,
        steps=(Step(S.DISPUTED, (P.HR,), S.HANDOVER, (g.unilateral_allowed, g.notice_served)),),
        # The proof is optional here: without it the workflow refuses and cites the law.
        inputs=(Input("proof", required=False, attempt="notice_served"), Input("file", "file", required=False)),
        typed=Rest.TEXT,
        effects=_NOTICE_EFFECTS,
        notices=(told(To.EMPLOYEE), told(To.MANAGER)),
    ),
    Action(
        "record_notice_served", trigger=T.RECORD_NOTICE_SERVED,
        steps=(Step(S.ESCALATED, (P.HR,), S.HANDOVER, (g.proof_given,)),),
        inputs=(Input("proof"), Input("file", "file", required=False)), typed=Rest.TEXT,
        effects=_NOTICE_EFFECTS,
        notices=(told(To.EMPLOYEE), told(To.MANAGER)),
    ),
    Action(
        "complete_item", trigger=T.COMPLETE_ITEM, style="primary", button=False,  # on item cards only
        steps=(Step(S.HANDOVER, (P.ASSIGNEE,), guards=(g.item_owned,)),),
        inputs=(Input("item", "item"),), typed=Rest.ITEM,
        effects=(E.TICK_ITEM,),
        answer="item_done",
        follow_up="finish_when_items_done",
    ),
    Action(
        # The system finishes once the last item is done, or on the last day if that is later.
        "finish", trigger=T.FINISH, button=False, fired_by=TimerAction.FINISH,
        steps=(Step(S.HANDOVER, (P.SYSTEM, P.HR), S.CLOSED,
                    (g.items_done, g.certificate_issued, g.last_day_reached), Outcome.COMPLETED),),
        notices=(_CLOSED, Notice(To.EMPLOYEE, kind="closed", title=_CLOSED.title, text=_CLOSED.text,
                                 params=_CLOSED.params), told(To.HR_GROUP)),
    ),
    # ---- actions the machine does not decide: their handlers read who/where from here
    Action(
        "open", caseless=True, steps=(),  # the employee's manager, or HR (handlers/open_case.py)
        inputs=(Input("employee"), Input("ground", "grounds"), Input("note", required=False)),
        typed=Rest.OPEN,
    ),
    Action(
        "evidence", steps=(Step(S.COLLECTING_EVIDENCE, (P.MANAGER,)),),
        inputs=(Input("kind"), Input("content"), Input("file", "file", required=False)), typed=Rest.EVIDENCE,
        refuse_party="h.only_manager_evidence", refuse_state="h.evidence_closed",
    ),
    Action(
        "facts", steps=tuple(Step(s, (P.HR,)) for s in _EDITABLE_FACTS),
        inputs=(Input("facts", "facts"),), typed=Rest.FACTS,
        refuse_party="h.facts_only_hr", refuse_state="h.facts_locked",
    ),
    Action(
        "confirm_facts", steps=tuple(Step(s, (P.HR,)) for s in _EDITABLE_FACTS),
        inputs=(Input("facts", "facts", required=False),), typed=Rest.CONFIRM_FACTS,
        refuse_party="h.facts_only_hr", refuse_state="h.facts_locked",
    ),
    Action(
        "ask_meeting", steps=_everywhere(P.EMPLOYEE),
        inputs=(Input("text", required=False),), typed=Rest.TEXT,
        records=(("read_at", V.KEPT_OR_NOW),),
        notices=(Notice(To.HR_EACH, kind="meeting_request", title="h.meeting.title", text="h.meeting.text",
                        params=(Param.NAME, Param.TEXT)),),
        answer="meeting_request",
    ),
    Action("status", steps=_everywhere(P.MANAGER, P.HR, P.EMPLOYEE), button=False),
    Action("report", caseless=True, steps=(), button=False),  # HR of the asker's own tenant
    # The company profile card; "company <field> <value>" sets one field (HR of the asker's tenant).
    Action("company", caseless=True, steps=(), button=False,
           inputs=(Input("text", required=False),), typed=Rest.TEXT),
)

BY_NAME: dict[str, Action] = {a.name: a for a in ACTIONS}
BY_TRIGGER: dict[Trigger, Action] = {a.trigger: a for a in ACTIONS if a.trigger is not None}
assert set(BY_TRIGGER) == set(Trigger), "every machine trigger needs its spec"
