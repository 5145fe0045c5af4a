"""The Slack route parses a signed body itself: it must read every body exactly as bolt would."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_bolt.request.internals import parse_body

from bot.channels.slack.inbound.routes import _parsed_body

FORM = "application/x-www-form-urlencoded"
_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                       max_leaves=12)


@given(st.dictionaries(st.text(), _values, max_size=6))
def test_a_press_form_reads_as_bolt_reads_it(payload: dict[str, object]) -> None:
    body = urlencode({"payload": json.dumps(payload, ensure_ascii=False)})
    assert _parsed_body(body, FORM) == parse_body(body, FORM) == payload


@given(st.dictionaries(st.text(), st.text(), max_size=6))
def test_a_command_form_reads_as_bolt_reads_it(fields: dict[str, str]) -> None:
    body = urlencode(fields)
    assert _parsed_body(body, FORM) == parse_body(body, FORM)


@pytest.mark.parametrize("body", [
    "", "a=1&a=2&b", "payload=%E4%B8%AD%ZZ%+x", "x=%FF%FE;y=1", "text=payload&user=u", "payload=&x=1",
    '{"type":"event_callback"}', "token=t&text=a+b%2Bc&&", "=v&k=",
])
def test_odd_bodies_read_as_bolt_reads_them(body: str) -> None:
    try:
        expected: object = parse_body(body, FORM)
    except ValueError as error:
        expected = type(error)
    try:
        got: object = _parsed_body(body, FORM)
    except ValueError as error:
        got = type(error)
    assert got == expected


def test_a_json_body_is_read_as_json_whatever_it_starts_with() -> None:
    assert _parsed_body(' {"a": 1}', "application/json") == {"a": 1} == parse_body(' {"a": 1}', "application/json")
