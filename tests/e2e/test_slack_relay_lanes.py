"""The relay sends different recipients' messages at once and each recipient's in order: against a
fake Slack that answers each call late (as Slack does from a server far away), the round's calls
overlap, never more than OUTBOX_CONCURRENCY, and every recipient reads its messages in the order
they were queued, each once."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import link_accounts, seed_cases
from bench.outbox import MARK, seed_outbox
from bot.worker import Worker
from tests.e2e.slack_support import HR_CHANNEL, slack_stack

TEAM, MESSAGES = "T1", 30


@pytest.mark.parametrize("at_once", [8, 1])
async def test_recipients_are_sent_to_at_once_each_in_order(db_url: str, engine: AsyncEngine, at_once: int) -> None:
    async with slack_stack(db_url, PLATFORM_PACING=False, OUTBOX_CONCURRENCY=at_once) as stack:
        runtime, fake = stack.runtime, stack.fake
        company = await seed_cases(runtime.engine, 3, tenant_key=f"slack:{TEAM}", hr_channel=HR_CHANNEL[TEAM])
        people = {company.manager_id: f"U{TEAM}MGR", company.hr_id: f"U{TEAM}HR"}
        await link_accounts(runtime.engine, "slack", TEAM, people)
        for user in people.values():
            fake.add_person(TEAM, user, f"{user.lower()}@example.com", user)
        await seed_outbox(runtime.engine, company, MESSAGES)  # in turn: manager, HR, the HR channel
        stack.clock.set(datetime.now(UTC) + timedelta(seconds=1))  # they were queued due now
        fake.latency = 0.02

        assert await Worker(runtime).relay.run_once() == MESSAGES

        posts = fake.to("chat.postMessage")
        seen: dict[str, list[int]] = defaultdict(list)
        for call in posts:
            # A message's mark shows in its blocks and in its text: once per call.
            seen[str(call.args["channel"])] += sorted({int(n) for n in MARK.findall(json.dumps(call.args,
                                                                                          ensure_ascii=False))})
        assert sorted(n for numbers in seen.values() for n in numbers) == list(range(MESSAGES))  # each once
        assert all(numbers == sorted(numbers) for numbers in seen.values()), seen  # each recipient in order
        assert len(seen) == 3
        # Three recipients: with room for 8 their calls overlap; with 1, one call at a time.
        assert fake.most_in_flight == min(at_once, 3)
