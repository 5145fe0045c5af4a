"""Secrets and privacy: a whole case with real-looking secrets configured; the logs and every HR
group message carry no secret, no token, no salary figure and no protected-status fact.

RELIABILITY.md §6. The case is a mutual separation (allowed while pregnant, LCL Art. 36/42) with
salary figures that appear nowhere else; the people on the case do see them (that is checked too,
so a case that never showed a figure cannot pass by accident).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import Services, bootstrap
from bot.channels.console import ConsoleChannel
from bot.settings import Settings
from bot.worker import Worker
from handlers.contracts import HR_GROUP, Inbound, Reply
from storage.models import OutboxMessage
from storage.uow import UnitOfWork
from tests.bot.services_support import closed_port
from tests.reliability.authz_world import OPENED, TALK_AT, TALKED, seed
from tests.reliability.services import bot_env, bot_process, free_port, wait_until
from workflow.clock import ManualClock

DB_PASSWORD = "Pg-" + uuid.uuid4().hex  # trust auth on the test server: sent, never checked
AVG_WAGE, PREV_WAGE = "23456.78", "24680"
COMPENSATION = "129012.29"  # 5.5 months (2019-03-15 .. 2024-06-30) x 23456.78
SALARY_MARKS = ("23456", "23,456", "24680", "24,680", "129012", "129,012")
PROTECTED_MARKS = ("pregnant", "Pregnant", "孕")
FACTS = {"hired": "2019-03-15", "last_day": "2024-06-30", "avg_wage": AVG_WAGE, "prev_wage": PREV_WAGE,
         "proposed_by": "employer", "protections": "pregnant", "confirm": "yes"}


def _secret_value(name: str) -> str:
    """A value shaped like the real thing, unique to this run."""
    unique = uuid.uuid4().hex
    if name == "WECOM_AES_KEY":
        return base64.b64encode(os.urandom(32)).decode().rstrip("=")  # 43 characters
    if name == "WECOM_HR_WEBHOOK":
        return f"http://127.0.0.1:{closed_port()}/cgi-bin/webhook/send?key={uuid.uuid4()}"
    if name == "SLACK_BOT_TOKEN":
        return f"xoxb-1234567890-{unique}"
    if name == "SLACK_APP_TOKEN":
        return f"xapp-1-A0123-{unique}"
    if name in ("SLACK_TOKEN_KEYS", "SECRET_KEYS"):
        return ",".join(Fernet.generate_key().decode() for _ in range(2))
    return f"{name.lower()}-{unique}"


def secret_settings() -> dict[str, str]:
    """Every SecretStr setting, with what the validators want beside them; platform APIs point at
    a closed local port, so nothing leaves the machine."""
    secrets = {name: _secret_value(name) for name, field in Settings.model_fields.items()
               if SecretStr in getattr(field.annotation, "__args__", (field.annotation,))}
    assert secrets, "no SecretStr settings found: what would this test protect?"
    companions = {"SLACK_CLIENT_ID": "1234567890.0987654321", "WECOM_CORP_ID": "ww" + uuid.uuid4().hex[:16],
                  "WECOM_AGENT_ID": "1000002", "SLACK_API_URL": f"http://127.0.0.1:{closed_port()}/api/",
                  "WECOM_API_URL": f"http://127.0.0.1:{closed_port()}/cgi-bin/"}
    return {**{k: v for k, v in companions.items() if k in Settings.model_fields}, **secrets}


def with_password(url: str) -> str:
    return make_url(url).set(password=DB_PASSWORD).render_as_string(hide_password=False)


def forbidden(secrets: dict[str, str]) -> dict[str, str]:
    """What must appear in no log and no group message, each with why."""
    marks = {value: f"secret {name}" for name, value in secrets.items() if "URL" not in name}
    marks.update({secrets[name].rsplit("key=", 1)[-1]: f"secret {name}"
                  for name in secrets if name.endswith("WEBHOOK")})
    marks[DB_PASSWORD] = "the database password"
    marks.update({mark: "a salary figure" for mark in SALARY_MARKS})
    marks.update({mark: "a protected-status fact" for mark in PROTECTED_MARKS})
    return marks


def leaks(text: str, marks: dict[str, str]) -> list[str]:
    return [f"{why} ({mark!r})" for mark, why in marks.items() if mark in text]


@pytest.fixture
def secrets() -> dict[str, str]:
    return secret_settings()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Files the documents and signing code write stay in the test's directory."""
    return {"SIGNING_KEY_PATH": str(tmp_path / "signing-key.pem"), "ARCHIVE_DIR": str(tmp_path / "archive")}


