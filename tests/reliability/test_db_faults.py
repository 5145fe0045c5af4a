"""Database faults on a test-private PostgreSQL cluster: stop it, and nothing is half-written.

RELIABILITY.md: "database unavailable → 503 to the platform (so it retries), readiness probe red,
nothing half-written"; start it again and the service resumes, a retried request acting once.
Signed Slack requests and encrypted WeCom callbacks go through the real app (uvicorn, bolt,
wechatpy) against the fake platforms; the real `python -m bot serve` shows its readiness probe
going red and green; a crash just before COMMIT is staged under the worker handling a WeCom
callback, and under the
handlers alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.contracts import Inbound
from handlers.deps import build_deps
from handlers.dispatch import handle
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import EvidenceItem
from storage.uow import UnitOfWork
from tests.e2e.slack_support import slack_stack
from tests.e2e.wecom_support import wecom_stack
from tests.reliability.authz_world import REF, Driver, drive_to, seed
from tests.reliability.platforms import assert_no_traceback, footprint, slack_effects, slack_in_hr_review
from tests.reliability.services import PrivatePostgres, bot_env, bot_process, free_port, private_postgres, wait_until
from workflow.clock import ManualClock
from workflow.i18n import LOCALES, t
from workflow.model import State

pytestmark = pytest.mark.slow

DATABASE = "offboard"


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as cluster:
        asyncio.run(_create_database(cluster))
        upgrade(cluster.url(DATABASE))
        yield cluster


async def _create_database(cluster: PrivatePostgres, name: str = DATABASE) -> None:
    connection = await asyncpg.connect(cluster.url().replace("+asyncpg", ""))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def hr_review_at(cluster: PrivatePostgres) -> datetime:
    """The case waits for HR's decision; returns the instant it got there."""

    async def build() -> datetime:
        engine = make_engine(cluster.url(DATABASE))
        try:
            factory = make_session_factory(engine)
            await seed(lambda: UnitOfWork(factory))
            driver = await drive_to(lambda: UnitOfWork(factory), State.HR_REVIEW)
            return driver.clock.now()
        finally:
            await engine.dispose()

    return asyncio.run(build())


@pytest.fixture
def running(cluster: PrivatePostgres) -> Iterator[PrivatePostgres]:
    """The cluster, started again after the test whatever the test did to it."""
    yield cluster
    if not cluster.running():
        cluster.start()


async def idle(cluster: PrivatePostgres) -> bool:
    """No timer due and unfired, no message waiting to be sent."""
    connection = await asyncpg.connect(cluster.url(DATABASE).replace("+asyncpg", ""))
    try:
        return not await connection.fetchval(
            "SELECT (SELECT count(*) FROM timers WHERE fired_at IS NULL AND due_at <= now())"
            " + (SELECT count(*) FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL)")
    finally:
        await connection.close()


# ------------------------------------------------------------------ the real serve process


