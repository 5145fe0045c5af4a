"""Cards built from handler Messages, their compact button values, and their console text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import workflow.machine  # noqa: F401 - registers the action.* labels, as the handlers do
from bot.cards.build import card_for
from bot.cards.model import ActionRef, Button, Card, decode_action, encode_action
from bot.cards.text import display_width, render_text
from handlers.contracts import Message


def review(locale: str = "en", **overrides: object) -> Message:
    fields: dict = {
        "kind": "hr_review", "recipient": "person:4", "locale": locale, "case_ref": "C-0007",
        "case_version": 5,
        "data": {"title": "For review: case C-0007", "text": "Lee submitted the case.",
                 "fields": [["Employee", "Alice (E002)"], ["Ground", "incompetent"]],
                 "state": "HR review", "to": "王芳", "footer": "Facts confirmed"},
        "actions": ("approve", "request_changes", "reject"),
    }
    fields.update(overrides)
    return Message(**fields)  # type: ignore[arg-type]


def test_card_follows_the_message_data_convention() -> None:
    card = card_for(review())
    assert card.title == "For review: case C-0007"
    assert card.text == "Lee submitted the case."
    assert card.fields == (("Employee", "Alice (E002)"), ("Ground", "incompetent"))
    assert (card.state, card.footer, card.locale) == ("HR review", "Facts confirmed", "en")
    assert [b.label for b in card.actions] == ["Approve", "Request changes", "Reject"]
    assert {(b.case_ref, b.case_version) for b in card.actions} == {("C-0007", 5)}


def test_labels_follow_the_reader_language() -> None:
    card = card_for(review("zh-CN"))
    assert [b.label for b in card.actions] == ["同意", "退回修改", "驳回"]
    assert card.locale == "zh-CN"


def test_an_action_without_a_label_shows_its_name_instead_of_failing() -> None:
    card = card_for(review(actions=("approve", "brand_new_action")))
    assert card.actions[1].label == "brand_new_action"


@pytest.mark.parametrize("action", ["reject", "withdraw", "dispute", "proceed_unilateral"])
def test_actions_that_cannot_be_undone_are_red_and_ask_first(action: str) -> None:
    for locale in ("en", "zh-CN"):
        (button,) = card_for(review(locale, actions=(action,))).actions
        assert button.style == "danger"
        assert button.confirm and "C-0007" in button.confirm


def test_ordinary_actions_do_not_ask_first() -> None:
    approve, request_changes, _reject = card_for(review()).actions
    assert approve.style == "primary" and approve.confirm is None
    assert request_changes.style is None and request_changes.confirm is None


def test_buttons_say_what_they_need_typed() -> None:
    approve, request_changes, reject = card_for(review()).actions
    assert approve.inputs == ()
    assert [(i.name, i.kind, i.required) for i in request_changes.inputs] == [
        ("comment", "text", True)]
    assert [(i.name, i.required) for i in reject.inputs] == [("reason", True)]
    (schedule,) = card_for(review(actions=("schedule",))).actions
    assert [(i.name, i.kind) for i in schedule.inputs] == [("talk_at", "datetime")]
    (meeting,) = card_for(review(actions=("ask_meeting",))).actions
    assert [(i.name, i.required) for i in meeting.inputs] == [("text", False)]
    (opening,) = card_for(review("zh-CN", actions=("open_case",))).actions
    ground = opening.inputs[1]
    assert ground.kind == "select" and ("incompetent", "不能胜任") in ground.options


def test_a_handover_item_card_fixes_the_item_on_its_button() -> None:
    message = review(kind="handover_item", actions=("complete_item",),
                     data={"title": "Handover item", "item": 12})
    (button,) = card_for(message).actions
    assert button.arg == "12" and button.inputs == ()
    assert decode_action(encode_action(button)) == ActionRef("complete_item", "C-0007", 5, "12")
    (unfixed,) = card_for(review(actions=("complete_item",))).actions
    assert unfixed.arg is None and [i.name for i in unfixed.inputs] == ["item"]


def test_a_signing_confirmation_names_its_hash_and_asks_first() -> None:
    sha = "0f" * 32
    plain = card_for(review(actions=("sign",))).actions[0]
    assert (plain.label, plain.arg, plain.confirm) == ("Sign", None, None)  # a tap brings the step
    for locale, label in (("en", "I agree — sign"), ("zh-CN", "我已阅读并同意，签署")):
        step = card_for(review(locale, actions=("sign",), data={"title": "t", "document_hash": sha}))
        [button] = step.actions
        assert (button.label, button.arg, button.style) == (label, sha, "primary")
        assert button.confirm and "C-0007" in button.confirm and button.inputs == ()
        assert decode_action(encode_action(button)) == ActionRef("sign", "C-0007", 5, sha)


def test_malformed_data_degrades_instead_of_breaking_the_card() -> None:
    card = card_for(review(data={"fields": [["only label"], "junk", ["a", 1], None, ["b", None]]}))
    assert card.title == "hr_review"
    assert card.fields == (("a", "1"), ("b", ""))
    assert card_for(review(data={"fields": "not a list"})).fields == ()


def test_encoded_actions_are_compact_and_carry_case_action_version() -> None:
    button = Button("approve", "Approve", "C-0007", 5)
    assert encode_action(button) == "v1|C-0007|approve|5"
    assert decode_action("v1|C-0007|approve|5") == ActionRef("approve", "C-0007", 5)
    assert encode_action(Button("open_case", "Open")) == "v1||open_case|"
    assert decode_action("v1||open_case|") == ActionRef("open_case", None, None)


@pytest.mark.parametrize("bad", [
    Button("Approve!", "x"), Button("approve", "x", "7"), Button("approve", "x", "C-7"),
    Button("approve", "x", "C-0007", -1), Button("approve", "x", "C-0007", 1, arg="a|b"),
])
def test_encoding_refuses_what_it_could_not_read_back(bad: Button) -> None:
    with pytest.raises(ValueError):
        encode_action(bad)


_ACTIONS = st.from_regex(r"[a-z][a-z_]{0,39}", fullmatch=True)
_REFS = st.none() | st.integers(0, 999_999_999).map(lambda n: f"C-{n:04d}")
_VERSIONS = st.none() | st.integers(0, 999_999_999)
_ARGS = st.none() | st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)


@given(_ACTIONS, _REFS, _VERSIONS, _ARGS)
def test_encode_decode_round_trip(action: str, ref: str | None, version: int | None,
                                  arg: str | None) -> None:
    value = encode_action(Button(action, "label", ref, version, arg=arg))
    assert decode_action(value) == ActionRef(action, ref, version, arg)


@given(st.one_of(st.text(), st.binary(), st.integers(), st.none(), st.lists(st.text())))
def test_decode_never_raises_on_garbage(value: object) -> None:
    result = decode_action(value)
    assert result is None or isinstance(result, ActionRef)


@given(st.lists(st.sampled_from(["v1", "v2", "", "C-0007", "c-7", "approve", "APPROVE", "5",
                                 "-5", "五", "１", "x" * 200, "a|b"]), max_size=6))
def test_decode_accepts_only_well_formed_values(parts: list[str]) -> None:
    result = decode_action("|".join(parts))
    if result is not None:
        assert encode_action(Button(result.action, "", result.case_ref, result.case_version,
                                    arg=result.arg)) == "|".join(parts)


@pytest.mark.parametrize("value", [
    "", "v1", "v1|C-0007|approve", "v2|C-0007|approve|5", "v1|C-0007|Approve|5",
    "v1|C-0007|approve|five", "v1|7|approve|5", "v1|C-0007|approve|5|x|y", "v1|C-0007|approve|-1",
    "v1|C-0007|approve|5|" + "a" * 65,
])
def test_decode_rejects_near_misses(value: str) -> None:
    assert decode_action(value) is None


def test_console_text_has_title_state_aligned_fields_numbered_buttons_and_footer() -> None:
    card = Card(
        title="待审核：案件 C-0007", state="人事审核", text="第一行\n第二行", footer="footer",
        fields=(("员工", "陈晓丽"), ("Department", "R&D"), ("证据", "a\nb")),
        actions=(Button("approve", "同意"), Button("reject", "驳回", style="danger")),
    )
    lines = render_text(card).splitlines()
    assert lines[0] == "■ 待审核：案件 C-0007  〔人事审核〕"
    value_columns = {display_width(line[: line.index(value)])
                     for line, value in zip(lines[1:4], ("陈晓丽", "R&D", "a"), strict=True)}
    assert len(value_columns) == 1  # "员工" is as wide as "Depa": values line up
    assert lines[4].strip() == "b"
    assert display_width(lines[4][: lines[4].index("b")]) in value_columns
    assert lines[5:7] == ["  第一行", "  第二行"]
    assert lines[7] == "  [1] 同意  [2] 驳回 ⚠"
    assert lines[8] == "  — footer"


def test_a_bare_card_is_just_its_title() -> None:
    assert render_text(Card(title="Done")) == "■ Done"
