"""The replicas test's parts: `serve` processes, the fake Slack and WeCom they all call (each replica
told apart by its own bot token and WeCom API path), people sending signed requests round robin, counts."""

from __future__ import annotations

import contextlib
import itertools
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cards.model import ActionRef, decode_action
from bot.directory import Workspace as Tenant
from bot.directory import import_entries, parse
from storage.models import Case, OutboxMessage, Person
from storage.models import Tenant as TenantRow
from storage.uow import UnitOfWork
from tests.bot.services_support import serving
from tests.e2e.fake_slack import FakeSlack, Message
from tests.e2e.slack_support import SECRET, Sent, Workspace, user_id
from tests.e2e.wecom_fake import FakeWeCom
from tests.e2e.wecom_support import AGENT_ID, Phone, button, new_aes_key
from tests.reliability.services import bot_env, bot_process, free_port, wait_until
from workflow.clock import ManualClock
from workflow.i18n import t

TEAM = "T1"
HR_CHANNEL = "CHR1"  # Slack: the HR group is this channel
HR_CHAT = "hrchat"  # WeCom: the HR group is this app group chat (no robot: its 20 posts a minute)
# (handle, employee no., name, roles): the manager, the one HR member and the handover owners.
STAFF = (
    ("lee", "M001", "李雷", "manager"),
    ("wangfang", "H001", "王芳", "hr"),
    ("sun", "I001", "孙强", "it"),
    ("zhou", "A001", "周静", "admin"),
    ("wu", "F001", "吴磊", "finance"),
)
Card = Message | dict[str, Any]  # a Slack message the fake holds, or a WeCom template card
# The Web API calls one Slack outbox message makes (exactly one each when delivered).
SLACK_DELIVERIES = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish",
                              "response_url"})


def employee(n: int) -> tuple[str, str]:
    """(handle, employee no.) of the n-th employee of a tenant."""
    return f"e{n:02d}", f"E{n:03d}"


def bot_token(replica: int) -> str:
    return f"xoxb-{TEAM}-r{replica}"


def _account(platform: str, handle: str) -> str:
    return user_id(TEAM, handle) if platform == "slack" else handle


def directory_csv(platform: str, employees: int) -> str:
    """The staff and `employees` people under the manager, with their accounts on `platform`."""
    column = {"slack": "slack_id", "wecom": "wecom_id"}[platform]
    rows = [f"employee_no,name,manager_no,roles,locale,hire_date,{column}"]
    rows += [f"{no},{name},,{roles},zh-CN,2015-01-05,{_account(platform, handle)}"
             for handle, no, name, roles in STAFF]
    for n in range(employees):
        handle, no = employee(n)
        rows.append(f"{no},员工{n:02d},M001,,zh-CN,2019-03-15,{_account(platform, handle)}")
    return "\n".join(rows) + "\n"


# ---------------------------------------------------------------- the platforms


@dataclass
class Platforms:
    """The fake Slack and WeCom, with the WeCom credentials the replicas are configured with."""

    slack: FakeSlack
    wecom: FakeWeCom
    wecom_url: str
    token: str
    aes_key: str
    wecom_calls: Counter[int]  # replica -> calls it made to the fake WeCom
    replicas: int

    def _slack_deliverers(self) -> list[int]:
        """The replica behind each Slack delivery, in order (told apart by their bot tokens)."""
        replica = {bot_token(n): n for n in range(self.replicas)}
        # (A post to a response_url carries no token: it is nobody's in particular.)
        return [replica[call.token] for call in self.slack.calls
                if call.method in SLACK_DELIVERIES and call.token in replica]

    def slack_deliveries(self) -> Counter[int]:
        """Replica -> Slack messages it delivered."""
        return Counter(self._slack_deliverers())

    def last_slack_deliverer(self) -> int:
        return self._slack_deliverers()[-1]


def _per_replica(app: FastAPI, replicas: int, calls: Counter[int]) -> FastAPI:
    """`app` under /r<n>/ for each replica n, counting each replica's calls."""
    front = FastAPI()

    @front.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        head = request.url.path.split("/")[1]
        if head[:1] == "r" and head[1:].isdigit():
            calls[int(head[1:])] += 1
        return await call_next(request)

    for n in range(replicas):
        front.mount(f"/r{n}", app)
    return front


