"""Outbound webhooks end to end: subscriptions made with `python -m bot webhook add`, a case driven
through handlers.dispatch.handle, the relay posting to a real HTTP receiver on 127.0.0.1 that checks
each Standard Webhooks signature by itself; a failing receiver retried then dead-lettered with HR
told; the IT system's signed callback completing its handover item (and a forged or stale one
refused, changing nothing)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.bootstrap import Services, bootstrap
from bot.channels.console import ConsoleChannel
from bot.channels.webhook import WebhookChannel
from bot.channels.webhook.routes import webhook_router
from bot.worker import Worker
from storage.models import OutboxMessage
from storage.uow import UnitOfWork
from tests.bot.services_support import in_process_cli, settings_for
from tests.handlers.conftest import START, World, make_world
from tests.unit.steps import FACTS, in_handover, ok
from workflow.clock import ManualClock


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A company system: records every POST; paths under /down answer 503."""

    url: str
    got: list[Received] = field(default_factory=list)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.got if r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            got.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(503 if self.path.startswith("/down") else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Receiver(f"http://127.0.0.1:{server.server_address[1]}", got)
    server.shutdown()
    server.server_close()


@pytest.fixture
async def world(uow_factory: Callable[[], UnitOfWork]) -> World:
    return await make_world(uow_factory, ManualClock(START))


@pytest.fixture
def shown() -> list[str]:
    """What the console channel printed."""
    return []


@pytest.fixture
async def services(db_url: str, world: World, shown: list[str]) -> AsyncIterator[Services]:
    made = bootstrap(settings_for(db_url, QUEUE_MAX_ATTEMPTS=3), clock=world.clock, channels=[
        lambda _core: ConsoleChannel(sink=shown.append),
        lambda core: WebhookChannel(uow_factory=core.uow_factory, now=core.clock.now)])
    yield made
    await made.close()


def standard_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's own check, written from the convention (not with the project's code)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, given) for given in headers["webhook-signature"].split(" "))


async def subscribe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str,
                    capsys: pytest.CaptureFixture[str], *args: str) -> str:
    cli = in_process_cli(monkeypatch, tmp_path, db_url)
    capsys.readouterr()
    assert await cli("webhook", "add", *args) == 0
    return re.search(r"whsec_\S+", capsys.readouterr().out).group(0)


def signed(secret: str, body: bytes, msg_id: str, timestamp: int) -> dict[str, str]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": "v1," + base64.b64encode(digest).decode(), "content-type": "application/json"}


async def drain(services: Services) -> None:
    relay = Worker(services).relay
    while await relay.run_once():
        pass


async def item_ids(world: World) -> dict[str, tuple[int, str]]:
    """item kind -> (id, owner's console handle)."""
    case = await world.case()
    async with world.uow_factory() as uow:
        items = await uow.handover.for_case(case.id)
        handles = {}
        for item in items:
            (identity,) = await uow.people.identities(item.owner_id)
            handles[item.kind] = (item.id, identity.platform_user_id)
    return handles


