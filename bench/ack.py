"""Ack path: HR approve presses on distinct cases — signed Slack block_actions and encrypted WeCom
card clicks — sent at a running `serve` at fixed offered rates, next to the bare SDK floor.

`serve` runs as in production (one uvicorn worker with its worker loops, PostgreSQL + Redis), its
Web API calls going to the fake Slack and fake WeCom in this process; one more step at 100/s adds a
`bot worker` process beside it, as a two-core host would run them. bench/bare.py is the floor;
bench/load.py (another process) offers the load, open loop. Each press is the one our HR review
card carries for its case, and each must move its case hr_review → scheduling_talk: the database
is checked after every step.

serve acknowledges a press once it is kept in the inbox, and its worker then runs the approval
(ARCHITECTURE.md, "Acknowledge first"). So two things are measured: the acknowledgement (what the
platform sees: throughput counts the presses answered 200 within its deadline, Slack 3 s, WeCom
5 s, per second from the first send to the last such answer; latency runs from each press's
scheduled send, one never answered counting at the deadline), and the landing (when each case's
approval was committed, from the audit trail: how many per second, and how long after the press).
The floor runs at every rate first, so nothing serve still works on slows it; what serve's relay
has not sent by the end of a step is put off.

A third: when each pressed card's update reached the fake platform (Slack's chat.update of that
message, WeCom's update_template_card with the click's ResponseCode), from the press's scheduled
send; and how long after the last press was offered the last approval landed and the last card
was updated.

Targets: Slack approve on PostgreSQL, p99 < 100 ms at 100/s offered, and throughput at least half
of the bare bolt app's; every press must land. Landing (one serve, Slack, 100/s): as many approvals
a second as offered, press to card p99 < 500 ms, all done within 2 s of the burst's end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import (
    ROOT,
    Company,
    Context,
    Result,
    Stopwatch,
    bench_database,
    bot_env,
    cpu_seconds,
    free_port,
    link_accounts,
    percentile,
    python_processes,
    seed_cases,
    wait_ready,
)
from bench.fakes import HR_CHANNEL, REDIS_URL, SLACK_SECRET, SLACK_TOKEN, TEAM, QuietSlack, fake_wecom
from bench.load import write_requests
from bot.cards.build import card_for
from bot.channels.slack.blocks import render_message
from bot.channels.wecom.cards import buttons_of, task_id
from bot.clock import SystemClock
from handlers.context import Ctx
from handlers.contracts import Inbound, Message
from handlers.deps import build_deps
from handlers.views import hr_review_card
from storage.db import make_engine, make_session_factory
from storage.uow import UnitOfWork
from tests.e2e.fake_slack import Message as SlackMessage
from tests.e2e.slack_support import Workspace, sign
from tests.e2e.wecom_fake import FakeWeCom
from tests.e2e.wecom_support import AGENT_ID, Phone, new_aes_key

NAME = "ack"
TITLE = "ack path: approve presses at fixed rates, ours vs bare (Slack, WeCom)"

RATES = (50, 100, 200, 400)
WITH_WORKER_RATE = 100
SECONDS = 10.0
WARMUP, WARMUP_RATE = 100, 20.0
# A step ends once every press landed, or nothing landed for STILL_S, or after SETTLE_S (the next
# step then starts behind them, and says so).
SETTLE_S, STILL_S = 300.0, 10.0
P99_TARGET_MS, P99_TARGET_RATE = 100.0, 100
# The landing targets of one serve at P99_TARGET_RATE Slack presses a second: every approval
# committed as fast as offered, the pressed cards updated soon, nothing left soon after the burst.
CARD_P99_TARGET_MS, DRAINED_TARGET_S = 500.0, 2.0
# How long each platform waits for the answer before it counts the request failed (and retries):
# the generator gives up then too, so a timed-out request counts at about this latency.
SLACK_DEADLINE_S, WECOM_DEADLINE_S = 3.0, 5.0
RATIO_TARGET = 0.5
HR_HANDLE, MANAGER_HANDLE = "hr", "mgr"
WECOM_HR, WECOM_MANAGER, WECOM_SECRET, WECOM_TOKEN = "hr", "mgr", "bench-secret", "bench-token"
# The facts HR confirmed: complete, and no blocking finding, so approve is allowed.
FACTS = {"avg_wage": "12000", "prev_wage": "12500", "local_avg": "10000", "pay_in_lieu": True,
         "union_notified": True, "written_reasons": True}
MOVED = "scheduling_talk"

Request = tuple[str, dict[str, str], str]  # path, headers, body


@dataclass(frozen=True)
class Platform:
    """One chat platform's presses: `requests(first, count)` for the cases in that slice, built
    (signed) when asked for; `deadline`: how long the platform waits for an answer (then retries);
    `cards(first, count)`: the Unix time each press's card update reached the fake (None: not yet)."""

    label: str
    company: Company
    requests: Callable[[int, int], list[Request]]
    deadline: float
    cards: Callable[[int, int], list[float | None]]  # when each pressed card's update reached the fake


