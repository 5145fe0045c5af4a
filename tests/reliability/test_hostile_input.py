"""Hostile input, generated: typed commands (English and Chinese), card presses, facts and the
settlement calculator's inputs. Every input gets an answer; nothing changes unless it was done.

tests/bot/test_router.py and test_cards.py already show the parser and the decoder never raise
on their own; here their output goes on through `handlers.dispatch.handle` against real case
states (SQLite snapshots), and the grammar is checked generatively in both languages.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import bot.cli
from bot.cards.model import Button, decode_action, encode_action
from bot.router import Parsed, parse, parse_action, to_inbound
from handlers.assessment import FactError, known_fact_keys, parse_fact
from handlers.contracts import Inbound, Reply
from handlers.dispatch import handle
from tests.reliability import refusals
from tests.reliability.authz_world import (
    REF,
    ROLES,
    Footprint,
    Snapshot,
    StateCopy,
    deps_at,
    observe,
)
from workflow.commands import COMMANDS, Rest
from workflow.i18n import normalise_locale
from workflow.model import State, Trigger

T = TypeVar("T")
STATES = (State.HR_REVIEW, State.AWAITING_EMPLOYEE, State.HANDOVER)
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Stage:
    """The case in a few states, each on its own SQLite copy, driven from one event loop."""

    def __init__(self, snapshots: dict[State, Snapshot], directory: Path) -> None:
        self.runner = asyncio.Runner()
        self.copies = {state: StateCopy(snapshots[state], directory / f"{state.value}-copy.db") for state in STATES}
        self.deps = {state: deps_at(snapshots[state].now) for state in STATES}
        for copy in self.copies.values():
            self.run(copy.fresh())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)

    def send(self, state: State, inbound: Inbound) -> tuple[Reply | None, Footprint, Footprint]:
        """Dispatch; (reply, before, after). A copy that changed is renewed for the next example."""
        copy = self.copies[state]

        async def go() -> tuple[Reply | None, Footprint, Footprint]:
            before, _ = await observe(copy.uow_factory)
            reply = await handle(inbound, copy.uow_factory, self.deps[state])
            after, _ = await observe(copy.uow_factory)
            if after != before:
                await copy.fresh()
            return reply, before, after

        return self.run(go())

    def close(self) -> None:
        for copy in self.copies.values():
            self.run(copy.close())
        self.runner.close()


@pytest.fixture(scope="module")
def stage(snapshots: dict[State, Snapshot], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    stage = Stage(snapshots, tmp_path_factory.mktemp("hostile"))
    yield stage
    stage.close()


def answered(role: str, reply: Reply | None, before: Footprint, after: Footprint, *,
             written: str | None = None) -> bool:
    """The invariant of every request: an answer in the asker's language — the language the command
    was typed in (`written`, when the router recognised it), else their directory's — and no change
    unless it was done (a known crash must at least have changed nothing). True when answered."""
    if reply is None or not reply.ok:
        assert after == before
    if reply is None:
        return False
    assert reply.messages, "no answer at all"
    assert all(m.data.get("title") or m.data.get("text") for m in reply.messages)
    shown = [(m.kind, m.locale, m.data.get("title")) for m in reply.messages]
    assert {m.locale for m in reply.messages} == {normalise_locale(written or ROLES[role].locale)}, shown
    return True


# ------------------------------------------------------------------ typed commands


_WORDS = sorted({verb for command in COMMANDS for verb in (*command.en, *command.zh)})
_AWKWARD = st.sampled_from([
    "\u3000", "\u200b", "\ufeff", "\x00", "\r\n", "@", "＠", "<@U123>", "C-", "#", "７", "=", "＝", "：",
    "hired=", "avg_wage=1e999", "protections=pregnant,", "confirm=是", "'; DROP TABLE cases; --", "%s%n",
    "{ref}", "{0}", "\U0001f600", "\u202e", "İ", "ß", "𝔘", "\ud7ff", "2024-02-30 25:61", "9" * 40,
])
_REFS = st.sampled_from(["C-0001", "c-1", "1", "C-1", "C-0002", "C-9999", "C-", "0", "-1", "１", "C-" + "9" * 30])
_TAIL = st.lists(st.one_of(st.text(max_size=12), _AWKWARD), max_size=6).map(" ".join)
COMMAND_LIKE = st.builds(lambda intro, verb, ref, tail: f"{intro}{verb} {ref} {tail}",
                         st.sampled_from(["", "/offboard ", "offboard ", "退工 ", "退工", "/退工 "]),
                         st.sampled_from(_WORDS), _REFS, _TAIL)
TYPED = st.one_of(COMMAND_LIKE, st.text(max_size=80), _TAIL)
ROLE = st.sampled_from(sorted(ROLES))


@FUZZ
@given(text=TYPED, role=ROLE, state=st.sampled_from(STATES))
def test_any_typed_text_is_answered_and_changes_nothing_unless_done(stage: Stage, text: str, role: str,
                                                                     state: State) -> None:
    actor = ROLES[role]
    inbound = to_inbound(parse(text), platform="console", platform_tenant=actor.platform_tenant,
                         user_id=actor.user_id)
    answered(role, *stage.send(state, inbound), written=inbound.written)


_NOTE_COMMANDS = [c for c in COMMANDS if c.case == "required" and c.rest in (Rest.NOTHING, Rest.TEXT)]
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def _clean_tail(text: str) -> bool:
    return bool(text) and text == text.strip().strip(_ZERO_WIDTH) and text.strip(_ZERO_WIDTH + " \t\n") == text


@given(command=st.sampled_from(_NOTE_COMMANDS), data=st.data(), number=st.integers(1, 99_999),
       tail=st.text(min_size=1, max_size=40))
def test_a_command_with_a_case_and_free_text_parses_alike_in_both_languages(command: Any, data: st.DataObject,
                                                                           number: int, tail: str) -> None:
    assume(_clean_tail(tail))
    verb = data.draw(st.sampled_from((*command.en, *command.zh)), label="verb")
    intro = data.draw(st.sampled_from(["", "/offboard ", "退工 "]), label="intro")
    expected = Parsed(command.name, f"C-{number:04d}", {command.key: tail})
    assert parse(f"{intro}{verb} {number} {tail}") == expected
    assert parse(f"{intro}{verb}\u3000C-{number}\u3000{tail}") == expected  # ideographic spaces
    if not verb.isascii():  # Chinese users glue the verb to the case number
        assert parse(f"{intro}{verb}{number} {tail}") == expected


# ------------------------------------------------------------------ card presses


_ACTION_NAMES = st.one_of(st.sampled_from(sorted({c.name for c in COMMANDS} | {"open_case", "finish", "escalate"})),
                          st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True))
_ENCODED = st.builds(
    lambda action, ref, version, arg: encode_action(Button(action, "label", ref, version, arg=arg)),
    _ACTION_NAMES, st.sampled_from([REF, "C-0002", None]), st.one_of(st.none(), st.integers(0, 40)),
    st.one_of(st.none(), st.sampled_from(["1", "3", "99", "x"])),
)
PRESSES = st.one_of(_ENCODED, st.text(max_size=60), _ENCODED.map(lambda v: v[:-1]), _ENCODED.map(lambda v: v + "|x"))
# Presses that reach the freshness check before anything else can refuse them.
_FRESHNESS_FIRST = {t.value for t in Trigger} - {Trigger.SCHEDULE.value, Trigger.COMPLETE_ITEM.value}
_ALWAYS_ON_THE_CASE = {"manager", "hr"}


@FUZZ
@given(value=PRESSES, role=ROLE, state=st.sampled_from(STATES), typed=_TAIL)
def test_any_card_press_is_answered_and_a_stale_one_changes_nothing(stage: Stage, value: str, role: str,
                                                                    state: State, typed: str) -> None:
    ref = decode_action(value)
    assume(ref is not None)  # an unreadable button value is the channel's to answer
    assert ref is not None
    actor = ROLES[role]
    parsed = parse_action(ref.action, ref.case_ref, typed, arg=ref.arg)
    inbound = to_inbound(parsed, platform="console", platform_tenant=actor.platform_tenant, user_id=actor.user_id,
                         case_version=ref.case_version)
    reply, before, after = stage.send(state, inbound)
    if not answered(role, reply, before, after, written=inbound.written):
        return
    assert reply is not None
    stale = ref.case_version is not None and ref.case_version != before.version
    if (stale and actor.in_tenant and ref.case_ref == REF and isinstance(parsed, Parsed)
            and parsed.name in _FRESHNESS_FIRST):
        assert not reply.ok and after == before
        text = str(reply.messages[0].data["text"])
        if role not in _ALWAYS_ON_THE_CASE and refusals.matches("h.unknown_case", text):
            # Not on the case (an employee before the talk, anyone else's press): it reads as unknown,
            # stale or not, and shows nothing of it.
            assert len(reply.messages) == 1, reply.messages
        else:
            assert refusals.matches("h.stale_card", text), reply.messages[0].data


def test_a_stale_press_by_someone_not_on_the_case_shows_them_nothing_of_it(stage: Stage) -> None:
    bob = ROLES["other_employee"]
    inbound = Inbound(platform="console", platform_tenant="local", user_id=bob.user_id, name="approve",
                      case_ref=REF, case_version=1)
    reply, before, after = stage.send(State.HR_REVIEW, inbound)
    assert reply is not None and not reply.ok and after == before
    assert "Alice" not in " ".join(str(m.data) for m in reply.messages)


# ------------------------------------------------------------------ facts and the settlement calculator


_PLAUSIBLE = st.sampled_from(["12000", "1,234.5", "0", "-1", "1e8", "1e999", "NaN", "Infinity", "١٢٣", "12000元",
                              "2019-03-15", "2024-06-30", "2024-02-30", "1899-12-31", "2200-01-01", "yes", "否",
                              "pregnant", "pregnant,nursing", "pregnant，maternity", "employer", "boss", ""])
_FACTS = st.dictionaries(st.one_of(st.sampled_from(known_fact_keys()), st.text(max_size=8)),
                         st.one_of(_PLAUSIBLE, st.text(max_size=20)), max_size=4)


@given(key=st.sampled_from(known_fact_keys()), raw=st.one_of(_PLAUSIBLE, st.text(max_size=40)))
def test_a_fact_is_read_or_refused_with_the_form_it_needs(key: str, raw: str) -> None:
    try:
        value = parse_fact(key, raw)
    except FactError as error:
        assert error.key == key and error.why
        return
    if not isinstance(value, list):  # what was stored reads back as itself
        assert parse_fact(key, str(value).lower() if isinstance(value, bool) else str(value)) == value


@FUZZ
@given(facts=_FACTS, confirm=st.booleans())
def test_any_facts_from_hr_are_saved_or_refused_never_half_saved(stage: Stage, facts: dict[str, str],
                                                                 confirm: bool) -> None:
    inbound = Inbound(platform="console", platform_tenant="local", user_id="wangfang",
                      name="confirm_facts" if confirm else "facts", case_ref=REF, args={"facts": facts})
    answered("hr", *stage.send(State.HR_REVIEW, inbound))


@pytest.mark.parametrize("facts", [{"hired": "2030-01-01"}, {"last_day": "1899-12-31"}, {"hired": "2200-01-01"}])
def test_facts_the_calculator_rejects_are_refused_with_a_reason(stage: Stage, facts: dict[str, str]) -> None:
    inbound = Inbound(platform="console", platform_tenant="local", user_id="wangfang", name="facts",
                      case_ref=REF, args={"facts": facts})
    reply = stage.run(handle(inbound, stage.copies[State.HR_REVIEW].uow_factory, stage.deps[State.HR_REVIEW]))
    assert not reply.ok and reply.messages


def test_a_fact_that_does_not_parse_is_refused_naming_the_fact(stage: Stage) -> None:
    inbound = Inbound(platform="console", platform_tenant="local", user_id="wangfang", name="facts",
                      case_ref=REF, args={"facts": {"avg_wage": "twelve thousand"}})
    reply = stage.run(handle(inbound, stage.copies[State.HR_REVIEW].uow_factory, stage.deps[State.HR_REVIEW]))
    assert not reply.ok and "avg_wage" in str(reply.messages[0].data)


SETTLEMENT_REQUIRED = {"--ground": "incompetent", "--hired": "2019-03-15", "--last-day": "2024-06-30",
                       "--avg-wage": "12000"}
SETTLEMENT_TEXT_OPTIONS = ("--ground", "--hired", "--last-day", "--avg-wage", "--prev-wage", "--local-avg",
                           "--min-wage", "--contract-months", "--probation-months", "--proposed-by",
                           "--pre2008-rounding", "--lang")


def settlement(**options: str) -> tuple[int, str, str]:
    """`python -m bot settlement` in-process: (exit status, stdout, stderr)."""
    argv = ["settlement"] + [part for name, value in {**SETTLEMENT_REQUIRED, **options}.items()
                             for part in (name, value)]
    out, err = io.StringIO(), io.StringIO()
    with (mock.patch.object(bot.cli, "configure_logging", lambda level: None),
          contextlib.redirect_stdout(out), contextlib.redirect_stderr(err)):
        status = bot.cli.main(argv)
    return status, out.getvalue(), err.getvalue()


@settings(max_examples=50, deadline=None)
@given(options=st.dictionaries(st.sampled_from(SETTLEMENT_TEXT_OPTIONS),
                               st.one_of(_PLAUSIBLE, st.text(max_size=20)).filter(lambda v: not v.startswith("-")),
                               min_size=1, max_size=3))
def test_the_settlement_calculator_answers_any_input_without_a_traceback(options: dict[str, str]) -> None:
    status, out, err = settlement(**options)
    assert status in (0, 2)
    assert "Traceback" not in out + err
    if status == 2:
        assert out == "" and err.strip()


@pytest.mark.parametrize("options", [{"--avg-wage": "1e30"}, {"--contract-months": "²"}])
def test_the_settlement_calculator_names_the_bad_option(options: dict[str, str]) -> None:
    status, _, err = settlement(**options)
    assert status == 2 and next(iter(options)) in err