async def test_each_event_reaches_its_subscribers_once_signed_with_only_the_allowed_fields(
    world: World, services: Services, receiver: Receiver, db_url: str, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    it_secret = await subscribe(monkeypatch, tmp_path, db_url, capsys, "it", f"{receiver.url}/it",
                                "--events", "handover_item.due,handover_item.done,case.closed",
                                "--fields", "employee_no,employee_name,item,item_due_at",
                                "--completes", "account_revocation")
    payroll_secret = await subscribe(monkeypatch, tmp_path, db_url, capsys, "payroll", f"{receiver.url}/payroll",
                                     "--fields", "employee_no,last_day,avg_wage")
    await in_handover(world)  # facts (last day) set, approved, talk held, alice signs
    await drain(services)
    await drain(services)  # nothing more: each event once
    payroll = receiver.at("/payroll")
    assert [r.event["type"] for r in payroll] == ["case.last_day_set", "case.approved", "case.signed"]
    assert receiver.at("/it") == []  # nothing it subscribed to has happened yet
    for r in payroll:
        assert standard_signature(payroll_secret, r.headers, r.body)
        assert not standard_signature(it_secret, r.headers, r.body)
        assert int(r.headers["webhook-timestamp"]) == int(world.clock.now().timestamp())
        assert r.event["data"] == {"case_ref": "C-0001", "employee_no": "E001", "last_day": FACTS["last_day"],
                                   "avg_wage": FACTS["avg_wage"]}  # payroll named the wage itself
    assert len({r.headers["webhook-id"] for r in payroll}) == 3

    # The items fall due: IT hears of each due item, with only its fields (no wage, no last day).
    items = await item_ids(world)
    case = await world.case()
    async with world.uow_factory() as uow:
        due = max(i.due_at for i in await uow.handover.for_case(case.id))
    await world.advance_to(due)
    await drain(services)
    it_due = [r.event for r in receiver.at("/it") if r.event["type"] == "handover_item.due"]
    assert sorted(e["data"]["item"] for e in it_due) == sorted(items)
    assert all(set(e["data"]) == {"case_ref", "employee_no", "employee_name", "item", "item_due_at"} for e in it_due)
    assert all(standard_signature(it_secret, r.headers, r.body) for r in receiver.at("/it"))

    # Owners tick their items, IT calls back for accounts; the last tick closes the case.
    app = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services, run_worker=False,
                                                                         routers=[webhook_router(services)])),
                            base_url="http://bot")
    body = b'{"note":"accounts revoked"}'
    stamp = int(world.clock.now().timestamp())
    answer = await app.post("/webhooks/it/console:local/C-0001/account_revocation", content=body,
                            headers=signed(it_secret, body, "msg_it_1", stamp))
    assert answer.status_code == 200 and answer.json() == {"status": "done"}
    for kind, (item_id, owner) in items.items():
        if kind != "account_revocation":
            await ok(world, owner, "complete_item", item=str(item_id))
    assert (await world.case()).state == "closed"
    await drain(services)
    done = [r.event for r in receiver.at("/it") if r.event["type"] == "handover_item.done"]
    assert sorted(e["data"]["item"] for e in done) == sorted(items)
    assert [r.event["type"] for r in receiver.at("/it")].count("case.closed") == 1
    assert [r.event["type"] for r in receiver.at("/payroll")][-1] == "case.closed"
    assert len({r.headers["webhook-id"] for r in receiver.got}) == len(receiver.got)  # none twice
    await app.aclose()


async def test_the_it_callback_completes_its_item_and_a_forged_or_stale_one_changes_nothing(
    world: World, services: Services, receiver: Receiver, db_url: str, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    secret = await subscribe(monkeypatch, tmp_path, db_url, capsys, "it", f"{receiver.url}/it",
                             "--events", "handover_item.done", "--completes", "account_revocation")
    other = await subscribe(monkeypatch, tmp_path, db_url, capsys, "payroll", f"{receiver.url}/payroll")
    await in_handover(world)
    app = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services, run_worker=False,
                                                                         routers=[webhook_router(services)])),
                            base_url="http://bot")
    url = "/webhooks/it/console:local/C-0001/account_revocation"
    body = b"{}"
    now = int(world.clock.now().timestamp())

    async def snapshot() -> tuple[int, int, Any]:
        case = await world.case()
        async with world.uow_factory() as uow:
            events = len(await uow.audit.for_case(case.id))
            rows = len((await uow.session.scalars(select(OutboxMessage))).all())
            item = next(i for i in await uow.handover.for_case(case.id) if i.kind == "account_revocation")
        return events, rows, item.done_at

    before = await snapshot()
    assert before[2] is None
    refused = [
        await app.post(url, content=body, headers=signed(secret, b"{ }", "msg_a", now)),  # body changed
        await app.post(url, content=body, headers=signed(secret, body, "msg_b", now - 301)),  # stale
        await app.post(url, content=body, headers=signed(secret, body, "msg_c", now + 301)),  # from the future
        await app.post(url, content=body, headers={"webhook-id": "msg_d"}),  # unsigned
        await app.post("/webhooks/it/console:other/C-0001/account_revocation", content=body,
                       headers=signed(secret, body, "msg_e", now)),  # another tenant's secrets
    ]
    assert [r.status_code for r in refused] == [401] * 5
    # Signed by a subscriber that may not complete it, or naming an item that does not exist.
    assert (await app.post(url, content=body, headers=signed(other, body, "msg_f", now))).status_code == 403
    missing = await app.post("/webhooks/it/console:local/C-0001/nothing", content=body,
                             headers=signed(secret, body, "msg_g", now))
    assert missing.status_code == 404
    assert await snapshot() == before

    good = signed(secret, body, "msg_ok", now - 299)  # inside the window
    assert (await app.post(url, content=body, headers=good)).json() == {"status": "done"}
    events, _rows, done_at = await snapshot()
    assert done_at == world.clock.now() and events == before[0] + 1
    case = await world.case()
    async with world.uow_factory() as uow:
        last = (await uow.audit.for_case(case.id))[-1]
    assert last.action == "complete_item" and last.actor_identity == "webhook:console:local:subscription.it"
    assert last.payload["via"] == "webhook" and last.payload["webhook_id"] == "msg_ok"
    assert (await app.post(url, content=body, headers=good)).json() == {"status": "repeated"}
    again = await app.post(url, content=body, headers=signed(secret, body, "msg_ok2", now))
    assert again.json() == {"status": "already_done"}
    assert (await snapshot())[0] == events
    await app.aclose()


