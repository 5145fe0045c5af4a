"""Driving the real app as Slack does: signed HTTP requests to /slack/events, against the fake Slack.

`slack_stack` serves the fake Slack API and the app (uvicorn, 127.0.0.1) on a Services with a
manual clock; `Workspace` signs slash commands, button presses, form submissions and events the
way Slack's servers do (v0 HMAC-SHA256 of "v0:{ts}:{body}") and builds each payload from what
the fake recorded — the message a person sees, the modal they were shown; `settle` runs the
worker (timers and the outbox) until it is idle.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

from bot.app import create_app
from bot.bootstrap import Services, bootstrap
from bot.cards.model import decode_action
from bot.channels.slack import SlackChannel, slack_server
from bot.directory import import_entries, parse, workspace
from bot.worker import Worker
from handlers import identity
from handlers.contracts import Inbound
from tests.bot.services_support import LAST_DAY_CLOSE, inbox_taker, serving, settings_for
from tests.e2e.fake_slack import APP_ID, Call, FakeSlack, Message
from workflow.clock import ManualClock

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN_KEY = "Oj3Qy9mYk0v3h1Yd8wH0m0qg4T2cW2gJ8m3lq3mVb8s="  # a Fernet key: installed tokens at rest
START = datetime(2024, 6, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
HR_CHANNEL = {"T1": "CHR1", "T2": "CHR2"}

# The directory (no Slack ids: people are found by e-mail on first contact).
PEOPLE_CSV = """employee_no,name,email,department,position,manager_no,roles,locale,hire_date
E001,李伟,lee@{d},研发部,研发经理,,manager,zh-CN,2015-06-01
E002,陈晓丽,alice@{d},研发部,后端工程师,E001,,zh-CN,2019-03-15
E003,刘波,bob@{d},研发部,测试工程师,E001,,en,2021-08-02
E004,王芳,wangfang@{d},人力资源部,HRBP,E005,hr,zh-CN,2018-04-09
E005,Zhao Min,zhao@{d},人力资源部,HR director,,hr_lead,en,2014-01-06
E006,孙强,sun@{d},信息技术部,IT 管理员,,it,zh-CN,2017-09-11
E007,周静,zhou@{d},行政部,行政专员,,admin,zh-CN,2020-02-17
E008,吴磊,wu@{d},财务部,薪酬会计,,finance,zh-CN,2016-07-04
"""
_SEQUENCE = itertools.count(1)
HANDLES = ("lee", "alice", "bob", "wangfang", "zhao", "sun", "zhou", "wu")


def user_id(team: str, handle: str) -> str:
    return f"U{team}{handle.upper()}"


def sign(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a request body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass(frozen=True)
class Sent:
    """One request as sent (to re-send it, as Slack's retries do)."""

    body: str
    content_type: str


@dataclass
class Workspace:
    """One Slack team as its members use it."""

    team: str
    http: httpx.AsyncClient
    fake: FakeSlack
    secret: str = SECRET  # the app's SLACK_SIGNING_SECRET

    def uid(self, handle: str) -> str:
        return user_id(self.team, handle)

    def _next(self, prefix: str) -> str:
        # Unique across Workspace objects: Slack never repeats a trigger id or an event id.
        return f"{prefix}{self.team}.{next(_SEQUENCE)}"

    async def post(self, sent: Sent, *, retry: int | None = None, secret: str | None = None,
                   timestamp: int | None = None) -> httpx.Response:
        headers = {**sign(sent.body, secret=secret or self.secret, timestamp=timestamp),
                   "Content-Type": sent.content_type}
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return await self.http.post("/slack/events", content=sent.body, headers=headers)

    @staticmethod
    def form(fields: dict[str, Any]) -> Sent:
        return Sent(urlencode(fields), "application/x-www-form-urlencoded")

    @staticmethod
    def interaction(payload: dict[str, Any]) -> Sent:
        return Sent(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    # ---- what people do ---------------------------------------------------------------------

    def command_request(self, handle: str, text: str = "") -> Sent:
        return self.form({
            "token": "legacy", "team_id": self.team, "team_domain": self.team.lower(),
            "channel_id": "CGENERAL", "channel_name": "general", "user_id": self.uid(handle),
            "user_name": handle, "command": "/offboard", "text": text, "api_app_id": APP_ID,
            "response_url": self.fake.response_url(self._next("cmd")),
            "trigger_id": self._next("trigger."),
        })

    async def command(self, handle: str, text: str = "") -> httpx.Response:
        return await self.post(self.command_request(handle, text))

    def press_request(self, handle: str, blocks: Sequence[dict[str, Any]], action: str, *,
                      channel: str | None = None, ts: str | None = None, ephemeral: bool = False,
                      home: bool = False, team: str | None = None) -> Sent:
        """A press of the button for `action` on a message (or Home tab) showing `blocks`."""
        block_id, element = find_button(blocks, action)
        if home:
            container: dict[str, Any] = {"type": "view", "view_id": "VHOME"}
        else:
            container = {"type": "message", "message_ts": ts or "1700000000.999999",
                         "channel_id": channel, "is_ephemeral": ephemeral}
        payload: dict[str, Any] = {
            "type": "block_actions", "team": {"id": team or self.team},
            "user": {"id": self.uid(handle), "team_id": team or self.team}, "api_app_id": APP_ID,
            "token": "legacy", "container": container, "trigger_id": self._next("trigger."),
            "response_url": self.fake.response_url(self._next("act")),
            "actions": [{**element, "block_id": block_id, "action_ts": f"{time.time():.6f}"}],
        }
        if home:
            payload["view"] = {"id": "VHOME", "type": "home", "blocks": list(blocks)}
        else:
            payload["channel"] = {"id": channel}
            payload["message"] = {"ts": ts, "blocks": list(blocks), "text": ""}
        return self.interaction(payload)

    async def press(self, handle: str, message: Message, action: str) -> httpx.Response:
        return await self.post(self.press_request(handle, message.blocks, action,
                                                  channel=message.channel, ts=message.ts))

    def submit_request(self, handle: str, opened: Call, values: dict[str, Any]) -> Sent:
        """Submitting the modal `opened` (a recorded views.open) with `values` by block id."""
        view = opened.args["view"]
        return self.interaction({
            "type": "view_submission", "team": {"id": self.team},
            "user": {"id": self.uid(handle), "team_id": self.team}, "api_app_id": APP_ID,
            "token": "legacy", "trigger_id": self._next("trigger."),
            "view": {**view, "id": self._next("V"), "team_id": self.team, "hash": "h",
                     "state": {"values": state_values(view, values)}},
        })

    async def submit(self, handle: str, opened: Call, values: dict[str, Any]) -> httpx.Response:
        return await self.post(self.submit_request(handle, opened, values))

    def event_request(self, event: dict[str, Any]) -> Sent:
        body = {"token": "legacy", "team_id": self.team, "api_app_id": APP_ID, "event": event,
                "type": "event_callback", "event_id": self._next("Ev"),
                "event_time": int(time.time()),
                "authorizations": [{"team_id": self.team, "user_id": f"UBOT{self.team}",
                                    "is_bot": True, "is_enterprise_install": False}]}
        return Sent(json.dumps(body), "application/json")

    async def open_home(self, handle: str) -> httpx.Response:
        return await self.post(self.event_request({
            "type": "app_home_opened", "user": self.uid(handle), "channel": "D" + handle,
            "tab": "home", "event_ts": f"{time.time():.6f}"}))

    async def dm(self, handle: str, text: str, files: list[dict[str, Any]] | None = None
                 ) -> httpx.Response:
        event: dict[str, Any] = {"type": "message", "channel": "D" + self.uid(handle)[1:],
                                 "channel_type": "im", "user": self.uid(handle), "text": text,
                                 "ts": f"{time.time():.6f}"}
        if files:
            event.update(subtype="file_share", files=files)
        return await self.post(self.event_request(event))

    # ---- what people see --------------------------------------------------------------------

    def inbox(self, handle: str) -> list[Message]:
        """The messages in a person's DM with the app, oldest first."""
        channel = "D" + self.uid(handle)[1:]
        return [m for (c, _), m in self.fake.messages.items() if c == channel]

    def channel(self, channel: str) -> list[Message]:
        return [m for (c, _), m in self.fake.messages.items() if c == channel]

    def latest_with(self, handle: str, action: str) -> Message:
        """The newest message in the person's DM with a button for `action`."""
        for message in reversed(self.inbox(handle)):
            if has_button(message.blocks, action):
                return message
        raise AssertionError(f"{handle} has no message with a {action!r} button")

    def opened(self) -> Call:
        """The modal opened last."""
        return self.fake.to("views.open")[-1]


def buttons(blocks: Sequence[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(block.get("block_id", ""), element)
            for block in blocks if block.get("type") == "actions"
            for element in block.get("elements", []) if element.get("type") == "button"]


def has_button(blocks: Sequence[dict[str, Any]], action: str) -> bool:
    return any((ref := decode_action(e.get("value"))) and ref.action == action
               for _, e in buttons(blocks))


def find_button(blocks: Sequence[dict[str, Any]], action: str) -> tuple[str, dict[str, Any]]:
    for block_id, element in buttons(blocks):
        ref = decode_action(element.get("value"))
        if ref is not None and ref.action == action:
            return block_id, element
    raise AssertionError(f"no {action!r} button in {json.dumps(blocks)[:400]}")


def text_of(blocks: Sequence[dict[str, Any]]) -> str:
    """Everything a reader sees in `blocks`, as one string."""
    return json.dumps(blocks, ensure_ascii=False)


def state_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """view.state.values as Slack fills it, for the input blocks named in `values`."""
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        block_id = block.get("block_id")
        if block.get("type") != "input" or block_id not in values:
            continue
        element = block["element"]
        kind, value = element["type"], values[block_id]
        entry: dict[str, Any] = {"type": kind}
        if kind in ("static_select", "radio_buttons"):
            entry["selected_option"] = {"value": value, "text": {"type": "plain_text", "text": value}}
        elif kind == "users_select":
            entry["selected_user"] = value
        elif kind == "datepicker":
            entry["selected_date"] = value
        elif kind == "timepicker":
            entry["selected_time"] = value
        elif kind == "checkboxes":
            entry["selected_options"] = [{"value": v} for v in value]
        else:
            entry["value"] = value
        state[block_id] = {element["action_id"]: entry}
    return state


async def install(http: httpx.AsyncClient, code: str) -> httpx.Response:
    """A workspace admin installs the app: our install page (its state in a cookie and in the
    "Add to Slack" link), then Slack's redirect back with `code` and that state."""
    page = await http.get("/slack/install")
    assert page.status_code == 200, page.text
    match = re.search(r"slack-app-oauth-state=([^;]+)", page.headers["set-cookie"])
    assert match
    state = match.group(1)
    assert f"state={state}" in page.text
    return await http.get("/slack/oauth_redirect", params={"code": code, "state": state},
                          headers={"Cookie": f"slack-app-oauth-state={state}"})


def directory_csv(domain: str) -> str:
    return PEOPLE_CSV.format(d=domain)


def add_people(fake: FakeSlack, team: str, domain: str) -> None:
    """The same people as Slack members of `team` (their e-mails match the directory)."""
    locales = {"bob": "en-US", "zhao": "en-US"}
    for handle in HANDLES:
        fake.add_person(team, user_id(team, handle), f"{handle}@{domain}", handle,
                        locales.get(handle, "zh-CN"))


@dataclass
class Stack:
    runtime: Services
    fake: FakeSlack
    clock: ManualClock
    http: httpx.AsyncClient
    signing_secret: str = SECRET

    def workspace(self, team: str) -> Workspace:
        return Workspace(team, self.http, self.fake, self.signing_secret)

    async def settle(self) -> tuple[int, int]:
        """Run the worker until nothing is due: (timers fired, messages sent)."""
        fired = sent = idle = 0
        for _ in range(30):
            while await Worker(self.runtime).drain_inbox():
                pass
            f, s = await Worker(self.runtime).run_once()
            fired, sent = fired + f, sent + s
            # Twice idle: a failed delivery may have queued something (a dead-letter alert).
            idle = idle + 1 if not f and not s else 0
            if idle == 2:
                return fired, sent
        raise AssertionError("the worker never went idle")

    async def import_directory(self, team: str, domain: str = "example.com") -> None:
        await import_entries(self.runtime.uow_factory, parse(directory_csv(domain)),
                             workspace(f"slack:{team}"), timezone="Asia/Shanghai", city="")


@contextlib.asynccontextmanager
async def slack_stack(db_url: str, *, oauth: bool = False, socket_mode: bool = False,
                      delivery_timeout: float = 5.0, take_inbox: bool = True,
                      **overrides: Any) -> AsyncIterator[Stack]:
    """The fake Slack and the app serving /slack/events, one workspace (T1) unless `oauth`.
    With `take_inbox` (the default) what a request leaves in the inbox is handled before its
    answer reaches the test (services_support.inbox_taker). `overrides` are settings, applied
    last (a test's own signing secret and tokens: the fake and the requests use them too)."""
    fake = FakeSlack()
    await fake.start()
    settings_values: dict[str, Any] = {"SLACK_SIGNING_SECRET": SECRET}
    if oauth:
        settings_values.update(SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="oauth-secret",
                               SLACK_TOKEN_KEYS=TOKEN_KEY)
    else:
        settings_values.update(SLACK_BOT_TOKEN="xoxb-T1", SLACK_HR_CHANNEL=HR_CHANNEL["T1"])
    if socket_mode:
        settings_values["SLACK_APP_TOKEN"] = "xapp-1-test"
    settings_values.update(overrides, SLACK_API_URL=fake.api_url)
    if not oauth:
        fake.tokens[settings_values["SLACK_BOT_TOKEN"]] = "T1"
    settings = settings_for(db_url, **settings_values)
    clock = ManualClock(START)
    runtime = bootstrap(settings, clock=clock,
                      channels=[lambda core: SlackChannel(core, timeout=delivery_timeout)])
    server = slack_server(runtime, socket_mode=socket_mode)
    assert server is not None
    app = create_app(runtime, run_worker=False, routers=server.routers)
    try:
        async with (serving(app) as url,
                    httpx.AsyncClient(base_url=url, timeout=30,
                                      event_hooks={"response": [inbox_taker(runtime)] if take_inbox else []})
                    as http):
            await server.start()
            try:
                yield Stack(runtime, fake, clock, http, settings_values["SLACK_SIGNING_SECRET"])
            finally:
                await server.stop()
    finally:
        await runtime.close()
        await fake.stop()


# The steps of a case up to each state, as typed requests straight to the handlers: tests of one
# press start from there (the whole case through Slack is test_slack_case.py).
FACTS = {"last_day": "2024-06-30", "avg_wage": "12000", "prev_wage": "12500", "local_avg": "10000",
         "pay_in_lieu": "yes", "union_notified": "yes", "written_reasons": "yes"}
# (the state a step is taken in, who, what, with which args)
STEPS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("", "lee", "open", {"ground": "incompetent", "note": "两期不达标"}),
    ("collecting_evidence", "lee", "evidence", {"kind": "performance", "content": "2023H2: C"}),
    ("collecting_evidence", "lee", "evidence", {"kind": "performance", "content": "2024H1: C"}),
    ("collecting_evidence", "lee", "evidence", {"kind": "improvement_plan", "content": "PIP"}),
    ("collecting_evidence", "lee", "evidence", {"kind": "improvement_result", "content": "failed"}),
    ("collecting_evidence", "lee", "evidence", {"kind": "feedback", "content": "2024-04-30"}),
    # Facts before submitting: the review card HR then gets is current.
    ("collecting_evidence", "wangfang", "confirm_facts", {"facts": FACTS}),
    ("collecting_evidence", "lee", "submit", {}),
    ("hr_review", "wangfang", "approve", {}),
    ("scheduling_talk", "wangfang", "schedule", {"talk_at": "2024-06-04 10:00"}),
    ("talk_scheduled", "lee", "confirm_attendance", {}),
    ("talk_scheduled", "wangfang", "record_talk", {}),
)
MOVES = frozenset({"submit", "approve", "schedule", "record_talk"})


async def case_state(stack: Stack, team: str = "T1", ref: str = "C-0001") -> tuple[str, int]:
    async with stack.runtime.uow_factory() as uow:
        tenant = await uow.tenants.by_key(f"slack:{team}")
        assert tenant is not None
        case = await uow.cases.by_ref(tenant.id, ref)
        assert case is not None
        return case.state, case.version


async def drive(stack: Stack, until: str, *, team: str = "T1", domain: str = "example.com") -> None:
    """Take the case (opening it if need be) through its steps until it is in state `until`."""
    for handle in HANDLES:
        await identity.link_by_email(stack.runtime.uow_factory, "slack", team,
                                     user_id(team, handle), f"{handle}@{domain}")
    for state, handle, name, args in STEPS:
        async with stack.runtime.uow_factory() as uow:
            tenant = await uow.tenants.by_key(f"slack:{team}")
            case = await uow.cases.by_ref(tenant.id, "C-0001") if tenant else None
        now = case.state if case is not None else ""
        # Steps that keep the state (evidence, facts, attendance) are run before stopping.
        if now != state or (now == until and name in MOVES):
            continue
        if name == "record_talk":
            stack.clock.set(datetime(2024, 6, 4, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
        if name == "open":
            args = {**args, "employee": f"alice@{domain}"}
        reply = await stack.runtime.gateway.dispatch(Inbound(
            platform="slack", platform_tenant=team, user_id=user_id(team, handle), name=name,
            case_ref=None if name == "open" else "C-0001", args=args))
        assert reply.ok, (name, reply)
    await stack.settle()
    assert (await case_state(stack, team))[0] == until


# ---- the last steps of a whole case, through presses, modals and commands


async def talk(stack: Stack, t1: Workspace) -> None:
    """HR schedules the talk (the date and time pickers), the manager confirms, the talk is held
    a day later and recorded: the case awaits the employee."""
    prompt = t1.latest_with("wangfang", "schedule")
    await t1.press("wangfang", prompt, "schedule")
    opened = t1.opened()
    kinds = {b["block_id"]: b["element"]["type"] for b in opened.args["view"]["blocks"]
             if b["type"] == "input"}
    assert kinds == {"talk_at.date": "datepicker", "talk_at.time": "timepicker"}
    response = await t1.submit("wangfang", opened, {"talk_at.date": "2024-06-04",
                                                    "talk_at.time": "10:00"})
    assert response.status_code == 200 and response.text == ""
    await stack.settle()
    assert (await case_state(stack))[0] == "talk_scheduled"
    await t1.press("lee", t1.latest_with("lee", "confirm_attendance"), "confirm_attendance")
    stack.clock.set(stack.clock.now() + timedelta(days=1, hours=2))  # the talk took place
    response = await t1.command("wangfang", "talked C-0001")
    assert response.status_code == 200
    await stack.settle()
    assert (await case_state(stack))[0] == "awaiting_employee"


async def sign_and_hand_over(stack: Stack, t1: Workspace) -> None:
    """The employee signs on the decision card in her DM; every handover owner ticks their items
    until the case is closed."""
    card = t1.latest_with("alice", "sign")  # the decision card, in the employee's DM
    assert {"acknowledge", "dispute", "ask_meeting"} <= {
        a for a in ("acknowledge", "dispute", "ask_meeting") if has_button(card.blocks, a)}
    assert (await t1.press("alice", card, "sign")).status_code == 200
    await stack.settle()
    assert (await case_state(stack))[0] == "awaiting_employee"  # a tap brings the confirmation step
    confirmation = t1.latest_with("alice", "sign")  # in her DM, below the untouched decision card
    assert confirmation is not card and has_button(card.blocks, "sign")
    assert (await t1.press("alice", confirmation, "sign")).status_code == 200
    await stack.settle()
    assert (await case_state(stack))[0] == "handover"
    owners = [h for h in ("lee", "sun", "zhou", "wu", "wangfang", "zhao")
              for m in t1.inbox(h) if has_button(m.blocks, "complete_item")]
    assert owners
    while True:
        pending = [(h, m) for h in set(owners) for m in t1.inbox(h)
                   if has_button(m.blocks, "complete_item")]
        if not pending:
            break
        handle, message = pending[0]
        assert (await t1.press(handle, message, "complete_item")).status_code == 200
        await stack.settle()
    # Everything was done before the last day (2024-06-30): the worker closes the case at its end.
    assert (await case_state(stack))[0] == "handover"
    stack.clock.set(LAST_DAY_CLOSE)
    await stack.settle()
    assert (await case_state(stack))[0] == "closed"
