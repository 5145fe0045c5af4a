"""One question at a time: the guided dialogue every chat channel (WeCom, the console) runs.

A pressed button whose action needs words (a reason, a time, facts) asks for its form inputs
(workflow/actions.py) one by one; each answer is checked with the router's own refusal text for
that input and asked again when it does not read; "back"/"上一步" returns to the previous
question and "cancel"/"取消" ends the dialogue. Nothing is sent to the handlers until the last
answer, so a dialogue left halfway changes nothing. The guided evidence dialogue files each
answer under the item the case still lacks. Where a dialogue is kept (Redis for WeCom, the
console's state table) is the channel's business; the states here are plain JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from bot.cards.build import action_label, spec_for
from bot.router import Parsed, ParseError, parse_action, usage
from bot.router.readers import fold, yes_no
from handlers.contracts import Reply
from storage.uow import UnitOfWork
from workflow.actions import Input
from workflow.evidence import EvidenceGap, Requirement, all_kinds, first_gap, parse_kind, requirement_label
from workflow.i18n import has, t
from workflow.model import Ground, State

CANCEL = frozenset({"取消", "算了", "cancel", "stop"})
BACK = frozenset({"上一步", "返回", "back"})
# An optional input is left out with one of these (or a "yes": the button only wanted a go-ahead).
SKIP = frozenset({"跳过", "skip", "-", "—"})


@dataclass(frozen=True)
class EvidenceDialog:
    """The bot asked this manager for the next evidence item of `case_ref`."""

    case_ref: str


@dataclass(frozen=True)
class Guided:
    """A pressed button asks for its inputs: `answers` holds those given so far, in order."""

    action: str
    case_ref: str | None
    case_version: int | None
    arg: str | None = None  # a value the card fixed (a handover item)
    answers: tuple[str, ...] = ()
    card: str = ""  # the platform's handle of the pressed card, to mark it once the action ran

    @property
    def fields(self) -> tuple[Input, ...]:
        return fields_for(self.action, self.arg)

    @property
    def current(self) -> Input | None:
        fields = self.fields
        return fields[len(self.answers)] if len(self.answers) < len(fields) else None


Dialog = EvidenceDialog | Guided
_KINDS: dict[str, type[Dialog]] = {"evidence": EvidenceDialog, "guided": Guided}


def to_json(dialog: Dialog) -> dict[str, Any]:
    kind = next(name for name, cls in _KINDS.items() if isinstance(dialog, cls))
    return {"kind": kind, **asdict(dialog)}


def from_json(data: dict[str, Any]) -> Dialog | None:
    """The dialogue `to_json` wrote; None for anything else (an older or damaged state)."""
    try:
        values = dict(data)
        cls = _KINDS[values.pop("kind")]
        if cls is Guided:
            values["answers"] = tuple(str(a) for a in values.get("answers", ()))
        return cls(**values)
    except (KeyError, TypeError, ValueError):
        return None


def control(text: str) -> str | None:
    """'cancel' or 'back' when `text` is one of those words (in either language), else None."""
    word = fold(text[:20]).strip()
    return "cancel" if word in CANCEL else "back" if word in BACK else None


def written(text: str) -> str | None:
    """The language of a control word ("取消" → zh-CN, "cancel" → en): the answer to it is given
    in the language it was typed in. None for any other text."""
    if control(text) is None:
        return None
    return "en" if fold(text).strip().isascii() else "zh-CN"


def is_answer(dialog: Dialog, parsed: Parsed | ParseError) -> bool:
    """Whether a message inside `dialog` answers it rather than being a new command.

    Evidence is often written like a command's words, so there only text that starts with no
    known verb is an answer. A question (a reason, a time) is answered by anything that does not
    read as a whole command: "进度太慢" is a reason, "进度 C-0001" asks for the status.
    """
    if isinstance(dialog, EvidenceDialog):
        return isinstance(parsed, ParseError) and parsed.code == "router.unknown_verb"
    return not isinstance(parsed, Parsed)


def fields_for(action: str, arg: str | None = None) -> tuple[Input, ...]:
    """The inputs a press of `action` is asked for: its spec's form inputs, less one the card fixed."""
    spec = spec_for(action)
    if spec is None:
        return ()
    return tuple(i for i in spec.inputs if i.on_form and not (arg is not None and i.kind == "item"))


def _confirm_key(action: str) -> str:
    spec = spec_for(action)
    return f"card.confirm.{spec.name if spec else action}"


def start(action: str, case_ref: str | None, case_version: int | None, arg: str | None = None,
          card: str = "") -> Guided | None:
    """The dialogue a press of `action` opens; None when the press can run as it is (nothing is
    required and nothing needs confirming)."""
    fields = fields_for(action, arg)
    if not any(f.required for f in fields) and not has(_confirm_key(action)):
        return None
    return Guided(action, case_ref, case_version, arg, (), card)


def confirmation(dialog: Guided, locale: str) -> str:
    """The "are you sure?" an irreversible action asks (card.confirm.<action>), or ""."""
    key = _confirm_key(dialog.action)
    return t(key, locale, ref=dialog.case_ref or "—") if has(key) else ""


def opening(dialog: Guided, locale: str) -> str:
    """What a press shows first: the confirmation the action asks for, then the first question."""
    return "\n".join(line for line in (confirmation(dialog, locale), question(dialog, locale)) if line)