@dataclass(frozen=True)
class Server:
    """A server under load: where it listens, its process, its log; and the pids of the `bot
    worker` processes beside it (whose CPU time is counted with its own)."""

    url: str
    pid: int
    log: Path
    workers: tuple[int, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in (self.pid, *self.workers))

    @contextlib.contextmanager
    def with_worker(self) -> Iterator[Server]:
        """This server with a `bot worker` process beside it (logging to the same file)."""
        with python_processes(["-m", "bot", "worker"], self.env, 1, self.log) as (worker,):
            yield replace(self, workers=(*self.workers, worker.pid))

    def errors_since(self, offset: int) -> str:
        """The errors it logged past byte `offset` of its log: how many, and the commonest."""
        with self.log.open("rb") as log:
            log.seek(offset)
            lines = [line.decode("utf-8", "replace") for line in log if b" ERROR " in line]
        if not lines:
            return "none"
        common = Counter(line.split(" ERROR ", 1)[1].strip()[:140] for line in lines).most_common(1)[0][0]
        return f"{len(lines):,} (commonest: {common})"


@dataclass(frozen=True)
class Run:
    """What the load generator saw, what it cost the server, and (ours) when each case moved:
    `landed[i]` is the Unix time request i's approval was committed, None if it never was."""

    start: float  # Unix time of the run's start; timings are in seconds from it
    timings: list[dict[str, Any]]
    cpu_s: float
    landed: list[float | None] | None = None
    logged: str = "none"  # the errors the server logged meanwhile
    carded: list[float | None] | None = None  # when each pressed card's update was delivered

    @property
    def moved(self) -> int:
        return sum(1 for at in self.landed or () if at is not None)

    def landing(self) -> str:
        """How fast approvals were committed, and how long after their press was due."""
        pairs = [(at - self.start, t["due"]) for at, t in zip(self.landed or (), self.timings, strict=True)
                 if at is not None]
        if not pairs:
            return "none landed"
        lags = [(at - due) * 1000 for at, due in pairs]
        landing = (f"landed {self.landed_rate:,.0f}/s; press to commit p50 {percentile(lags, 50):,.0f}, "
                   f"p99 {percentile(lags, 99):,.0f} ms")
        cards = self.card_ms()
        if not cards:
            return f"{landing}; no card updated"
        return (f"{landing}; press to card p50 {percentile(cards, 50):,.0f}, p99 {percentile(cards, 99):,.0f} ms "
                f"({len(cards):,} cards); all in {self.drained_s:.1f} s after the burst's end")

    @property
    def landed_rate(self) -> float:
        """Approvals committed per second, from the run's start to the last one."""
        ends = [at - self.start for at in self.landed or () if at is not None]
        return len(ends) / max(ends) if ends else 0.0

    def card_ms(self) -> list[float]:
        """Press (its scheduled send) to its card's update delivered, for those delivered."""
        return [(at - self.start - t["due"]) * 1000 for at, t in zip(self.carded or (), self.timings, strict=True)
                if at is not None]

    @property
    def drained_s(self) -> float:
        """From the last press offered to the last approval landed or card delivered."""
        done = [at for at in (*(self.landed or ()), *(self.carded or ())) if at is not None]
        return max(done) - self.start - max(t["due"] for t in self.timings) if done else float("inf")

    @property
    def ok(self) -> int:
        return sum(1 for t in self.timings if t["status"] == 200)

    @property
    def throughput(self) -> float:
        ends = [t["answered"] for t in self.timings if t["status"] == 200]
        return self.ok / max(ends) if ends else 0.0

    def ms(self, p: float) -> float:
        return percentile([(t["answered"] - t["due"]) * 1000 for t in self.timings], p)

    @property
    def lag_ms(self) -> float:
        """How late the generator itself sent (it must not be what limits the rate)."""
        return max((t["sent"] - t["due"]) * 1000 for t in self.timings)

    def errors(self) -> str:
        kinds: dict[str, int] = {}
        for t in self.timings:
            if t["status"] != 200:
                error = t["error"].split(":")[0]
                key = str(t["status"]) if t["status"] else "no answer in time" if error == "TimeoutError" else error
                kinds[key] = kinds.get(key, 0) + 1
        return ", ".join(f"{n:,} × {k}" for k, n in sorted(kinds.items())) or "none"

    def summary(self, deadline: float) -> str:
        def shown(p: float) -> str:
            # A request the platform gave up on counts at its deadline: the true latency is more.
            value = self.ms(p)
            return f"≥ {deadline * 1000:.0f}" if value >= deadline * 1000 else f"{value:.1f}"

        return f"{self.throughput:,.0f}/s; p50 {shown(50)}, p95 {shown(95)}, p99 {shown(99)} ms"


