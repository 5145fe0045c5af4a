"""The relay keeps to Slack's pace: against a fake Slack that enforces its limits (429 + Retry-After
for a channel posted to faster than about once a second, and for a method used past its allowance
in a workspace), a burst of 100 HR approvals still delivers every personal card and every
pressed-card update, with no message lost or dead, while the HR channel gets a few digests instead
of 100 posts. Time is the test's clock: the relay puts off what may not go yet, and the test moves
the clock to when it is due."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.ack import FACTS, HR_HANDLE, review_card, slack_presses
from bench.common import link_accounts, seed_cases
from bench.fakes import SLACK_SECRET
from bot.worker import Worker
from storage.models import OutboxMessage
from tests.e2e.slack_support import HR_CHANNEL, Stack, slack_stack

CASES = 100
TEAM = "T1"


async def _unsettled(stack: Stack) -> tuple[int, datetime | None]:
    """Messages neither sent nor dead, and when the earliest of them is due."""
    async with stack.runtime.uow_factory() as uow:
        pending = OutboxMessage.sent_at.is_(None) & OutboxMessage.dead_at.is_(None)
        count = await uow.session.scalar(select(func.count()).select_from(OutboxMessage).where(pending))
        due = await uow.session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(pending))
    if due is not None and due.tzinfo is None:  # SQLite keeps no zone
        due = due.replace(tzinfo=UTC)
    return int(count or 0), due


async def test_a_burst_of_approvals_keeps_to_slacks_pace_and_loses_nothing(db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url, take_inbox=False, PLATFORM_PACING=True,
                           SLACK_SIGNING_SECRET=SLACK_SECRET) as stack:
        runtime, fake, clock = stack.runtime, stack.fake, stack.clock
        clock.set(datetime.now(UTC))
        facts = {**FACTS, "last_day": (clock.now() + timedelta(days=60)).date().isoformat()}
        company = await seed_cases(runtime.engine, CASES, state="hr_review", tenant_key=f"slack:{TEAM}",
                                   hr_channel=HR_CHANNEL[TEAM], facts=facts, facts_confirmed=True)
        hr, manager = f"U{TEAM}{HR_HANDLE.upper()}", f"U{TEAM}MGR"
        await link_accounts(runtime.engine, "slack", TEAM, {company.hr_id: hr, company.manager_id: manager})
        for user in (hr, manager):
            fake.add_person(TEAM, user, f"{user.lower()}@example.com", user)
        card = await review_card(runtime.engine, company, "slack", TEAM, hr)
        presses = slack_presses(card, fake)(0, CASES)  # type: ignore[arg-type] - any fake holds the cards
        pressed = {(key, message.ts) for key, message in fake.messages.items()}
        fake.limit(clock)  # from here on Slack's limits hold, on the test's clock
        started = clock.now()

        for path, headers, body in presses:
            assert (await stack.http.post(path, headers=headers, content=body)).status_code == 200
        worker = Worker(runtime)
        while await worker.drain_inbox():
            pass
        for _ in range(2000):
            if not await worker.relay.run_once():
                left, due = await _unsettled(stack)
                if not left:
                    break
                assert due is not None
                clock.set(max(due, clock.now()))  # where the relay waits, the clock moves on
        else:
            raise AssertionError("the relay never settled")
        took = clock.now() - started

        async with runtime.uow_factory() as uow:
            rows = list((await uow.session.scalars(select(OutboxMessage))).all())
    assert rows and all(row.sent_at is not None and row.dead_at is None for row in rows)
    # Slack did refuse some calls (the fake's limits were reached), and each was tried again.
    assert fake.limited
    refused = {id(c) for c in fake.limited}
    answered = [c for c in fake.calls if id(c) not in refused]
    # Every pressed card updated, each once.
    updated = [(c.args["channel"], c.args["ts"]) for c in answered if c.method == "chat.update"]
    assert sorted(updated) == sorted((channel, ts) for (channel, ts), _ in pressed) and len(pressed) == CASES
    # Every personal card: HR's next step for each case, the manager's news of each.
    posts = [c for c in answered if c.method == "chat.postMessage"]
    refs = {f"C-{n + 1:04d}" for n in range(CASES)}

    def cases_in(channel: str) -> list[str]:
        return sorted(ref for c in posts if c.args["channel"] == channel
                      for ref in set(re.findall(r"C-\d{4}", str(c.args.get("blocks")))))

    assert cases_in(f"D{TEAM}{HR_HANDLE.upper()}") == sorted(refs)
    assert cases_in(manager) == sorted(refs)
    # The HR channel: a few digests naming every case, not 100 posts.
    group = [c for c in posts if c.args["channel"] == HR_CHANNEL[TEAM]]
    assert 1 <= len(group) <= 5
    assert set(cases_in(HR_CHANNEL[TEAM])) == refs
    # Paced, not stalled: the HR channel heard within seconds; the rest within Slack's limits
    # (chat.update: 50 a minute in the fake), not a minute per message.
    assert took < timedelta(minutes=5)
