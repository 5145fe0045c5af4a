"""One inbound path: the same action (a manager adds evidence) typed in Slack (a DM), in WeCom (a
text message) and at the console leaves the same rows: the request kept in the inbox, nothing
done yet; then, once the worker has taken it, the inbox empty again and one `evidence` audit
event; the answer is queued in the outbox for Slack and WeCom (the console shows it at once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.bootstrap import Services, bootstrap
from bot.console import ConsoleSession
from bot.worker import Worker
from storage.models import AuditEvent, OutboxMessage
from tests.bot.services_support import settings_for
from tests.bot.test_console import START, seed_console_directory
from tests.e2e.slack_support import add_people, drive, slack_stack
from tests.e2e.wecom_support import wecom_stack
from workflow.clock import ManualClock

EVIDENCE = "evidence C-0001 feedback 2024-05-06 one-to-one notes"


@dataclass(frozen=True)
class Rows:
    inbox: int  # requests kept and not yet handled
    audit: tuple[str, ...]  # the actions of the case's audit events
    outbox: int


async def rows(services: Services) -> Rows:
    async with services.uow_factory() as uow:
        audit = (await uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))).all()
        outbox = await uow.session.scalar(select(func.count()).select_from(OutboxMessage))
        return Rows(await uow.inbox.waiting(), tuple(audit), int(outbox or 0))


async def one_action(services: Services, send: Callable[[], Awaitable[object]],
                     settle: Callable[[], Awaitable[object]]) -> tuple[Rows, Rows, Rows]:
    """The rows before the request, once it is answered, and once the worker is idle."""
    before = await rows(services)
    await send()
    kept = await rows(services)
    await settle()
    return before, kept, await rows(services)


def assert_kept_then_handled(before: Rows, kept: Rows, after: Rows) -> None:
    assert before.inbox == 0
    assert kept == Rows(1, before.audit, before.outbox)  # kept; nothing done yet
    assert after.inbox == 0
    assert after.audit == (*before.audit, "evidence")


async def test_slack_wecom_and_the_console_add_evidence_the_same_way(db_url: str, engine: object) -> None:
    seen: list[tuple[Rows, Rows, Rows]] = []
    async with slack_stack(db_url, take_inbox=False) as stack:
        add_people(stack.fake, "T1", "example.com")
        await stack.import_directory("T1")
        await drive(stack, "collecting_evidence")
        t1 = stack.workspace("T1")
        seen.append(await one_action(stack.runtime, lambda: t1.dm("lee", EVIDENCE), stack.settle))
        assert seen[-1][2].outbox > seen[-1][0].outbox  # the answer in the DM

    async with wecom_stack(db_url, take_inbox=False) as wecom:
        await wecom.sync_directory()
        await wecom.phone.text("lee", "退工 @alice 不能胜任 连续两个考核期绩效不达标")
        await wecom.settle()
        await wecom.phone.text("lee", "取消")  # out of the guided dialog: a typed command next
        await wecom.settle()
        seen.append(await one_action(wecom.runtime, lambda: wecom.phone.text("lee", EVIDENCE),
                                     wecom.settle))
        assert seen[-1][2].outbox > seen[-1][0].outbox  # the answer to the message

    clock = ManualClock(START)
    console = bootstrap(settings_for(db_url), clock=clock)
    try:
        await seed_console_directory(console.uow_factory)
        kept_at_drain: list[int] = []

        class Watching(Worker):
            """The session's worker, noting how many lines wait in the inbox as it drains them."""

            async def drain_inbox(self) -> int:
                async with self.runtime.uow_factory() as uow:
                    kept_at_drain.append(await uow.inbox.waiting())
                return await super().drain_inbox()

        out: list[str] = []
        session = ConsoleSession(console, clock, out.append, locale="en")
        session.worker = Watching(console)  # made once the session's channel is registered
        await session.handle_line("as lee: 退工 @alice 不能胜任 连续两期绩效不达标")
        before = await rows(console)
        kept_at_drain.clear()
        await session.handle_line(f"as lee: {EVIDENCE}")
        after = await rows(console)
        assert kept_at_drain[0] == 1  # the line was kept before the worker took it
        assert "reply to lee" in "\n".join(out[-3:])
        kept = Rows(kept_at_drain[0], before.audit, before.outbox)
        seen.append((before, kept, after))
    finally:
        await console.close()

    for before, kept, after in seen:
        assert_kept_then_handled(before, kept, after)