# ------------------------------------------------------------------ the cards HR presses


def _facts() -> dict[str, Any]:
    # A last day ahead of today, whenever the bench runs.
    return {**FACTS, "last_day": (datetime.now(UTC) + timedelta(days=60)).date().isoformat()}


async def review_card(engine: AsyncEngine, company: Company, platform: str, platform_tenant: str,
                      user_id: str) -> Message:
    """The HR review card of the company's first case, as submit sends it to HR (handlers.views)."""
    deps = build_deps(SystemClock())
    async with UnitOfWork(make_session_factory(engine)) as uow:
        tenant = await uow.tenants.get(company.tenant_id)
        hr = await uow.people.get(company.hr_id)
        case = await uow.cases.get(company.case_ids[0])
        assert tenant is not None and hr is not None and case is not None
        inbound = Inbound(platform=platform, platform_tenant=platform_tenant, user_id=user_id, name="status",
                          case_ref=case.ref)
        ctx = Ctx(uow=uow, deps=deps, inbound=inbound, actor=hr, tenant=tenant, now=deps.clock.now())
        return await hr_review_card(ctx, case, hr)


def for_case(template: str, n: int) -> str:
    """`template` (JSON or a key drawn for case 0) redrawn for case n: its ref and employee. Refs
    (below 10,000), names and numbers are all of one width, so no replacement hits part of another."""
    return (template.replace("C-0001", f"C-{n + 1:04d}").replace("E000000", f"E{n:06d}")
            .replace("员工000000", f"员工{n:06d}"))


def slack_ts(n: int) -> str:
    """The ts of case n's review card in HR's DM."""
    return f"1600000000.{n:06d}"


def slack_cards(fake: QuietSlack) -> Callable[[int, int], list[float | None]]:
    """When each case's review card was updated (chat.update of its ts), from the fake."""
    return lambda first, count: [fake.updated.get(slack_ts(n)) for n in range(first, first + count)]


def slack_presses(card: Message, fake: QuietSlack) -> Callable[[int, int], list[Request]]:
    """Presses of Approve on each case's review card in HR's DM, signed as Slack signs them; the
    fake holds each card message, so the chat.update that follows a press finds it."""
    workspace = Workspace(TEAM, None, fake)  # type: ignore[arg-type] - builds requests, sends none
    rendered = render_message(card, TEAM)
    template = json.dumps(rendered.blocks, ensure_ascii=False)
    channel = "D" + workspace.uid(HR_HANDLE)[1:]

    def requests(first: int, count: int) -> list[Request]:
        out, seen = [], set()
        for n in range(first, first + count):
            blocks, ts = json.loads(for_case(template, n)), slack_ts(n)
            fake.messages[(channel, ts)] = SlackMessage(channel, ts, blocks, rendered.text, TEAM)
            sent = workspace.press_request(HR_HANDLE, blocks, "approve", channel=channel, ts=ts)
            action = json.loads(dict(parse_qsl(sent.body))["payload"])["actions"][0]
            seen.add(action["action_ts"])
            out.append(("/slack/events", {**sign(sent.body, secret=SLACK_SECRET), "Content-Type": sent.content_type},
                        sent.body))
        # Slack's id of a press is its action_ts: two alike would be one press and a retry.
        assert len(seen) == count, "two presses share an action_ts"
        return out

    return requests


