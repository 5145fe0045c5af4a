"""A whole case run with everyone English, and again with everyone Chinese, shows no raw key, internal
tag, placeholder or text of the other language (issue 16).

The run goes through the public entry (World.act) and the timer poller: open → evidence → submit →
facts → approve → talk → acknowledge → dispute → revise → sign → handover → closed, plus reminders,
a stalled review and a second case escalated by the employee's silence. Every message of the run —
each inline reply and each outbox message to anyone — is turned into the card the channels show
(bot.cards.build.card_for) and rendered as the console prints it, as WeCom markdown and as Slack
blocks; every text on it (title, fields, body, buttons, their confirm prompts and inputs) is checked.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.cards.build import card_for
from bot.cards.model import Card
from bot.cards.text import render_text
from bot.channels.slack.blocks import render_card
from bot.channels.wecom.cards import markdown
from handlers.contracts import Message, Reply, from_payload
from handlers.signing.links import resolve_links
from storage.memory import MemoryDatabase
from tests.handlers.conftest import PEOPLE, SHANGHAI, START, World, make_world
from workflow.clock import ManualClock
from workflow.evidence import requirements
from workflow.i18n import keys
from workflow.model import Ground

REFS = ("C-0001", "C-0002", "C-0003", "C-0004")
FACTS = {"last_day": "2024-06-30", "avg_wage": "12000", "prev_wage": "12500", "local_avg": "10000",
         "pay_in_lieu": "yes", "union_notified": "yes", "written_reasons": "yes"}
# What people typed (case data): in the run's own language, so it may show anywhere; "frobnicate" is
# a typo quoted back.
TYPED = {
    "en": {"note": "Missed targets two quarters running", "evidence": "review record",
           "dispute": "The targets were never agreed with me", "revise": "Compensation raised",
           "served": "EMS1234567890CN", "typo": "frobnicate"},
    "zh-CN": {"note": "两个季度绩效未达标", "evidence": "绩效记录", "dispute": "目标从未与我确认",
              "revise": "补偿增加", "served": "EMS1234567890CN", "typo": "frobnicate"},
}
NAMES = [name for _no, name, *_rest in PEOPLE.values()] + [no for no, *_rest in PEOPLE.values()] + ["console:stranger"]
# A catalogue key family shown raw: "action.sign", "card.input.text", "h.field.x", …
FAMILIES = sorted({key.split(".", 1)[0] for key in keys()})
RAW_KEY = re.compile(r"\b(?:" + "|".join(map(re.escape, FAMILIES)) + r")\.[a-z_]+(?:\.[a-z_]+)*\b")
TAG = re.compile(r"\[(?:warning|info|blocking|error)\]", re.IGNORECASE)  # "[note]" is usage syntax
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# A fact key shown as a label; English usage may spell the typed syntax ("avg_wage=12000").
FACT_KEYS = re.compile(r"\b(?:avg_wage|prev_wage|local_avg|last_day|pay_in_lieu|union_notified|"
                       r"written_reasons|hire_date|protections|notice_given|termination_date)\b(?!=)")
TYPED_FACT = re.compile(r"\b[a-z_]+=")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# What a Chinese label may still spell in Latin letters: case refs, hashes, units, law, formats.
ALLOWED_LATIN = {"C", "SHA", "PDF", "HR", "IT", "ID", "URL", "UTC", "N", "YYYY-MM-DD", "HH", "MM"}  # date formats


@dataclass(frozen=True)
class Shown:
    """One card as a person saw it: where it came from, its labels and its whole text."""

    origin: str
    labels: tuple[str, ...]
    text: str


def words_in(blocks: object) -> Iterator[str]:
    """Every text a person reads in Slack blocks (the "text" of each element, dialog and option)."""
    if isinstance(blocks, dict):
        for key, value in blocks.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from words_in(value)
    elif isinstance(blocks, list):
        for value in blocks:
            yield from words_in(value)


def texts_of(card: Card) -> tuple[tuple[str, ...], str]:
    labels = [card.title, card.state, *(label for label, _ in card.fields)]
    bodies = [card.text, card.footer, *(value for _, value in card.fields)]
    for button in card.actions:
        labels.append(button.label)
        bodies.append(button.confirm or "")
        for field in button.inputs:
            labels.append(field.label)
            labels.extend(label for _, label in field.options)
    wecom = re.sub(r"<[^>]+>", " ", markdown(card))  # its <font color=…> markup is no text
    slack = [html.unescape(text) for text in words_in(render_card(card, "T0001").blocks)]
    rendered = "\n".join([render_text(card), wecom, *slack, *labels, *bodies])
    return tuple(label for label in labels if label), rendered


class Run:
    """One world in one language, recording every reply as it comes."""

    def __init__(self, world: World, locale: str) -> None:
        self.world, self.locale, self.replies = world, locale, []
        self.typed = TYPED[locale]

    async def ok(self, who: str, name: str, ref: str | None = "C-0001", **args: object) -> Reply:
        reply = await self.world.act(who, name, ref, **args)
        self.replies.extend((f"reply to {who}: {name}", m) for m in reply.messages)
        assert reply.ok, [m.data for m in reply.messages]
        return reply

    async def try_(self, who: str, name: str, ref: str | None = "C-0001", **args: object) -> None:
        """An action that may be refused: its answer is shown all the same."""
        reply = await self.world.act(who, name, ref, **args)
        self.replies.extend((f"reply to {who}: {name}", m) for m in reply.messages)

    async def shown(self) -> Iterator[Shown]:
        async with self.world.uow_factory() as uow:
            tenant = await uow.tenants.by_key("console:local")
            outbox = []
            for ref in REFS:
                case = await uow.cases.by_ref(tenant.id, ref)
                if case is not None:
                    outbox.extend(await uow.outbox.for_case(case.id))
        messages: list[tuple[str, Message]] = list(self.replies)
        messages += [(f"outbox {m.kind} to {m.recipient}",
                      from_payload(resolve_links(m.payload, self.world.deps))) for m in outbox]
        return [Shown(origin, *texts_of(card_for(message))) for origin, message in messages]


def next_working_day(world: World) -> str:
    """10:00 on the next working day: a time the talk may be held."""
    return world.deps.calendar.add_working_days(world.clock.now(), 1).astimezone(SHANGHAI).strftime(
        "%Y-%m-%d 10:00")


async def whole_case(locale: str) -> Run:
    world = await make_world(MemoryDatabase().unit_of_work, ManualClock(START), everyone=locale)
    run = Run(world, locale)
    typed = run.typed
    await run.ok("lee", "help", None)
    await run.ok("lee", "open", None, employee="@alice", ground="incompetent", note=typed["note"])
    await run.try_("lee", "submit")  # refused: evidence missing
    for req in requirements(Ground.INCOMPETENT):
        for n in range(req.min_count):
            await run.ok("lee", "evidence", kind=sorted(req.accepts)[0],
                         content=f"{typed['evidence']} {n + 1}: https://hr.example/{req.key}/{n}")
    await run.ok("lee", "status")
    await run.ok("lee", "submit")
    await world.advance_to(world.clock.now() + timedelta(days=12))  # review waits: reminders, escalation
    await run.try_("wangfang", "approve")  # refused: facts not confirmed
    await run.ok("wangfang", "facts", facts=FACTS)
    await run.ok("wangfang", "facts", facts={**FACTS, "confirm": "yes"})
    await run.ok("wangfang", "approve")
    await run.ok("wangfang", "schedule", when=next_working_day(world))
    await run.ok("lee", "confirm_attendance")
    talk_at = (await world.case()).record.talk_at
    await world.advance_to(talk_at - timedelta(minutes=30))  # the talk reminder
    world.clock.set(talk_at + timedelta(hours=1))
    await run.ok("wangfang", "record_talk")
    entered = (await world.case()).state_entered_at
    await world.advance_to(entered + timedelta(hours=25))  # the card again, as a reminder
    await run.ok("alice", "acknowledge")
    await run.ok("alice", "ask_meeting", text=typed["dispute"])
    await world.advance_to(world.clock.now() + timedelta(days=5))  # HR warned: unsigned
    await run.ok("alice", "dispute", reason=typed["dispute"])
    await run.ok("wangfang", "facts", facts={"avg_wage": "13000", "written_reasons": "no"})  # v2, told
    await run.ok("wangfang", "revise", text=typed["revise"])
    step = await run.ok("alice", "sign")  # the confirmation step (hash and statement); its button signs
    shown = next(m for m in step.messages if m.kind == "sign_confirm")
    await run.ok("alice", "sign", version=shown.case_version, document_hash=shown.data["document_hash"])
    await run.ok("wangfang", "status")
    case = await world.case()
    async with world.uow_factory() as uow:
        items = await uow.handover.for_case(case.id)
        owners = {i.id: (await uow.people.get(i.owner_id)).employee_no for i in items}
    await world.advance_to(world.clock.now() + timedelta(days=40))  # item reminders and escalations
    handles = {no: handle for handle, (no, *_rest) in PEOPLE.items()}
    for number, item in enumerate(sorted(items, key=lambda i: i.id), start=1):
        await run.ok(handles[owners[item.id]], "complete_item", item=str(number))
    assert (await world.case()).state == "closed"
    await run.ok("zhao", "report", None)
    # A second case: the employee never answers, the case escalates, HR serves the notice.
    await run.ok("mike", "open", None, employee="@carol", ground="mutual", note=typed["note"])
    for req in requirements(Ground.MUTUAL):
        for n in range(req.min_count):
            await run.ok("mike", "evidence", "C-0002", kind=sorted(req.accepts)[0],
                         content=f"{typed['evidence']} {n + 1}")
    await run.ok("mike", "submit", "C-0002")
    await run.ok("zhao", "facts", "C-0002", facts={**FACTS, "last_day": "2024-09-30", "confirm": "yes"})
    await run.ok("zhao", "approve", "C-0002")
    await run.ok("zhao", "schedule", "C-0002", when=next_working_day(world))
    await run.ok("mike", "confirm_attendance", "C-0002")
    second = await world.case("C-0002")
    world.clock.set(second.record.talk_at + timedelta(hours=1))
    await run.ok("zhao", "record_talk", "C-0002")
    await world.advance_to(world.clock.now() + timedelta(days=8))
    assert (await world.case("C-0002")).state == "escalated"
    await run.ok("zhao", "record_notice_served", "C-0002", text=typed["served"])
    # A third case sent back and then rejected, a fourth withdrawn; a stranger and a typo.
    await run.ok("lee", "open", None, employee="@bob", ground="misconduct", note=typed["note"])
    for req in requirements(Ground.MISCONDUCT):
        for n in range(req.min_count):
            await run.ok("lee", "evidence", "C-0003", kind=sorted(req.accepts)[0],
                         content=f"{typed['evidence']} {n + 1}")
    await run.ok("lee", "submit", "C-0003")
    await run.ok("wangfang", "request_changes", "C-0003", comment=typed["revise"])
    await run.ok("lee", "submit", "C-0003")
    await run.ok("zhao", "reject", "C-0003", reason=typed["revise"])
    await run.ok("lee", "open", None, employee="@bob", ground="incompetent", note=typed["note"])
    await run.ok("lee", "withdraw", "C-0004", reason=typed["revise"])
    await run.try_("stranger", "status", None)
    await run.try_("lee", "parse_error", None, code="router.unknown_verb", params={"value": "frobnicate"})
    await run.try_("alice", "approve", "C-0004")  # not hers to see
    return run


def seeded(locale: str) -> list[str]:
    """Words the run put in: people's names and numbers, what they typed — shown as written."""
    return [*NAMES, *TYPED[locale].values()]