def question(dialog: Guided, locale: str) -> str:
    field = dialog.current
    assert field is not None
    return t("guided.ask", locale, action=action_label(dialog.action, locale), ref=dialog.case_ref or "—",
             step=len(dialog.answers) + 1, steps=len(dialog.fields), label=t(field.label_key, locale),
             hint=t("guided.hint" if field.required else "guided.hint_optional", locale))


@dataclass(frozen=True)
class Turn:
    """What one message does to a dialogue: its next state (None: ended), what to tell the
    person, and the request to run now (only after the last answer)."""

    dialog: Dialog | None
    text: str = ""
    request: Parsed | None = None


def cancelled(dialog: Dialog, locale: str, text: str = "") -> Turn:
    """The dialogue ends, nothing sent; said in the language `text` (the "cancel") was typed in."""
    locale = written(text) or locale
    action = dialog.action if isinstance(dialog, Guided) else "evidence"
    return Turn(None, t("guided.cancelled", locale, action=action_label(action, locale)))


def answer(dialog: Guided, text: str, locale: str) -> Turn:
    """The next step of `dialog` after the person wrote `text`."""
    said, locale = control(text), written(text) or locale
    if said == "cancel":
        return cancelled(dialog, locale)
    if said == "back":
        if not dialog.answers:
            return Turn(dialog, "\n".join([t("guided.first", locale), question(dialog, locale)]))
        back = Guided(dialog.action, dialog.case_ref, dialog.case_version, dialog.arg,
                      dialog.answers[:-1], dialog.card)
        return Turn(back, question(back, locale))
    field = dialog.current
    if field is None:  # a state kept by an older version with fewer questions
        return cancelled(dialog, locale)
    given = text.strip()
    if not field.required and (fold(given[:20]).strip() in SKIP or yes_no(given)):
        given = ""
    answers = (*dialog.answers, given)
    read = parse_action(dialog.action, dialog.case_ref, " ".join(a for a in answers if a), arg=dialog.arg)
    later = {f"router.missing_arg.{f.name}" for f in dialog.fields[len(answers):]}
    if isinstance(read, ParseError) and read.code not in later:
        reason = t(read.code, locale, **read.params)
        return Turn(dialog, t("guided.again", locale, reason=reason, question=question(dialog, locale)))
    step = Guided(dialog.action, dialog.case_ref, dialog.case_version, dialog.arg, answers, dialog.card)
    if step.current is not None:
        return Turn(step, question(step, locale))
    assert isinstance(read, Parsed)
    return Turn(None, request=read)


# -- the guided evidence dialogue ----------------------------------------------------------------


async def next_item(uow_factory: Callable[[], UnitOfWork], tenant_key: str, case_ref: str) -> EvidenceGap | None:
    """What `case_ref` lacks next, or None when no evidence is asked for now."""
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key(tenant_key)
        case = await uow.cases.by_ref(tenant.id, case_ref) if tenant else None
        if case is None or case.state != State.COLLECTING_EVIDENCE:
            return None
        kinds = [item.kind for item in await uow.evidence.for_case(case.id)]
    return first_gap(Ground(case.ground), kinds)


def ask_item(item: EvidenceGap, case_ref: str, locale: str) -> str:
    label = requirement_label(item.requirement, locale)
    if item.have:  # one of two review periods is in: say so, as the typed command's prompt does
        return t("guided.evidence_next_partial", locale, n=item.number, label=label, have=item.have,
                 need=item.requirement.min_count, ref=case_ref)
    return t("guided.evidence_next", locale, n=item.number, label=label, ref=case_ref)


def filed_as(requirement: Requirement, text: str) -> str:
    """The evidence kind of an answer to `requirement`: the kind its first word names when the
    item accepts that kind ("培训 …" files a training record), else the first kind it accepts."""
    named = parse_kind(text.strip().partition(" ")[0])
    if named in requirement.accepts:
        return named
    return next(kind for kind in all_kinds() if kind in requirement.accepts)


def evidence_answer(dialog: EvidenceDialog, item: EvidenceGap, text: str, locale: str) -> Turn:
    """The step after a text answer to the evidence prompt: file it under `item`, or cancel/back."""
    said, locale = control(text), written(text) or locale
    if said == "cancel":
        return cancelled(dialog, locale)
    if said == "back":
        return Turn(dialog, "\n".join([t("guided.evidence_back", locale), ask_item(item, dialog.case_ref, locale)]))
    args = {"kind": filed_as(item.requirement, text), "content": text.strip()}
    return Turn(dialog, request=Parsed("evidence", dialog.case_ref, args))


def after(reply: Reply, current: Dialog | None) -> Dialog | None:
    """The dialogue once `reply` was shown: an evidence prompt (re)starts the evidence dialogue,
    the evidence being complete ends it; any other reply leaves `current` as it was."""
    prompts = [m for m in reply.messages if m.kind == "evidence_prompt" and m.case_ref]
    if not prompts:
        return current
    return None if "submit" in prompts[-1].actions else EvidenceDialog(prompts[-1].case_ref or "")


def no_item(case_ref: str, locale: str) -> str:
    """The answer to the evidence button when the case asks for no further item now."""
    return t("guided.evidence_none", locale, ref=case_ref, usage=usage("evidence", locale))