@contextlib.asynccontextmanager
async def platforms(replicas: int, employees: int) -> AsyncIterator[Platforms]:
    """Both fakes on 127.0.0.1; a fresh WeCom corp id (its Redis keys are this run's alone)."""
    slack = FakeSlack()
    await slack.start()
    for n in range(replicas):
        slack.tokens[bot_token(n)] = TEAM
    for handle in [handle for handle, *_ in STAFF] + [employee(n)[0] for n in range(employees)]:
        slack.add_person(TEAM, user_id(TEAM, handle), f"{handle}@example.com", handle)
    wecom = FakeWeCom(corp_id=f"ww{uuid.uuid4().hex[:16]}", secret="replica-secret")
    calls: Counter[int] = Counter({n: 0 for n in range(replicas)})
    try:
        async with serving(_per_replica(wecom.app(), replicas, calls)) as url:
            yield Platforms(slack, wecom, url, token="replica-token", aes_key=new_aes_key(), wecom_calls=calls,
                            replicas=replicas)
    finally:
        await slack.stop()


async def import_directory(uow_factory: Callable[[], UnitOfWork], fakes: Platforms, employees: int) -> None:
    """The same company on both platforms: a Slack workspace and a WeCom corp, one tenant each."""
    for platform, tenant in (("slack", TEAM), ("wecom", fakes.wecom.corp_id)):
        await import_entries(uow_factory, parse(directory_csv(platform, employees)), Tenant(platform, tenant),
                             timezone="Asia/Shanghai", city="")


# ---------------------------------------------------------------- the replicas


class Replicas:
    """`python -m bot serve` processes, each on its own port for good: a replica killed and started
    again comes back where the others (and the test's requests) expect it."""

    def __init__(self, envs: list[dict[str, str]], logs: Path) -> None:
        self.envs = envs
        self.ports = [free_port() for _ in envs]
        self.logs = [logs / f"replica{n}.log" for n in range(len(envs))]
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * len(envs)
        self._stack = contextlib.ExitStack()

    def __len__(self) -> int:
        return len(self.envs)

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.ports[n]}"

    def start(self, n: int) -> None:
        self.processes[n] = self._stack.enter_context(
            bot_process(["serve", "--port", str(self.ports[n])], self.envs[n], self.logs[n]))

    async def ready(self, n: int, http: httpx.AsyncClient, *, seconds: float = 90) -> None:
        async def answers() -> bool:
            try:
                return (await http.get(f"{self.url(n)}/readyz", timeout=5)).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(answers, seconds=seconds, what=f"replica {n} ready", process=self.processes[n],
                         log=self.logs[n])

    def kill(self, n: int) -> None:
        process = self.processes[n]
        assert process is not None and process.poll() is None, f"replica {n} is not running"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> list[int]:
        """SIGTERM to every replica: the exit codes (0 when each shut down cleanly)."""
        live = [process for process in self.processes if process is not None and process.poll() is None]
        for process in live:
            process.send_signal(signal.SIGTERM)
        return [process.wait(timeout=30) for process in live]

    def tails(self, chars: int = 1500) -> str:
        return "\n".join(f"--- replica {n}\n{log.read_text(errors='replace')[-chars:]}"
                         for n, log in enumerate(self.logs) if log.exists())

    def close(self) -> None:
        self._stack.close()


def replica_env(n: int, *, database_url: str, redis_url: str, fakes: Platforms, workdir: Path,
                **settings: str) -> dict[str, str]:
    """Replica n's settings: the shared database, Redis, fakes, key file; its own token and API path."""
    return bot_env(
        DATABASE_URL=database_url, REDIS_URL=redis_url,
        SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN=bot_token(n), SLACK_API_URL=fakes.slack.api_url,
        SLACK_HR_CHANNEL=HR_CHANNEL,
        WECOM_CORP_ID=fakes.wecom.corp_id, WECOM_AGENT_ID=str(AGENT_ID), WECOM_SECRET=fakes.wecom.secret,
        WECOM_TOKEN=fakes.token, WECOM_AES_KEY=fakes.aes_key, WECOM_HR_CHAT_ID=HR_CHAT,
        WECOM_API_URL=f"{fakes.wecom_url}/r{n}/cgi-bin/",
        SIGNING_KEY_PATH=str(workdir / "signing-key.pem"), ARCHIVE_DIR=str(workdir / "archive"),
        **settings,
    )