def leaks(shown: Shown, locale: str) -> list[str]:
    text = shown.text
    for word in sorted(seeded(locale), key=len, reverse=True):
        text = text.replace(word, " ")
    found = [f"raw key {m}" for m in RAW_KEY.findall(text)]
    found += [f"tag {m}" for m in TAG.findall(text)]
    found += [f"placeholder {m}" for m in PLACEHOLDER.findall(text)]
    found += [f"fact key {m}" for m in FACT_KEYS.findall(text)]
    if locale != "en":  # the Chinese command spells its facts in Chinese (入职=…)
        found += [f"typed fact key {m}" for m in TYPED_FACT.findall(text)]
    if locale == "en":
        found += [f"Chinese {line.strip()!r}" for line in text.splitlines() if CJK.search(line)]
    else:  # labels and texts alike: Latin letters only where Chinese writes them too
        for line in [*shown.labels, *text.splitlines()]:
            for name in sorted(seeded(locale), key=len, reverse=True):
                line = line.replace(name, " ")
            line = re.sub(r"https?://\S+|C-\d+|SHA-256( [0-9a-f]+)?|\b[0-9a-f]{64}\b", " ", line)
            found += [f"English {w!r} in {line.strip()!r}" for w in LATIN_WORD.findall(line)
                      if w not in ALLOWED_LATIN]
    return found


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_a_whole_case_speaks_one_language(locale: str) -> None:
    run = await whole_case(locale)
    shown = await run.shown()
    assert len(shown) > 60, len(shown)  # the run really produced the cards it checks
    problems = sorted({f"{s.origin}: {problem}" for s in shown for problem in leaks(s, locale)})
    assert problems == [], "\n".join(problems)


def test_the_checks_catch_what_they_look_for() -> None:
    """Each check fires on the leak it names (so an empty list above means something)."""
    card = Card(title="[warning] 案件", text="avg_wage {due} action.sign", fields=(("Employee", "x"),))
    zh = leaks(Shown("t", *texts_of(card)), "zh-CN")
    en = leaks(Shown("t", *texts_of(card)), "en")
    assert any(p.startswith("tag") for p in zh) and any(p.startswith("raw key action.sign") for p in zh)
    assert any(p.startswith("placeholder") for p in zh) and any(p.startswith("fact key") for p in zh)
    assert any(p.startswith("English 'Employee'") for p in zh)
    assert any(p.startswith("Chinese") for p in en)
