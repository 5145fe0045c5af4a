"""Outbox: 10,000 queued Slack messages (people's DMs and the HR channel) relayed by real
`python -m bot worker` processes to the fake Slack API: messages per second, each delivered once;
and 500 with the fake answering each call as late as a platform far away does, sent one recipient
at a time and several at once.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import (
    Company,
    Context,
    Result,
    Stopwatch,
    bench_database,
    bot_env,
    bot_processes,
    bulk_insert,
    link_accounts,
    scalar,
    seed_cases,
)
from bench.fakes import HR_CHANNEL, REDIS_URL, SLACK_SECRET, SLACK_TOKEN, TEAM, QuietSlack
from handlers.contracts import HR_GROUP, Message, to_payload
from storage.db import make_engine
from storage.models import OutboxMessage

NAME = "outbox"
TITLE = "outbox: 10,000 messages through the relay to a fake Slack"

MESSAGES = 10_000
FAR_MESSAGES, FAR_LATENCY_MS = 500, 100
CASES = 100
GIVE_UP_S = 600.0
MARK = re.compile(r"bench-msg-(\d{5})")


async def seed_outbox(engine: AsyncEngine, company: Company, count: int) -> None:
    """`count` case updates, due now, in turn to the manager's DM, HR's DM and the HR channel."""
    now = datetime.now(UTC)
    recipients = [f"person:{company.manager_id}", f"person:{company.hr_id}", HR_GROUP]
    rows = []
    for n in range(count):
        recipient, case = recipients[n % 3], n % len(company.case_ids)
        message = Message(kind="case_update", recipient=recipient, locale="zh-CN", case_ref=company.refs[case],
                          case_version=1, data={"title": f"{company.refs[case]} · bench-msg-{n:05d}",
                                                "text": "王人事 2024-06-03 10:00 同意了，案件现处于“安排面谈”阶段。",
                                                "fields": [], "state": "安排面谈"})
        rows.append({"dedup_key": f"bench:{n}", "tenant_id": company.tenant_id,
                     "case_id": company.case_ids[case], "channel": "slack", "recipient": recipient,
                     "kind": message.kind, "payload": to_payload(message), "created_at": now,
                     "next_attempt_at": now, "attempts": 0})
    await bulk_insert(engine, OutboxMessage.__table__, rows)  # type: ignore[arg-type]


def deliveries(fake: QuietSlack) -> Counter[int]:
    """How many times each bench message reached the fake (by the mark in its title)."""
    seen: Counter[int] = Counter()
    for call in fake.to("chat.postMessage"):
        seen.update({int(n) for n in MARK.findall(json.dumps(call.args, ensure_ascii=False))})
    return seen


async def relay(ctx: Context, workers: int, messages: int = MESSAGES, latency_ms: int = 0,
                at_once: int | None = None) -> Result:
    far = f", the fake answering in {latency_ms} ms" if latency_ms else ""
    far += f", OUTBOX_CONCURRENCY={at_once}" if at_once is not None else ""
    setting = f"{messages:,} messages (DMs + HR channel), {workers} worker(s), PostgreSQL{far}"
    fake = QuietSlack(latency=latency_ms / 1000)
    await fake.start()
    async with bench_database("postgresql", ctx.workdir) as url:
        engine = make_engine(url)
        try:
            fake.tokens[SLACK_TOKEN] = TEAM
            company = await seed_cases(engine, CASES, tenant_key=f"slack:{TEAM}", hr_channel=HR_CHANNEL)
            accounts = {company.manager_id: f"U{TEAM}MGR", company.hr_id: f"U{TEAM}HR"}
            await link_accounts(engine, "slack", TEAM, accounts)
            for user in accounts.values():
                fake.add_person(TEAM, user, f"{user.lower()}@bench.example", user)
            await seed_outbox(engine, company, messages)
            env = bot_env(url, REDIS_URL=REDIS_URL, POLL_INTERVAL_SECONDS="1", SLACK_BOT_TOKEN=SLACK_TOKEN,
                          SLACK_SIGNING_SECRET=SLACK_SECRET, SLACK_API_URL=fake.api_url,
                          SLACK_HR_CHANNEL=HR_CHANNEL, SIGNING_KEY_PATH=str(ctx.workdir / "signing-key.pem"),
                          **({} if at_once is None else {"OUTBOX_CONCURRENCY": str(at_once)}))
            log = ctx.workdir / f"outbox-{workers}.log"
            watch, first, settled = Stopwatch(), None, 0
            with bot_processes(["worker"], env, workers, log) as processes:
                while settled < messages and watch.seconds < GIVE_UP_S:
                    await asyncio.sleep(0.2)
                    settled = int(await scalar(engine, "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL "
                                                       "OR dead_at IS NOT NULL"))
                    if settled and first is None:
                        first = watch.seconds
                    if any(p.poll() is not None for p in processes):
                        raise RuntimeError(f"a worker exited: {Path(log).read_text()[-2000:]}")
                total = watch.seconds
            sent = int(await scalar(engine, "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL"))
            dead = int(await scalar(engine, "SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL"))
        finally:
            await engine.dispose()
            await fake.stop()
    if settled < messages:
        return Result(NAME, setting, f"only {settled:,} settled in {GIVE_UP_S:.0f} s", verdict="MISSED")
    seen = deliveries(fake)
    twice, missing = sum(1 for n in seen.values() if n > 1), messages - len(seen)
    problems = fake.check_sample(200)
    once = "each delivered once" if sent == messages and not twice and not missing else "NOT each delivered once"
    startup = first or 0.0
    return Result(NAME, setting, f"{messages / max(total - startup, 1e-9):,.0f} msgs/s once running "
                                 f"(all sent {total:.1f} s after launch)",
                  notes=f"{once}: {sent:,} sent, {dead} dead-lettered, {len(fake.calls):,} Web API calls, "
                        f"{twice} delivered twice, {missing} never; first sent at {startup:.1f} s (process "
                        f"start-up); Block Kit problems in a sample of 200 calls: {len(problems)}")


async def run(ctx: Context) -> list[Result]:
    # The fakes answer in about a millisecond; Slack and WeCom, from a server elsewhere, in 50–200.
    # The last steps show what waiting for each answer costs, one recipient at a time and several
    # at once (the messages go to three recipients), with fewer messages so that each ends soon.
    return [await relay(ctx, 1), await relay(ctx, 2),
            await relay(ctx, 1, FAR_MESSAGES, FAR_LATENCY_MS, at_once=1),
            await relay(ctx, 1, FAR_MESSAGES, FAR_LATENCY_MS)]
