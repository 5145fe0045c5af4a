"""The action table against what implements it: every name a spec uses has its one implementation,
every text it names exists in both languages, and the machine is exactly the table's steps."""

from __future__ import annotations

import pytest

import bot.cards.build  # noqa: F401 - registers the card.* texts the specs name
import handlers.dispatch  # noqa: F401 - registers every handler text
from handlers.dispatch import ROUTES
from handlers.effects import EFFECT_RUNNERS
from handlers.notify import EXTRAS, PARAMS, PROMPTS
from handlers.timers import FIRES
from workflow.actions import ACTIONS, BY_NAME, TOLD_TITLE, Action, Effect, Param
from workflow.guards import Attempt
from workflow.i18n import LOCALES, has, t
from workflow.machine import machine_definition
from workflow.model import Party, Trigger
from workflow.policy import TimerAction

IDS = [a.name for a in ACTIONS]


def test_one_spec_per_trigger_and_name() -> None:
    assert len(BY_NAME) == len(ACTIONS)
    assert sorted(a.trigger for a in ACTIONS if a.trigger) == sorted(Trigger)
    assert all(a.name == a.trigger.value for a in ACTIONS if a.trigger)


def test_the_machine_is_the_tables_steps() -> None:
    transitions = machine_definition()["transitions"]
    steps = [(a.trigger.value, s.source.value, s.target.value if s.target else None)
             for a in ACTIONS if a.trigger for s in a.steps]
    assert [(tr["trigger"], tr["source"], tr["dest"]) for tr in transitions] == steps


@pytest.mark.parametrize("action", ACTIONS, ids=IDS)
def test_every_route_is_known(action: Action) -> None:
    assert action.name in ROUTES


@pytest.mark.parametrize("action", ACTIONS, ids=IDS)
def test_every_text_a_spec_names_exists_in_both_languages(action: Action) -> None:
    keys = [field.label_key for field in action.inputs if field.on_form]
    keys += [f"card.confirm.{action.name}"] if action.confirm else []
    keys += [key for n in action.notices if n.title != TOLD_TITLE for key in (n.title, n.text)]
    keys += [f"action.{action.name}"] if action.trigger or action.button else []
    for key in keys:
        assert has(key), key
        for locale in LOCALES:
            assert t(key, locale, **{p.value: "x" for p in Param}, action="x", who="x", state="x")


@pytest.mark.parametrize("action", ACTIONS, ids=IDS)
def test_every_name_a_spec_uses_is_implemented(action: Action) -> None:
    for notice in action.notices:
        assert set(notice.params) <= set(PARAMS)
        assert notice.extra in {"", *EXTRAS}
        assert notice.card in {"", "hr_review", "employee_decision"}
        assert notice.fields in {"", "signing_status"}
        assert set(notice.buttons) <= set(BY_NAME)
    assert set(action.prompts) <= set(PROMPTS)
    assert action.answer in {"told", "item_done", "meeting_request"}
    assert action.follow_up in {"", "finish_when_items_done"}


def test_every_effect_has_its_one_implementation() -> None:
    assert set(EFFECT_RUNNERS) == set(Effect)
    assert set(PARAMS) == set(Param)


def test_what_only_the_system_does_is_fired_by_a_timer_or_follows_another_action() -> None:
    for action in ACTIONS:
        if any(step.parties == (Party.SYSTEM,) for step in action.steps):
            assert action.fired_by is not None, action.name
            assert not action.button
    assert {TimerAction.ESCALATE: BY_NAME["escalate"], TimerAction.FINISH: BY_NAME["finish"]} == FIRES
    assert any(a.follow_up == "finish_when_items_done" for a in ACTIONS)


def test_inputs_a_guard_reads_are_attempt_fields() -> None:
    for action in ACTIONS:
        for field in action.inputs:
            if field.attempt:
                assert field.attempt in Attempt.__dataclass_fields__, (action.name, field.name)