# ---------------------------------------------------------------- people at work


@dataclass
class Failure:
    replica: int
    what: str


@dataclass
class Driver:
    """Slack's and WeCom's servers as the replicas see them: every request goes to the next replica
    in turn; one that does not answer, or answers 5xx, is sent again to the next replica (Slack
    marks it a retry), as both platforms retry an undelivered request."""

    replicas: Replicas
    fakes: Platforms
    http: httpx.AsyncClient
    served: Counter[int] = field(default_factory=Counter)  # replica -> requests it answered
    failures: list[Failure] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._turn = itertools.count()
        self.workspaces = [Workspace(TEAM, httpx.AsyncClient(base_url=self.replicas.url(n), timeout=60),
                                     self.fakes.slack) for n in range(len(self.replicas))]
        fakes = self.fakes
        # One phone builds every message (its MsgIds never repeat); any replica may receive it.
        self.phone = Phone("", fakes.wecom.corp_id, fakes.token, fakes.aes_key, self.http,
                           ManualClock(datetime.now(UTC)))

    async def close(self) -> None:
        for workspace in self.workspaces:
            await workspace.http.aclose()

    async def _send(self, post: Callable[[int, int | None], Awaitable[httpx.Response]]) -> httpx.Response:
        first = next(self._turn)
        for attempt in range(2 * len(self.replicas)):
            n = (first + attempt) % len(self.replicas)
            try:
                response = await post(n, attempt or None)
            except httpx.TransportError as error:
                self.failures.append(Failure(n, type(error).__name__))
                continue
            if response.status_code >= 500:
                self.failures.append(Failure(n, f"HTTP {response.status_code}"))
                continue
            self.served[n] += 1
            return response
        raise AssertionError(f"no replica answered: {self.failures[-6:]}")

    async def slack(self, sent: Sent) -> httpx.Response:
        return await self._send(lambda n, retry: self.workspaces[n].post(sent, retry=retry))

    async def wecom(self, xml: str) -> httpx.Response:
        async def post(n: int, _retry: int | None) -> httpx.Response:
            body, params = self.phone.envelope(xml)
            return await self.http.post(f"{self.replicas.url(n)}/wecom/callback", params=params,
                                        content=body.encode(), timeout=60)

        return await self._send(post)

    async def type(self, platform: str, handle: str, text: str) -> None:
        """A typed command: /offboard on Slack, a text message to the app on WeCom."""
        if platform == "slack":
            response = await self.slack(self.workspaces[0].command_request(handle, text))
            # Slack shows the answer at once (WeCom's comes through the outbox): a refusal fails here.
            answer = response.json().get("text", "") if response.text else ""
            assert not answer.startswith(t("h.refused", "zh-CN")), (handle, text, answer)
        else:
            response = await self.wecom(self.phone.xml(handle, "text", {"Content": text}))
        assert response.status_code == 200, (platform, handle, text, response.status_code, response.text[:300])

    async def press(self, platform: str, handle: str, card: Card, action: str) -> None:
        """A button press on a card the fake platform shows `handle`."""
        if isinstance(card, Message):
            sent = self.workspaces[0].press_request(handle, card.blocks, action, channel=card.channel,
                                                    ts=card.ts)
            response = await self.slack(sent)
        else:
            key = button(card, action)["key"]
            xml = self.phone.click_xml(handle, key, card["task_id"], self.fakes.wecom.response_code())
            response = await self.wecom(xml)
        assert response.status_code == 200, (platform, handle, action, response.status_code, response.text[:300])