def wecom_clicks(card: Message, fake: FakeWeCom, corp_id: str, aes_key: str
                 ) -> tuple[Callable[[int, int], list[Request]], Callable[[int, int], list[float | None]]]:
    """Clicks on Approve of each case's review card, encrypted as WeCom's server sends them; each
    with a ResponseCode the fake accepts once, for the card update that follows. And when each
    click's card was updated (the accepted update_template_card with its ResponseCode)."""
    phone = Phone("", corp_id, WECOM_TOKEN, aes_key, None, SystemClock())  # type: ignore[arg-type]
    key = next(b.key for b in buttons_of(card_for(card)) if "|approve|" in b.key)
    codes: dict[int, str] = {}

    def requests(first: int, count: int) -> list[Request]:
        out = []
        for n in range(first, first + count):
            ref_key = for_case(key, n)
            codes[n] = fake.response_code()
            xml = phone.click_xml(WECOM_HR, ref_key, task_id(ref_key.split("|")[1], "v1", n, 0), codes[n])
            body, params = phone.envelope(xml)
            out.append((f"/wecom/callback?{urlencode(params)}", {"Content-Type": "text/xml"}, body))
        return out

    def cards(first: int, count: int) -> list[float | None]:
        updated = {str((c.body or {}).get("response_code")): c.at.timestamp() for c in fake.calls
                   if c.path == "message/update_template_card" and c.errcode == 0 and c.at is not None}
        return [updated.get(codes.get(n, "")) for n in range(first, first + count)]

    return requests, cards


# ------------------------------------------------------------------ running the load


async def offer(ctx: Context, server: Server, requests: Sequence[Request], rate: float, deadline: float,
                label: str, landed: Callable[[], Awaitable[list[float | None]]] | None = None,
                cards: Callable[[], list[float | None]] | None = None) -> Run:
    """Send `requests` at `rate` from a bench.load process; the server's CPU time until the
    generator is done, or until `landed` (when each request's case moved) and `cards` (when its
    pressed card was updated) say all is in."""
    tag = uuid.uuid4().hex[:6]
    source, out = ctx.workdir / f"ack-{label}-{tag}.jsonl", ctx.workdir / f"ack-{label}-{tag}.json"
    write_requests(source, list(requests))
    before, logged = server.cpu_seconds(), server.log.stat().st_size
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load", server.url, str(source), str(out), "--rate", str(rate),
        "--timeout", str(deadline), cwd=ROOT)
    if await process.wait() != 0:
        raise RuntimeError(f"the load generator failed ({label})")
    landings = await landed() if landed is not None else None
    carded = await delivered(cards) if cards is not None else None
    seen = json.loads(out.read_text())
    run = Run(seen["start"], seen["timings"], server.cpu_seconds() - before, landings,
              server.errors_since(logged), carded)
    source.unlink()
    out.unlink()
    return run


async def moved(engine: AsyncEngine, company: Company, refs: Sequence[str]) -> list[float | None]:
    """When HR's approve moved each case of `refs` (Unix time, from the audit trail; None: never);
    waits while approvals still land."""
    landed: dict[str, float] = {}
    still, watch = Stopwatch(), Stopwatch()
    while watch.seconds < SETTLE_S:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT c.ref, extract(epoch FROM a.at) FROM audit_events a JOIN cases c ON c.id = a.case_id "
                "WHERE c.tenant_id = :t AND c.ref = ANY(:refs) AND a.action = 'approve' AND c.state = :s"),
                {"t": company.tenant_id, "refs": list(refs), "s": MOVED})).all()
        if len(rows) != len(landed):
            still = Stopwatch()
        landed = {ref: float(at) for ref, at in rows}
        if len(landed) == len(refs) or still.seconds >= STILL_S:
            break
        await asyncio.sleep(0.25)
    return [landed.get(ref) for ref in refs]


