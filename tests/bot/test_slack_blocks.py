"""Card → Block Kit, modals and the Home tab: every payload passes slack_sdk.models validation (a
block written as JSON parses back to exactly itself) and the limits Slack adds (50 blocks a
message, 100 a view, 2000 a field or button value, 3000 of private_metadata), whatever the
content; user text never turns into a mention or a link."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.cards.build import inputs_for
from bot.cards.model import ActionRef, decode_action
from bot.channels.slack.blocks import MESSAGE_BLOCKS, render_message, render_messages, without_buttons
from bot.channels.slack.inbound.home import home_view
from bot.channels.slack.inbound.listeners.commands import form_for
from bot.channels.slack.inbound.modals import (
    Origin,
    form_view,
    metadata,
    missing,
    read_metadata,
    read_values,
    submitted,
)
from handlers.contracts import Message
from handlers.home import CASE, SECTION
from workflow.commands import BY_NAME


def _valid_message(blocks: list[dict[str, Any]]) -> None:
    assert 0 < len(blocks) <= MESSAGE_BLOCKS
    for raw in blocks:
        parsed = Block.parse(raw)
        parsed.validate_json()
        assert parsed.to_dict() == raw  # the JSON slack_sdk would write for the same block
        for item in raw.get("fields") or []:
            assert len(item["text"]) <= 2000
        for element in raw.get("elements") or []:
            assert len(str(element.get("value") or "")) <= 2000


def _buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [decode_action(e["value"]).action for b in blocks if b["type"] == "actions"
            for e in b["elements"]]


def _message(text: str = "", fields: list[list[str]] | None = None,
             actions: tuple[str, ...] = (), title: str = "C-0007 review") -> Message:
    return Message(kind="hr_review", recipient="person:1", locale="en", case_ref="C-0007",
                   case_version=3, actions=actions,
                   data={"title": title, "text": text, "fields": fields or [], "state": "HR review"})


def test_a_huge_card_is_shortened_but_keeps_every_button() -> None:
    actions = ("confirm_facts", "approve", "request_changes", "reject")
    message = _message("x" * 20_000, [[f"label {n}", "v" * 5000] for n in range(80)], actions,
                       title="T" * 400)
    rendered = render_message(message, "T1")
    _valid_message(rendered.blocks)
    assert len(rendered.blocks) == MESSAGE_BLOCKS
    assert _buttons(rendered.blocks) == list(actions)
    assert "/offboard status C-0007" in str(rendered.blocks)  # where the whole is
    assert len(rendered.text) <= 3000


def test_user_text_never_becomes_a_mention_or_link() -> None:
    rendered = render_message(_message("<!channel> <https://evil.example|click> & more"), "T1")
    shown = str(rendered.blocks)
    assert "<!channel>" not in shown and "<https://" not in shown
    assert "&lt;!channel&gt;" in shown and "&amp; more" in shown


def test_buttons_carry_their_case_and_the_workspace_they_were_drawn_for() -> None:
    blocks = render_message(_message(actions=("approve", "reject")), "T9").blocks
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert actions["block_id"].startswith("ob|T9|")
    approve, reject = actions["elements"]
    assert approve["action_id"].startswith("ob.act.") and approve["value"] == "v1|C-0007|approve|3"
    assert reject["action_id"].startswith("ob.form.")  # a reason is needed: a modal first
    assert "confirm" not in reject  # a form is confirmed by its own Submit, not a dialog


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=6000),
    fields=st.lists(st.tuples(st.text(max_size=300), st.text(max_size=4000)), max_size=40),
    actions=st.lists(st.sampled_from(sorted(BY_NAME)), max_size=30, unique=True),
)
def test_any_card_renders_valid_blocks(text: str, fields: list[tuple[str, str]],
                                       actions: list[str]) -> None:
    message = _message(text, [list(f) for f in fields], tuple(actions))
    rendered = render_message(message, "T1")
    _valid_message(rendered.blocks)
    assert _buttons(rendered.blocks) == list(actions)


def test_several_replies_make_one_message_within_the_limit() -> None:
    replies = [_message("y" * 9000, [["k", "v" * 3000]] * 12) for _ in range(4)]
    replies.append(_message("last", actions=("submit",)))
    rendered = render_messages(replies, "T1")
    _valid_message(rendered.blocks)
    assert _buttons(rendered.blocks) == ["submit"]


def test_a_pressed_message_loses_its_buttons_and_says_who_did_what() -> None:
    blocks = render_message(_message("body", actions=("approve",)), "T1").blocks
    done = without_buttons(blocks, "✅ Approve by <@U1> at <!date^1717380000^{time}|09:00>")
    _valid_message(done)
    assert not _buttons(done) and "<@U1>" in str(done[-1])


def _forms() -> list[ActionRef]:
    refs = [ActionRef("open", None, None)]
    refs += [ActionRef(name, "C-0007", 4) for name in sorted(BY_NAME) if inputs_for(name, "en")]
    return refs


def test_every_form_is_a_valid_modal_with_a_bounded_private_metadata() -> None:
    long = Origin(value="v1|C-0007|reject|4", channel="D" * 100, ts="1.2",
                  response_url="https://hooks.slack.com/" + "r" * 3000, title="T" * 150)
    for ref in _forms():
        for locale in ("en", "zh-CN"):
            view = form_view(ref, locale, long)
            View(**view).validate_json()
            assert len(view["blocks"]) <= 100
            origin = read_metadata(view["private_metadata"])
            assert origin is not None and origin.value == long.value and origin.channel


def test_metadata_drops_the_least_needed_first() -> None:
    origin = Origin(value="v1|C-0007|reject|4", channel="D1", ts="1.2",
                    response_url="https://hooks.slack.com/" + "r" * 2900, title="T" * 150)
    kept = read_metadata(metadata(origin))
    assert kept == Origin(value=origin.value, channel="D1", ts="1.2", response_url=origin.response_url)
    assert read_metadata("not json") is None and read_metadata('{"value": 3}') is None


def _state(values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"values": {block: {"value": element} for block, element in values.items()}}


def test_submitted_forms_give_the_args_a_typed_command_would() -> None:
    schedule = read_values(_state({
        "talk_at.date": {"type": "datepicker", "selected_date": "2024-06-04"},
        "talk_at.time": {"type": "timepicker", "selected_time": "10:00"}}))
    assert submitted(ActionRef("schedule", "C-0007", 4), schedule) == (
        "schedule", {"talk_at": "2024-06-04 10:00"})
    facts = read_values(_state({
        "fact.last_day": {"type": "datepicker", "selected_date": "2024-06-30"},
        "fact.avg_wage": {"type": "number_input", "value": " 12000 "},
        "fact.pay_in_lieu": {"type": "static_select", "selected_option": {"value": "yes"}},
        "fact.protections": {"type": "checkboxes", "selected_options": [{"value": "pregnant"},
                                                                        {"value": "nursing"}]},
        "fact.prev_wage": {"type": "number_input", "value": ""},
        "confirm": {"type": "checkboxes", "selected_options": []}}))
    assert submitted(ActionRef("confirm_facts", "C-0007", 4), facts) == ("facts", {"facts": {
        "last_day": "2024-06-30", "avg_wage": "12000", "pay_in_lieu": "yes",
        "protections": "pregnant,nursing"}})
    opening = read_values(_state({
        "employee": {"type": "users_select", "selected_user": "U1"},
        "ground": {"type": "static_select", "selected_option": {"value": "misconduct"}}}))
    assert submitted(ActionRef("open", None, None), opening) == (
        "open", {"employee": "U1", "ground": "misconduct"})


def test_required_inputs_left_empty_are_named() -> None:
    assert missing(ActionRef("reject", "C-0007", 4), {}, "en") == {"reason": "Please fill this in."}
    assert set(missing(ActionRef("schedule", "C-0007", 4), {"talk_at.date": "2024-06-04"}, "en")) == {
        "talk_at.time"}
    assert missing(ActionRef("confirm_facts", "C-0007", 4), {}, "en") == {}


def test_commands_that_lack_only_their_form_open_it() -> None:
    assert form_for("") == ActionRef("open", None, None)
    assert form_for("open") == ActionRef("open", None, None)
    assert form_for("evidence C-0007") == ActionRef("evidence", "C-0007", None)
    assert form_for("驳回 7") == ActionRef("reject", "C-0007", None)
    assert form_for("schedule C-0007") == ActionRef("schedule", "C-0007", None)
    assert form_for("evidence") is None  # which case? the help answers that
    assert form_for("status") is None
    assert form_for("approve C-0007") is None


def test_the_home_tab_stays_within_100_blocks() -> None:
    entries = [Message(kind=SECTION, recipient="", locale="en", data={"title": "The queue"})]
    entries += [Message(kind=CASE, recipient="person:1", locale="en", case_ref=f"C-{n:04d}",
                        case_version=1, actions=("approve", "reject"),
                        data={"title": f"C-{n:04d} · someone", "text": "HR review"})
                for n in range(1, 120)]
    view = home_view(entries, "T1", "en")
    View(**view).validate_json()
    assert len(view["blocks"]) <= 100
    assert "more not shown" in str(view["blocks"][-1])