def cards_with(fakes: Platforms, platform: str, handle: str, action: str) -> list[tuple[ActionRef, Card]]:
    """(what the button does, card) of every card the fake shows `handle` with an `action` button,
    oldest first."""
    if platform == "slack":
        channel = "D" + user_id(TEAM, handle)[1:]
        shown: list[tuple[Card, list[Any]]] = [
            (message, [element.get("value") for block in message.blocks if block.get("type") == "actions"
                       for element in block.get("elements", [])])
            for (c, _), message in fakes.slack.messages.items() if c == channel]
    else:
        shown = [(card, [entry["key"] for entry in card.get("button_list", [])])
                 for card in fakes.wecom.cards(to=handle)]
    return [(ref, card) for card, values in shown for value in values
            if (ref := decode_action(value)) is not None and ref.action == action]


# ---------------------------------------------------------------- what the database says


async def case_refs(engine: AsyncEngine) -> dict[tuple[str, str], str]:
    """(platform, employee no.) -> case ref, for every case."""
    query = (select(TenantRow.key, Person.employee_no, Case.ref)
             .join(Case, Case.tenant_id == TenantRow.id).join(Person, Person.id == Case.employee_id))
    async with engine.connect() as conn:
        return {(key.partition(":")[0], no): ref for key, no, ref in await conn.execute(query)}


async def case_states(engine: AsyncEngine) -> Counter[str]:
    async with engine.connect() as conn:
        return Counter(state for (state,) in await conn.execute(select(Case.state)))


@dataclass(frozen=True)
class Deliveries:
    """Each platform's deliveries set against the outbox rows recorded sent, by kind of call."""

    calls: Counter[str]  # "<platform> <kind>" -> calls the fake answered
    sent: Counter[str]  # "<platform> <kind>" -> outbox rows recorded sent
    unseen: tuple[int, ...]  # outbox ids recorded sent whose message the fake never saw

    @property
    def duplicates(self) -> int:
        """Deliveries beyond one per row: each a message sent again after nobody recorded it sent."""
        return sum(self.calls.values()) - sum(self.sent.values())

    def short(self) -> list[str]:
        """Kinds with fewer deliveries than rows recorded sent (a row 'sent' that never arrived)."""
        return [kind for kind in self.sent if self.calls[kind] < self.sent[kind]]


async def deliveries(engine: AsyncEngine, fakes: Platforms) -> Deliveries:
    """Compare what the fakes received with what the outbox says it sent.

    Slack: an outbox row is one Web API call (a message, or the call it holds). WeCom: a row for a
    person ends in one template card (after any markdown parts), a row for the HR group is one
    appchat post, a card update is one accepted update_template_card (or, refused, a new card).
    """
    async with engine.connect() as conn:
        rows = (await conn.execute(select(OutboxMessage).where(OutboxMessage.sent_at.is_not(None)))).all()
    sent: Counter[str] = Counter()
    unseen: list[int] = []
    slack_seen = set(fakes.slack.messages)
    cards = [c.body["template_card"] for c in fakes.wecom.calls_to("message/send")
             if c.body is not None and c.body.get("msgtype") == "template_card"]
    task_ids = {card["task_id"] for card in cards}
    for row in rows:
        ref = row.platform_ref or {}
        if row.channel == "slack":
            method = row.payload.get("method") if row.kind == "slack_call" else "chat.postMessage"
            sent[f"slack {method}"] += 1
            if method == "chat.postMessage" and (ref.get("channel"), ref.get("ts")) not in slack_seen:
                unseen.append(row.id)
        elif "task_id" in ref:
            sent["wecom card"] += 1
            if ref["task_id"] not in task_ids:
                unseen.append(row.id)
        else:
            sent["wecom appchat" if "chatid" in ref else "wecom update"] += 1
    calls: Counter[str] = Counter(f"slack {c.method}" for c in fakes.slack.calls if c.method in SLACK_DELIVERIES)
    calls["wecom card"] += len(cards)
    calls["wecom appchat"] += len(fakes.wecom.calls_to("appchat/send"))
    calls["wecom update"] += len(fakes.wecom.calls_to("message/update_template_card"))
    return Deliveries(+calls, +sent, tuple(unseen))
