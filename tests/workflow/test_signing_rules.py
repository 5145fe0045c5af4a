"""The signing rules: link expiry, which reason wins when a link may not be used, the documents
issued at each point, and the certificate's years of service."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from workflow.compliance import get_jurisdiction
from workflow.documents import decision_documents, is_agreement, service_length, termination_documents
from workflow.model import Ground
from workflow.signing_rules import LinkState, intention, link_expiry, link_state

NOW = datetime(2024, 6, 4, 3, 0, tzinfo=UTC)
USABLE = {"now": NOW, "expires_at": NOW + timedelta(hours=1), "used_for": None, "bound_to": 7,
          "employee": 7, "link_version": 2, "current_version": 2, "version_signed": False,
          "awaiting_answer": True}


def test_links_last_72_hours_by_default_and_at_least_one() -> None:
    assert link_expiry(NOW) == NOW + timedelta(hours=72)
    assert link_expiry(NOW, 1) == NOW + timedelta(hours=1)
    with pytest.raises(ValueError):
        link_expiry(NOW, 0)


@pytest.mark.parametrize(("change", "state"), [
    ({}, LinkState.VALID),
    ({"used_for": "sign"}, LinkState.SIGNED),
    ({"used_for": "dispute"}, LinkState.DISPUTED),
    ({"bound_to": 8}, LinkState.FOREIGN),
    ({"link_version": 1}, LinkState.SUPERSEDED),
    ({"version_signed": True}, LinkState.SIGNED),
    ({"expires_at": NOW}, LinkState.EXPIRED),
    ({"awaiting_answer": False}, LinkState.CLOSED),
    # A used link says so even after it expired, and after a newer version came out.
    ({"used_for": "sign", "expires_at": NOW - timedelta(days=9), "current_version": 3},
     LinkState.SIGNED),
    # Someone else's link never reveals anything about the case's documents.
    ({"bound_to": 8, "link_version": 1, "expires_at": NOW}, LinkState.FOREIGN),
    ({"link_version": 1, "expires_at": NOW}, LinkState.SUPERSEDED),
])
def test_link_state(change: dict, state: LinkState) -> None:
    assert link_state(**{**USABLE, **change}) == state


def test_the_certificate_is_issued_at_termination_not_signed() -> None:
    rules = get_jurisdiction("cn").documents(Ground.INCOMPETENT)
    assert [r.kind for r in decision_documents(rules)] == ["termination_notice", "settlement_statement"]
    assert [r.kind for r in termination_documents(rules)] == ["termination_certificate"]
    mutual = get_jurisdiction("cn").documents(Ground.MUTUAL)
    assert is_agreement(tuple(r.kind for r in decision_documents(mutual)))
    assert not is_agreement(tuple(r.kind for r in decision_documents(rules)))


def test_the_intention_says_receipt_for_a_notice_and_consent_for_an_agreement() -> None:
    notice = intention(False, "en", 2, "ab" * 32)
    agreement = intention(True, "zh-CN", 2, "ab" * 32)
    assert "received" in notice and "version 2" in notice and "abababababab" in notice
    assert "同意" in agreement and "第 2 版" in agreement


def test_service_length_counts_the_last_day() -> None:
    length = service_length(date(2019, 3, 15), date(2024, 6, 30))
    assert (length.years, length.months) == (5, 3)
    whole = service_length(date(2023, 7, 1), date(2024, 6, 30))
    assert (whole.years, whole.months, whole.days) == (1, 0, 0)