async def test_serve_readiness_goes_red_while_the_database_is_down_and_green_after(
    running: PrivatePostgres, hr_review_at: datetime, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = bot_env(DATABASE_URL=running.url(DATABASE), POLL_INTERVAL_SECONDS="0.5", LOG_LEVEL="INFO")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:

        async def ready(status: int) -> bool:
            try:
                return (await client.get("/readyz")).status_code == status
            except httpx.TransportError:
                return False

        with bot_process(["serve", "--port", str(port)], env, log) as serve:
            await wait_until(lambda: ready(200), seconds=60, what="readiness", process=serve, log=log)
            # The case's timers fell due long ago (it was built on a 2024 clock): let the worker
            # catch up first, so that what follows compares a database nobody is writing to.
            await wait_until(lambda: idle(running), seconds=60, what="the worker catching up", process=serve,
                             log=log)
            before = await footprint(running.url(DATABASE))
            running.stop()
            response = await client.get("/readyz")
            assert (response.status_code, response.json()) == (503, {"status": "unavailable"})
            assert (await client.get("/healthz")).status_code == 200  # alive, just not ready
            running.start()
            await wait_until(lambda: ready(200), seconds=30, what="readiness after the restart", process=serve,
                             log=log)
            assert serve.poll() is None
    assert await footprint(running.url(DATABASE)) == before
    assert "Traceback" not in response.text


@dataclass
class Crash:
    """A one-shot switch: the first COMMIT of a DiesAtCommit unit (for which `when` holds) finds
    the cluster crashed."""

    cluster: PrivatePostgres
    armed: bool = True
    when: Callable[[UnitOfWork], Awaitable[bool]] | None = None


class DiesAtCommit(UnitOfWork):
    """A unit of work whose database crashes after every write was sent, just before COMMIT
    (stopped "immediate": no shutdown checkpoint), if its `crash` is still armed."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], crash: Crash) -> None:
        super().__init__(session_factory)
        self.crash = crash

    async def commit(self) -> None:
        if self.crash.armed and (self.crash.when is None or await self.crash.when(self)):
            self.crash.armed = False
            await asyncio.to_thread(self.crash.cluster.stop, "immediate")
        await super().commit()


# ------------------------------------------------------------------ the platform endpoints


async def new_database(cluster: PrivatePostgres, name: str) -> str:
    """A fresh database on the cluster, migrated to head; its URL."""
    await _create_database(cluster, name)
    url = cluster.url(name)
    await asyncio.to_thread(upgrade, url)
    return url


async def test_slack_while_the_database_is_down_answers_without_acting_and_a_resend_acts_once(
    running: PrivatePostgres,
) -> None:
    url = await new_database(running, "slack_outage")
    async with slack_stack(url) as stack:
        requests = await slack_in_hr_review(stack)
        t1 = stack.workspace("T1")
        before = await footprint(url)
        running.stop()
        down = {name: await t1.post(sent) for name, sent in requests.all()}
        ready = await stack.http.get("/readyz")
        running.start()
        assert await footprint(url) == before, "a request during the outage left something behind"

        for response in (*down.values(), ready):
            assert_no_traceback(response)
        assert (ready.status_code, ready.json()) == (503, {"status": "unavailable"})
        # An Events API delivery is answered 503: Slack sends it again (x-slack-retry-num).
        assert down["event"].status_code == 503
        # Slack never re-sends a command or a press, whatever the status: a 503 would only show the
        # person Slack's own failure notice. They are told, in both languages, that nothing was
        # done (the command in its response, the press on its response_url).
        failed = "\n".join(t("slack.error", locale) for locale in LOCALES)
        assert (down["command"].status_code, down["command"].json()["text"]) == (200, failed)
        assert down["press"].status_code == 200
        assert stack.fake.responses[-1]["text"] == failed

        # The same requests again, as retried (or re-sent by the person): each acts once.
        again = {name: await t1.post(sent, retry=1) for name, sent in requests.all()}
        assert {name: r.status_code for name, r in again.items()} == dict.fromkeys(again, 200)
        assert "C-0002" in again["command"].text
        for retry in (2, 3):
            for name, sent in requests.all():
                response = await t1.post(sent, retry=retry)
                assert (response.status_code, response.text) == (200, ""), name
        await stack.settle()
        slack_effects(before, await footprint(url))
        assert len(stack.fake.to("chat.update")) == 1  # the pressed card, updated once


async def test_a_wecom_callback_in_an_outage_or_a_crash_at_commit_gets_503_and_its_retry_acts_once(
    running: PrivatePostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await new_database(running, "wecom_outage")
    async with wecom_stack(url) as stack:
        await stack.sync_directory()
        phone = stack.phone
        opening = phone.xml("lee", "text", {"Content": "退工 @alice 不能胜任"})
        before = await footprint(url)
        running.stop()
        down = await phone.post(opening)
        ready = await phone.http.get(f"{phone.url}/readyz")
        running.start()
        assert await footprint(url) == before, "the callback during the outage left something behind"
        assert_no_traceback(down)
        assert (down.status_code, down.json()) == (503, {"status": "error"})  # WeCom retries it
        assert ready.status_code == 503

        # WeCom's retries carry the same MsgId: the first opens the case, the others change nothing.
        for _ in range(3):
            retried = await phone.post(opening)
            assert (retried.status_code, retried.content) == (200, b"")
        await stack.settle()
        after = await footprint(url)
        assert list(after["cases_by_ref"]) == ["C-0001"]
        assert after["inbound_deliveries"] == before["inbound_deliveries"] + 1
        assert after["audit_actions"].count("open") == 1
        # Each reply and the HR group's notice went out once.
        titles = [card["main_title"]["title"] for card in stack.fake.cards(to="lee")]
        assert "已创建案件 C-0001" in titles and len(titles) == len(set(titles)), titles
        assert ["C-0001" in post.body["markdown"]["content"] for post in stack.fake.robot_posts()] == [True]

        # Lee answers the evidence prompt: it is kept and answered, and the database crashes as the
        # worker commits the evidence it files.
        answer = phone.xml("lee", "text", {"Content": "2023H2 绩效 C"})
        before = await footprint(url)
        async def files_evidence(uow: UnitOfWork) -> bool:
            return bool(await uow.session.scalar(select(func.count()).select_from(EvidenceItem)))

        crash = Crash(running, when=files_evidence)
        monkeypatch.setattr(stack.runtime.gateway, "uow_factory",
                            lambda: DiesAtCommit(stack.runtime.session_factory, crash))
        kept = await phone.post(answer)
        monkeypatch.undo()
        running.start()
        assert not crash.armed, "the worker never reached the commit"
        assert (kept.status_code, kept.content) == (200, b"")  # WeCom is done with it
        # Nothing the worker did is left; the answer waits in the inbox.
        assert await footprint(url) == {**before, "inbox": before["inbox"] + 1}
        for _ in range(3):  # WeCom's retries (a 200 may be lost too): still kept once
            assert (await phone.post(answer)).status_code == 200
        # The crashed worker's claim runs out; the next one handles the answer.
        stack.clock.advance(timedelta(seconds=stack.runtime.settings.CLAIM_LEASE_SECONDS + 1))
        await stack.settle()
        after = await footprint(url)
        assert after["evidence"] == before["evidence"] + 1
        assert after["audit_actions"].count("evidence") == 1


# ------------------------------------------------------------------ the handlers, no HTTP


async def test_a_database_crash_before_commit_leaves_nothing_half_written(
    running: PrivatePostgres, hr_review_at: datetime
) -> None:
    engine = make_engine(running.url(DATABASE))
    factory = make_session_factory(engine)
    deps = build_deps(ManualClock(hr_review_at))
    try:
        before = await footprint(running.url(DATABASE))
        crash = Crash(running)
        approve = Inbound(platform="console", platform_tenant="local", user_id="wangfang", name="approve",
                          case_ref=REF, delivery_id="slack:crash-1")
        # Approving writes the case, an audit event, the delivery and outbox rows: one transaction.
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for a lost server
            await handle(approve, lambda: DiesAtCommit(factory, crash), deps)
        running.start()
        assert not crash.armed
        assert await footprint(running.url(DATABASE)) == before
        # The platform's retry goes through, once.
        reply = await handle(approve, lambda: UnitOfWork(factory), deps)
        assert reply.ok, [m.data for m in reply.messages]
        after = await footprint(running.url(DATABASE))
        assert after["cases_by_ref"][REF] == (State.SCHEDULING_TALK.value, before["cases_by_ref"][REF][1] + 1)
        assert after["audit_events"] == before["audit_events"] + 1
        assert after["outbox"] > before["outbox"]
    finally:
        await engine.dispose()


async def test_dispatch_during_an_outage_raises_and_writes_nothing(
    running: PrivatePostgres, hr_review_at: datetime
) -> None:
    engine = make_engine(running.url(DATABASE))
    factory = make_session_factory(engine)
    driver = Driver(lambda: UnitOfWork(factory), hr_review_at)
    try:
        before = await footprint(running.url(DATABASE))
        running.stop()
        for who, action in (("wangfang", "approve"), ("lee", "status"), ("ghost", "help")):
            with pytest.raises(Exception):  # noqa: B017 - the connection error, whichever the driver raises
                await handle(Inbound(platform="console", platform_tenant="local", user_id=who, name=action,
                                     case_ref=REF, delivery_id=f"slack:{who}:{action}"),
                             driver.uow_factory, driver.deps)
        running.start()
        assert await footprint(running.url(DATABASE)) == before
    finally:
        await engine.dispose()
