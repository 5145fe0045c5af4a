"""The Slack route parses a signed body itself: it must read every body exactly as bolt would."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_bolt.request.internals import parse_body
from starlette.requests import Request

from bot.channels.slack.inbound.routes import _bolt_request, _parsed_body

FORM = "application/x-www-form-urlencoded"
_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                       max_leaves=12)


@given(st.dictionaries(st.text(), _values, max_size=6))
def test_a_press_form_reads_as_bolt_reads_it(payload: dict[str, object]) -> None:
    body = urlencode({"payload": json.dumps(payload, ensure_ascii=False)})
    assert _parsed_body(body, FORM) == parse_body(body, FORM) == payload


def _read(parse: Callable[[str, str], object], body: str) -> object:
    """What `parse` makes of a form body: its result, or the kind of error it raised."""
    try:
        return parse(body, FORM)
    except ValueError as error:
        return type(error)


@given(st.dictionaries(st.text(), st.text(), max_size=6))
def test_a_command_form_reads_as_bolt_reads_it(fields: dict[str, str]) -> None:
    body = urlencode(fields)
    assert _read(_parsed_body, body) == _read(parse_body, body)


@pytest.mark.parametrize("body", [
    "", "a=1&a=2&b", "payload=%E4%B8%AD%ZZ%+x", "x=%FF%FE;y=1", "text=payload&user=u", "payload=&x=1",
    '{"type":"event_callback"}', "token=t&text=a+b%2Bc&&", "=v&k=",
])
def test_odd_bodies_read_as_bolt_reads_them(body: str) -> None:
    assert _read(_parsed_body, body) == _read(parse_body, body)


def test_a_json_body_is_read_as_json_whatever_it_starts_with() -> None:
    assert _parsed_body(' {"a": 1}', "application/json") == {"a": 1} == parse_body(' {"a": 1}', "application/json")


def _request(content_type: str) -> Request:
    return Request({"type": "http", "method": "POST", "path": "/slack/events", "query_string": b"",
                    "headers": [(b"content-type", content_type.encode())]})


@pytest.mark.parametrize("body", [b'{"authorizations": 1}', b'{"enterprise": 5}', b'"text"',
                                  b"payload=%5B1%5D", b"\xff\xfe", b"[" * 100_000])
def test_a_body_bolt_cannot_read_is_named_not_raised(body: bytes) -> None:
    """Signed but odd: answered 400 with the reason, never a server error inside bolt."""
    assert isinstance(_bolt_request(_request("application/json"), body), str)


def test_a_press_reaches_bolt_parsed() -> None:
    body = urlencode({"payload": json.dumps({"type": "block_actions", "team": {"id": "T1"}})}).encode()
    request = _bolt_request(_request(FORM), body)
    assert not isinstance(request, str)
    assert request.body == {"type": "block_actions", "team": {"id": "T1"}}
    assert request.context.team_id == "T1"