class CaseRun:
    """One whole case through Services.dispatch, the worker relaying after every step."""

    def __init__(self, runtime: Services, clock: ManualClock, *, relay: bool) -> None:
        self.runtime, self.clock, self.relay = runtime, clock, relay

    async def act(self, who: str, name: str, ref: str | None = "C-0001", **args: Any) -> Reply:
        reply = await self.runtime.gateway.dispatch(Inbound(platform="console", platform_tenant="local", user_id=who,
                                                    name=name, case_ref=ref, args=args))
        assert reply.ok, (who, name, [m.data for m in reply.messages])
        if self.relay:
            while sum(await Worker(self.runtime).run_once()):
                pass
        return reply

    async def whole_case(self) -> None:
        self.clock.set(OPENED)
        await self.act("lee", "open", None, employee="@alice", ground="mutual", note="协商一致解除")
        await self.act("lee", "evidence", kind="proposal", content="公司提出协商解除 https://hr.example/p")
        await self.act("wangfang", "facts", facts=FACTS)
        await self.act("lee", "submit")
        await self.act("wangfang", "approve")
        await self.act("wangfang", "schedule", when=TALK_AT)
        await self.act("lee", "confirm_attendance")
        self.clock.set(TALKED)
        await self.act("wangfang", "record_talk")
        self.clock.set(TALKED + timedelta(hours=1))
        await self.act("alice", "sign")
        async with self.runtime.uow_factory() as uow:
            case = await uow.cases.by_ref((await uow.tenants.by_key("console:local")).id, "C-0001")
            assert case is not None
            items = [(i.id, (await uow.people.get(i.owner_id)).employee_no)
                     for i in await uow.handover.for_case(case.id)]
        handles = {"M001": "lee", "H001": "wangfang", "I001": "chen", "A001": "liu", "F001": "sun"}
        for item_id, owner in items:
            await self.act(handles[owner], "complete_item", item=str(item_id))


async def outbox(engine: AsyncEngine) -> list[OutboxMessage]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(OutboxMessage))).all())  # type: ignore[arg-type]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_whole_case_leaks_nothing_to_logs_or_the_hr_group(
    db_url: str, engine: AsyncEngine, uow_factory: Callable[[], UnitOfWork], secrets: dict[str, str],
    files: dict[str, str], debug_logs: pytest.LogCaptureFixture
) -> None:
    await seed(uow_factory)
    shown: list[str] = []
    clock = ManualClock(OPENED)
    settings = Settings(_env_file=None, DATABASE_URL=with_password(db_url), REDIS_URL=None, **secrets, **files)
    runtime = bootstrap(settings, clock=clock, channels=[lambda _core: ConsoleChannel(sink=shown.append)])
    try:
        await CaseRun(runtime, clock, relay=True).whole_case()
    finally:
        await runtime.close()

    marks = forbidden(secrets)
    logged = "\n".join(debug_logs.handler.format(record) for record in debug_logs.records)
    assert debug_logs.records, "nothing was logged at DEBUG: the capture is not working"
    assert leaks(logged, marks) == []
    messages = await outbox(engine)
    group = [m for m in messages if m.recipient == HR_GROUP]
    assert group and all(m.sent_at is not None for m in messages)
    for message in group:
        text = json.dumps(message.payload, ensure_ascii=False)
        assert leaks(text, marks) == [], (message.kind, text[:500])
    # The figures and the protection were in play: the people who need them saw them.
    people = json.dumps([m.payload for m in messages if m.recipient != HR_GROUP], ensure_ascii=False)
    assert "23456" in people.replace(",", "") and "129012" in people.replace(",", "")
    assert any(mark in people for mark in PROTECTED_MARKS)


# ------------------------------------------------------------------ the real processes' output


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_serve_and_worker_output_carries_no_secret(
    db_url: str, engine: AsyncEngine, uow_factory: Callable[[], UnitOfWork], secrets: dict[str, str],
    files: dict[str, str], tmp_path: Path
) -> None:
    # A whole case whose every message is still waiting: `serve` relays them while logging at DEBUG.
    await seed(uow_factory)
    clock = ManualClock(OPENED)
    runtime = bootstrap(Settings(_env_file=None, DATABASE_URL=db_url, REDIS_URL=None,
                               **files), clock=clock, channels=[])
    try:
        await CaseRun(runtime, clock, relay=False).whole_case()
    finally:
        await runtime.close()
    env = bot_env(DATABASE_URL=with_password(db_url), LOG_LEVEL="DEBUG", POLL_INTERVAL_SECONDS="0.5", **secrets,
                  **files)
    port = free_port()
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:

        async def relayed() -> bool:
            try:
                ready = (await client.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False
            return ready and all(m.sent_at is not None or m.dead_at is not None for m in await outbox(engine))

        with bot_process(["serve", "--port", str(port)], env, out, err) as serve:
            await wait_until(relayed, seconds=90, what="serve relaying the case", process=serve, log=err)
            await client.get("/no/such/page")
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=30)
    # A worker that cannot reach its database says so, naming the database without its password.
    broken = bot_env(DATABASE_URL=with_password(f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/x"),
                     LOG_LEVEL="DEBUG", **secrets, **files)
    failed = tmp_path / "worker.out"
    with bot_process(["worker"], broken, failed) as worker:
        worker.wait(timeout=60)
    assert worker.returncode == 2
    assert "cannot reach the database" in failed.read_text(encoding="utf-8")

    # stdout is the console channel: messages to people, where the figures belong (and are).
    assert "23456" in out.read_text(encoding="utf-8").replace(",", "")
    logs = err.read_text(encoding="utf-8") + failed.read_text(encoding="utf-8")
    assert " DEBUG " in logs, "no DEBUG log output captured"
    assert leaks(logs, forbidden(secrets)) == []