async def delivered(cards: Callable[[], list[float | None]]) -> list[float | None]:
    """`cards()` once every pressed card is updated, or nothing changed for STILL_S."""
    still, watch, known = Stopwatch(), Stopwatch(), -1
    while True:
        seen = cards()
        count = sum(1 for at in seen if at is not None)
        if count != known:
            still, known = Stopwatch(), count
        if count == len(seen) or still.seconds >= STILL_S or watch.seconds >= SETTLE_S:
            return seen
        await asyncio.sleep(0.25)


async def shelve_outbox(engine: AsyncEngine) -> int:
    """Put off what the relay has not sent yet, so the next step starts without its backlog (the
    relay's own rate is the outbox bench's subject). Returns how many messages were put off."""
    async with engine.begin() as conn:
        result = await conn.execute(text(
            "UPDATE outbox SET next_attempt_at = now() + interval '1 day' "
            "WHERE sent_at IS NULL AND dead_at IS NULL AND claimed_until IS NULL AND next_attempt_at <= now()"))
    return int(result.rowcount or 0)


def step_results(platform: Platform, rate: int, count: int, ours: Run, bare: Run, backlog: int,
                 beside: str = "") -> list[Result]:
    setting = f"{platform.label} approve, {rate}/s offered × {SECONDS:.0f} s{beside}"
    slack = platform.label == "Slack"
    p99_target = slack and rate == P99_TARGET_RATE and not beside
    moved_n = ours.moved
    ours_notes = (f"{moved_n:,}/{count:,} cases moved to {MOVED}, {ours.landing()}; not 200: {ours.errors()}; "
                  f"serve + worker CPU "
                  f"{ours.cpu_s * 1000 / max(count, 1):.1f} ms/request; relay left {backlog:,} messages unsent "
                  f"(put off before the next step); serve logged errors: {ours.logged}; generator lag ≤ "
                  f"{ours.lag_ms:.0f} ms")
    ratio = ours.throughput / bare.throughput if bare.throughput else 0.0
    cards = ours.card_ms()
    card_p99 = percentile(cards, 99) if cards else float("inf")
    landing_ok = (ours.landed_rate >= rate * 0.99 and card_p99 < CARD_P99_TARGET_MS
                  and ours.drained_s <= DRAINED_TARGET_S and moved_n == count and len(cards) == count)
    landing = [Result(
        NAME, f"{setting}: landing", f"landed {ours.landed_rate:,.0f}/s; press to card p99 {card_p99:,.0f} ms; "
        f"all in {ours.drained_s:.1f} s after the burst",
        f"≥ {rate}/s, p99 < {CARD_P99_TARGET_MS:.0f} ms, ≤ {DRAINED_TARGET_S:.0f} s",
        "ok" if landing_ok else "MISSED")] if p99_target else []
    return [*landing,
        Result(NAME, f"{setting}: ours", ours.summary(platform.deadline),
               f"p99 < {P99_TARGET_MS:.0f} ms" if p99_target else "",
               ("ok" if ours.ms(99) < P99_TARGET_MS and moved_n == count else "MISSED") if p99_target else "",
               ours_notes),
        Result(NAME, f"{setting}: bare", bare.summary(platform.deadline),
               notes=f"not 200: {bare.errors()}; CPU {bare.cpu_s * 1000 / max(count, 1):.1f} ms/request; "
                     f"generator lag ≤ {bare.lag_ms:.0f} ms"),
        Result(NAME, f"{setting}: ours/bare", f"throughput {ratio:.2f}; p50 {ours.ms(50) / bare.ms(50):.1f}×, "
                                              f"p99 {ours.ms(99) / bare.ms(99):.1f}×",
               f"throughput ≥ {RATIO_TARGET:.1f}" if slack else "",
               ("ok" if ratio >= RATIO_TARGET else "MISSED") if slack else ""),
    ]