async def test_a_failing_receiver_is_retried_then_dead_lettered_and_hr_is_told(
    world: World, services: Services, shown: list[str], receiver: Receiver, db_url: str,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    await subscribe(monkeypatch, tmp_path, db_url, capsys, "payroll", f"{receiver.url}/down",
                    "--events", "case.approved")
    await in_handover(world)
    await drain(services)
    for _ in range(5):  # past each backoff; QUEUE_MAX_ATTEMPTS is 3 here
        world.clock.advance(timedelta(hours=2))
        await drain(services)
    tries = receiver.at("/down")
    assert len(tries) == 3 and len({r.headers["webhook-id"] for r in tries}) == 1  # the same message
    assert len({r.headers["webhook-timestamp"] for r in tries}) == 3  # each try signed anew
    data = tries[0].event["data"]  # the default fields: no pay, no protected status
    assert data["employee_name"] == "Alice Zhang" and data["last_day"] == FACTS["last_day"]
    assert "avg_wage" not in data and "protections" not in data
    async with world.uow_factory() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    (hook,) = [r for r in rows if r.channel == "webhook"]
    assert hook.dead_at is not None and hook.attempts == 3 and "503" in hook.last_error
    (alert,) = [r for r in rows if r.kind == "dead_letter"]
    assert (alert.channel, alert.recipient, alert.payload["data"]["failed_id"]) == ("console", "hr_group", hook.id)
    assert alert.sent_at is not None  # delivered to HR on the console
    assert any("case.approved" in text for text in shown)


async def test_the_webhook_command_lists_tests_and_removes_and_refuses_bad_input(
    world: World, receiver: Receiver, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = await subscribe(monkeypatch, tmp_path, db_url, capsys, "it", f"{receiver.url}/it",
                             "--completes", "account_revocation")
    cli = in_process_cli(monkeypatch, tmp_path, db_url)
    assert await cli("webhook", "list") == 0
    listed = capsys.readouterr().out
    assert listed.startswith(f"it\t{receiver.url}/it\t") and "completes=account_revocation" in listed
    assert "avg_wage" not in listed and secret not in listed  # pay only when named; the secret never shown again

    assert await cli("webhook", "test", "it") == 0
    assert "answered 204" in capsys.readouterr().out
    (ping,) = receiver.at("/it")
    assert ping.event["type"] == "webhook.test" and standard_signature(secret, ping.headers, ping.body)
    assert await cli("webhook", "add", "down", f"{receiver.url}/down") == 0
    assert await cli("webhook", "test", "down") == 1
    assert "answered 503" in capsys.readouterr().out

    for bad, why in ((["it", "http://x.example"], "exists"), (["x", "ftp://x.example"], "not an http"),
                     (["x", "http://x.example", "--events", "case.exploded"], "unknown event"),
                     (["x", "http://x.example", "--fields", "salary"], "unknown field"),
                     (["x", "http://x.example", "--completes", "coffee"], "unknown handover item")):
        assert await cli("webhook", "add", *bad) == 2
        assert why in capsys.readouterr().err
    assert await cli("webhook", "remove", "it") == 0
    assert await cli("webhook", "test", "it") == 2
    assert "no subscription named it" in capsys.readouterr().err
    assert await cli("webhook", "list") == 0
    assert capsys.readouterr().out.startswith("down\t")
