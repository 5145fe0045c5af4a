"""The webhook rules: which actions publish which events, what a subscriber's payload may carry,
and the Standard Webhooks signature (checked against the convention's published example)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflow.webhooks import (
    DEFAULT_FIELDS,
    SENSITIVE,
    Event,
    SignatureError,
    events_after,
    headers,
    payload,
    signature,
    verify,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG = "msg_p5jXN8AQM9LWM0D4loKWxJek"
STAMP = 1614265330
BODY = b'{"test": 2432232314}'
AT = datetime.fromtimestamp(STAMP, UTC)


def test_the_signature_matches_the_conventions_example() -> None:
    assert signature(SECRET, MSG, STAMP, BODY) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_verify_takes_a_good_signature_within_five_minutes_and_any_of_several() -> None:
    signed = headers(SECRET, MSG, STAMP, BODY)
    assert verify(SECRET, signed, BODY, AT + timedelta(seconds=300)) == MSG
    assert verify(SECRET, signed, BODY, AT - timedelta(seconds=300)) == MSG
    rotated = {**signed, "webhook-signature": f"v1,b2xk {signed['webhook-signature']}"}
    assert verify(SECRET, rotated, BODY, AT) == MSG


@pytest.mark.parametrize(("change", "why"), [
    ({"webhook-timestamp": str(STAMP - 301)}, "window"),
    ({"webhook-timestamp": str(STAMP + 301)}, "window"),
    ({"webhook-timestamp": "soon"}, "whole seconds"),
    ({"webhook-id": "msg_other"}, "no signature"),
    ({"webhook-signature": ""}, "missing"),
    ({"webhook-signature": "v1,AAAA"}, "no signature"),
])
def test_verify_refuses_what_does_not_hold(change: dict[str, str], why: str) -> None:
    signed = {**headers(SECRET, MSG, STAMP, BODY), **change}
    with pytest.raises(SignatureError, match=why):
        verify(SECRET, signed, BODY, AT)
    with pytest.raises(SignatureError):
        verify(SECRET, headers(SECRET, MSG, STAMP, BODY), BODY + b" ", AT)


def test_a_secret_must_have_the_standard_form() -> None:
    for bad in ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!"):
        with pytest.raises(ValueError):
            signature(bad, MSG, STAMP, BODY)


def test_actions_publish_their_events_and_every_ending_closes() -> None:
    assert events_after("approve", "hr_review", "scheduling_talk") == [Event.CASE_APPROVED]
    # The first of two approvals leaves the case in review: nothing is approved yet.
    assert events_after("approve", "hr_review", "hr_review") == []
    assert events_after("sign", "awaiting_employee", "handover") == [Event.CASE_SIGNED]
    assert events_after("complete_item", "handover", "handover") == [Event.ITEM_DONE]
    assert events_after("finish", "handover", "closed") == [Event.CASE_CLOSED]
    assert (events_after("withdraw", "disputed", "closed") == events_after("reject", "hr_review", "closed")
            == [Event.CASE_CLOSED])
    assert (events_after("dispute", "awaiting_employee", "disputed")
            == events_after("escalate", "awaiting_employee", "escalated") == [])


def test_a_payload_carries_the_reference_and_only_the_allowed_fields() -> None:
    values = {"employee_name": "Alice", "avg_wage": "12000", "protections": ["pregnancy"], "last_day": None}
    default = payload(Event.CASE_CLOSED, "C-0001", AT, values, DEFAULT_FIELDS)
    assert default == {"type": "case.closed", "timestamp": AT.isoformat(),
                       "data": {"case_ref": "C-0001", "employee_name": "Alice"}}
    assert SENSITIVE.isdisjoint(DEFAULT_FIELDS)
    named = payload(Event.CASE_CLOSED, "C-0001", AT, values, ["avg_wage", "salary_secret"])
    assert named["data"] == {"case_ref": "C-0001", "avg_wage": "12000"}  # unknown names are ignored