def chosen_rates(ctx: Context) -> tuple[int, ...]:
    """The offered rates of this run: `--rate R` (repeatable) runs those steps alone, else RATES."""
    return tuple(ctx.options.get("rates") or RATES)


def with_worker(ctx: Context) -> bool:
    """The extra step with a `bot worker` beside serve belongs to the full run only."""
    return not ctx.options.get("rates")


async def measure(ctx: Context, platform: Platform, engine: AsyncEngine, serve: Server,
                  bare: Server) -> list[Result]:
    """Warm both servers up; the bare floor at each rate; then ours at each rate, each checked in
    the database. The floor goes first so that nothing serve still works on slows it down."""
    label, deadline, company = platform.label, platform.deadline, platform.company
    warm = platform.requests(0, WARMUP)
    await offer(ctx, bare, warm, WARMUP_RATE, deadline, f"{label}-warm-bare")
    warmed = await offer(ctx, serve, warm, WARMUP_RATE, deadline, f"{label}-warm",
                         lambda: moved(engine, company, company.refs[:WARMUP]))
    if warmed.moved != WARMUP:
        async with engine.connect() as conn:
            refused = (await conn.execute(text(
                "SELECT action, payload FROM audit_events WHERE action LIKE 'refused:%' LIMIT 3"))).all()
            told = (await conn.execute(text("SELECT kind, payload FROM outbox ORDER BY id LIMIT 3"))).all()
        raise RuntimeError(f"{platform.label}: the warm-up presses did not approve their cases (refusals: "
                           f"{refused}; first messages: {told}); see serve's log")
    await shelve_outbox(engine)
    steps, first = [], WARMUP
    for rate in chosen_rates(ctx):
        steps.append((rate, first, int(rate * SECONDS)))
        first += int(rate * SECONDS)
    floor = {}
    for rate, first, count in steps:
        print(f"   {label} at {rate}/s: bare …", flush=True)
        floor[rate] = await offer(ctx, bare, platform.requests(first, count), rate, deadline, f"{label}-{rate}-bare")
    results: list[Result] = []
    for rate, first, count in steps:
        print(f"   {label} at {rate}/s: ours …", flush=True)
        results += await _ours(ctx, platform, engine, serve, rate, first, count, floor[rate])
    if not with_worker(ctx):
        return results
    rate, first = WITH_WORKER_RATE, steps[-1][1] + steps[-1][2]
    print(f"   {label} at {rate}/s: ours, a bot worker beside serve …", flush=True)
    with serve.with_worker() as served:
        results += await _ours(ctx, platform, engine, served, rate, first, int(rate * SECONDS), floor[rate],
                               " + bot worker")
    return results


async def _ours(ctx: Context, platform: Platform, engine: AsyncEngine, serve: Server, rate: int, first: int,
                count: int, floor: Run, beside: str = "") -> list[Result]:
    refs = platform.company.refs[first:first + count]
    ours = await offer(ctx, serve, platform.requests(first, count), rate, platform.deadline,
                       f"{platform.label}-{rate}{beside.replace(' ', '-')}",
                       lambda: moved(engine, platform.company, refs), lambda: platform.cards(first, count))
    backlog = await shelve_outbox(engine)
    return step_results(platform, rate, count, ours, floor, backlog, beside)


# ------------------------------------------------------------------ the whole bench


