"""When Slack's Web API fails, the outbox keeps the message: `ratelimited` waits as long as
Retry-After says, a 5xx or a timeout is retried with backoff, and an error retrying cannot fix is
dead-lettered at once with an alert to the HR channel. Time moves on the manual clock only."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import OutboxMessage
from tests.e2e.slack_support import HR_CHANNEL, Stack, add_people, slack_stack, text_of


async def _outbox(stack: Stack) -> list[OutboxMessage]:
    async with stack.runtime.uow_factory() as uow:
        return list((await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def _hr_posts(stack: Stack) -> list:
    return [c for c in stack.fake.to("chat.postMessage") if c.args["channel"] == HR_CHANNEL["T1"]]


async def _open_case(stack: Stack) -> None:
    add_people(stack.fake, "T1", "example.com")
    await stack.import_directory("T1")
    response = await stack.workspace("T1").command("lee", "<@UT1ALICE> incompetent")
    assert response.status_code == 200 and "C-0001" in response.text
    # The only message queued: the HR channel's "new case" notice.
    assert [m.recipient for m in await _outbox(stack)] == ["hr_group"]


async def test_ratelimited_then_a_server_error_is_delivered_later_once(
        db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url) as stack:
        await _open_case(stack)
        stack.fake.fail("chat.postMessage", "ratelimited", "server_error")
        assert await stack.settle() == (0, 0)
        [message] = await _outbox(stack)
        assert message.sent_at is None and message.attempts == 1
        # Retry-After: 7 — not a second earlier.
        assert message.next_attempt_at == stack.clock.now() + timedelta(seconds=7)
        stack.clock.advance(timedelta(seconds=6))
        assert await stack.settle() == (0, 0) and len(_hr_posts(stack)) == 1
        stack.clock.advance(timedelta(seconds=1))
        assert await stack.settle() == (0, 0)  # the 500
        [message] = await _outbox(stack)
        assert message.attempts == 2 and "HTTP 500" in message.last_error
        stack.clock.set(message.next_attempt_at)
        assert (await stack.settle())[1] == 1
        [message] = await _outbox(stack)
        assert message.sent_at is not None and message.platform_ref["channel"] == HR_CHANNEL["T1"]
        posts = _hr_posts(stack)
        assert len(posts) == 3  # two refused, one delivered
        stack.clock.advance(timedelta(hours=2))
        assert await stack.settle() == (0, 0)  # and never again
        assert len(_hr_posts(stack)) == 3
        assert stack.fake.problems == []


async def test_a_hanging_api_is_a_retry(db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url, delivery_timeout=0.3) as stack:
        await _open_case(stack)
        stack.fake.fail("chat.postMessage", "timeout")
        await stack.settle()
        [message] = await _outbox(stack)
        assert message.sent_at is None and message.dead_at is None
        assert "Timeout" in message.last_error
        stack.clock.set(message.next_attempt_at)
        await stack.settle()
        [message] = await _outbox(stack)
        assert message.sent_at is not None


async def test_errors_retrying_cannot_fix_are_dead_lettered_and_hr_is_told(
        db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url) as stack:
        await _open_case(stack)
        stack.fake.fail("chat.postMessage", "invalid_auth")
        await stack.settle()
        failed, alert = await _outbox(stack)
        assert failed.dead_at is not None and failed.attempts == 1
        assert "invalid_auth" in failed.last_error
        assert alert.kind == "dead_letter" and alert.sent_at is not None
        assert "invalid_auth" in text_of(_hr_posts(stack)[-1].args["blocks"])


async def test_someone_slack_does_not_know_is_a_dead_letter(db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url) as stack:
        await _open_case(stack)
        await stack.settle()
        # Bob is in the directory but has no Slack account: his card cannot be delivered.
        async with stack.runtime.uow_factory() as uow:
            tenant = await uow.tenants.by_key("slack:T1")
            [bob] = await uow.people.search(tenant.id, "bob@example.com")
            await uow.outbox.enqueue(
                tenant_id=tenant.id, case_id=None, channel="slack", recipient=f"person:{bob.id}",
                kind="reminder", payload={"kind": "reminder", "recipient": f"person:{bob.id}",
                                          "locale": "en", "data": {"title": "Reminder"}},
                dedup_key="test:bob", now=stack.clock.now())
            await uow.commit()
        stack.fake.people = [p for p in stack.fake.people if p.email != "bob@example.com"]
        await stack.settle()
        bobs = [m for m in await _outbox(stack) if m.dedup_key == "test:bob"]
        assert bobs[0].dead_at is not None and "users_not_found" in bobs[0].last_error
        assert stack.fake.to("users.lookupByEmail")
