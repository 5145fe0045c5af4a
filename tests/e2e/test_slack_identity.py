"""Chat identity: a Slack account is linked to a directory person by e-mail only when it is a full
member of the workspace. A guest (single- or multi-channel), an external Slack Connect user or a
member of another workspace carrying a colleague's address is not linked, cannot act as them and is
never sent their messages (signing links among them)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.base import DeliveryError
from storage.models import Identity, Person
from tests.e2e.slack_support import Stack, slack_stack

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def _linked(stack: Stack) -> set[str]:
    async with stack.runtime.uow_factory() as uow:
        return set((await uow.session.scalars(select(Identity.platform_user_id)
                                              .where(Identity.platform == "slack"))).all())


@pytest.mark.parametrize("flags, why", [
    ({"is_restricted": True}, "a guest"),
    ({"is_restricted": True, "is_ultra_restricted": True}, "a guest"),
    ({"is_stranger": True}, "external"),
    ({"team_id": "TOTHER"}, "another workspace"),
])
async def test_a_guest_or_outsider_with_a_colleagues_email_is_not_linked(
        db_url: str, engine: AsyncEngine, caplog: pytest.LogCaptureFixture,
        flags: dict[str, Any], why: str) -> None:
    async with slack_stack(db_url) as stack:
        await stack.import_directory("T1")
        # HR's e-mail on an account that is not a member of the workspace.
        stack.fake.add_person("T1", "UT1IMPOSTOR", "wangfang@example.com", "Wang Fang", "en-US", **flags)
        with caplog.at_level(logging.WARNING):
            answer = await stack.workspace("T1").command("impostor", "status")
        assert answer.status_code == 200
        assert "not in the company directory" in answer.json()["text"]
        assert "UT1IMPOSTOR" not in await _linked(stack)
        assert any("UT1IMPOSTOR" in r.getMessage() and why in r.getMessage() for r in caplog.records)


async def test_a_full_member_with_the_email_is_linked_and_acts(db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url) as stack:
        await stack.import_directory("T1")
        stack.fake.add_person("T1", "UT1WANGFANG", "wangfang@example.com", "Wang Fang", "en-US",
                              is_restricted=False, is_stranger=False)
        answer = await stack.workspace("T1").command("wangfang", "status")
        assert answer.status_code == 200
        assert "not in the company directory" not in answer.text
        assert "UT1WANGFANG" in await _linked(stack)


async def test_messages_for_a_person_are_never_sent_to_a_guest_account_with_their_email(
        db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url) as stack:
        await stack.import_directory("T1")
        stack.fake.add_person("T1", "UT1GUEST", "alice@example.com", "Alice", is_restricted=True)
        channel = stack.runtime.channels.get("slack")
        sender = channel.sender  # type: ignore[union-attr]
        person_id = await _person_id(stack, "alice@example.com")
        with pytest.raises(DeliveryError, match="a guest") as refused:
            await sender._account(sender.client("T1", "xoxb-T1"), f"person:{person_id}", "T1")
        assert refused.value.permanent
        assert "UT1GUEST" not in await _linked(stack)


async def _person_id(stack: Stack, email: str) -> int:
    async with stack.runtime.uow_factory() as uow:
        found = await uow.session.scalar(select(Person.id).where(Person.email == email))
    assert found is not None
    return int(found)