@contextlib.asynccontextmanager
async def _servers(ctx: Context, url: str, slack: QuietSlack, wecom_url: str, corp_id: str,
                   aes_key: str) -> AsyncIterator[tuple[Server, Server]]:
    """serve (Slack and WeCom on the fakes, PostgreSQL + Redis) and the bare floor, both ready."""
    serve_port, bare_port = free_port(), free_port()
    env = bot_env(url, REDIS_URL=REDIS_URL, SIGNING_KEY_PATH=str(ctx.workdir / "signing-key.pem"),
                  SLACK_BOT_TOKEN=SLACK_TOKEN, SLACK_SIGNING_SECRET=SLACK_SECRET, SLACK_API_URL=slack.api_url,
                  SLACK_HR_CHANNEL=HR_CHANNEL, WECOM_CORP_ID=corp_id, WECOM_AGENT_ID=str(AGENT_ID),
                  WECOM_SECRET=WECOM_SECRET, WECOM_TOKEN=WECOM_TOKEN, WECOM_AES_KEY=aes_key,
                  WECOM_API_URL=f"{wecom_url}/cgi-bin/")
    bare_args = ["-m", "bench.bare", "--port", str(bare_port), "--slack-secret", SLACK_SECRET, "--slack-token",
                 SLACK_TOKEN, "--slack-api-url", slack.api_url, "--wecom-token", WECOM_TOKEN, "--wecom-aes-key",
                 aes_key, "--wecom-corp-id", corp_id]
    with (python_processes(["-m", "bot", "serve", "--port", str(serve_port)], env, 1,
                           ctx.workdir / "ack-serve.log") as (serve,),
          python_processes(bare_args, env, 1, ctx.workdir / "ack-bare.log") as (bare,)):
        serve_url, bare_url = f"http://127.0.0.1:{serve_port}", f"http://127.0.0.1:{bare_port}"
        await wait_ready(serve_url, serve, ctx.workdir / "ack-serve.log")
        await wait_ready(bare_url, bare, ctx.workdir / "ack-bare.log")
        yield (Server(serve_url, serve.pid, ctx.workdir / "ack-serve.log", env=env),
               Server(bare_url, bare.pid, ctx.workdir / "ack-bare.log"))


async def run(ctx: Context) -> list[Result]:
    extra = (WITH_WORKER_RATE,) if with_worker(ctx) else ()
    per_platform = WARMUP + sum(int(rate * SECONDS) for rate in (*chosen_rates(ctx), *extra))
    assert per_platform < 10_000, "refs of one width (C-0001 … C-9999): see for_case"
    corp_id, aes_key = f"ww{uuid.uuid4().hex[:16]}", new_aes_key()
    async with bench_database("postgresql", ctx.workdir) as url, fake_wecom(corp_id, WECOM_SECRET) as (wecom,
                                                                                                       wecom_url):
        engine = make_engine(url)
        slack = QuietSlack()
        await slack.start()
        try:
            slack.tokens[SLACK_TOKEN] = TEAM
            companies = {}
            for label, key, platform, tenant, hr, manager in (
                    ("Slack", f"slack:{TEAM}", "slack", TEAM, f"U{TEAM}HR", f"U{TEAM}MGR"),
                    ("WeCom", f"wecom:{corp_id}", "wecom", corp_id, WECOM_HR, WECOM_MANAGER)):
                company = await seed_cases(engine, per_platform, state="hr_review", tenant_key=key,
                                           hr_channel=HR_CHANNEL if platform == "slack" else "", facts=_facts(),
                                           facts_confirmed=True)
                await link_accounts(engine, platform, tenant, {company.hr_id: hr, company.manager_id: manager})
                companies[label] = (company, await review_card(engine, company, platform, tenant, hr))
            for handle in (HR_HANDLE, MANAGER_HANDLE):
                user = f"U{TEAM}{handle.upper()}"
                slack.add_person(TEAM, user, f"{handle}@bench.example", handle)
            clicks, clicked_cards = wecom_clicks(companies["WeCom"][1], wecom, corp_id, aes_key)
            platforms = [
                Platform("Slack", companies["Slack"][0], slack_presses(companies["Slack"][1], slack),
                         SLACK_DEADLINE_S, slack_cards(slack)),
                Platform("WeCom", companies["WeCom"][0], clicks, WECOM_DEADLINE_S, clicked_cards),
            ]
            results = []
            async with _servers(ctx, url, slack, wecom_url, corp_id, aes_key) as (serve, bare):
                wanted = ctx.options.get("platforms") or [p.label.lower() for p in platforms]
                for platform in platforms:
                    if platform.label.lower() in wanted:
                        results += await measure(ctx, platform, engine, serve, bare)
            problems = slack.check_sample(200)
            if problems:
                results.append(Result(NAME, "fake Slack's Block Kit check (200 calls)", f"{len(problems)} problems",
                                      notes="; ".join(problems[:3])))
            return results
        finally:
            await slack.stop()
            await engine.dispose()
