"""Driving the real app as WeCom does: encrypted callbacks for a test corp, a fake WeCom API.

`wecom_stack` serves the fake API and the app (uvicorn, 127.0.0.1) with a Services on a manual
clock; `Phone` encrypts messages and clicks with wechatpy's crypto for the corp's Token and
EncodingAESKey and POSTs them to /wecom/callback; `settle` runs the worker until it is idle.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import xmltodict
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from bot.app import create_app
from bot.bootstrap import Services, bootstrap, configured_channels
from bot.cards.model import decode_action
from bot.channels.wecom import WeComChannel, routers
from bot.channels.wecom.directory import sync_directory
from bot.worker import Worker
from tests.bot.services_support import LAST_DAY_CLOSE, inbox_taker, serving, settings_for
from tests.e2e.wecom_fake import FakeWeCom
from workflow.clock import ManualClock

AGENT_ID = 1000002
START = datetime(2024, 6, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def new_aes_key() -> str:
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """WeCom's msg_signature: SHA-1 of the four values sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def company(fake: FakeWeCom) -> None:
    """The directory the fake's contacts API serves (userids double as console-free names)."""
    fake.departments = [
        {"id": 1, "name": "示例公司", "parentid": 0},
        {"id": 2, "name": "研发部", "parentid": 1, "department_leader": ["lee"]},
        {"id": 3, "name": "人力资源部", "parentid": 1, "department_leader": ["zhao"]},
        {"id": 4, "name": "销售部", "parentid": 1},
    ]

    def user(userid: str, name: str, dept: int, **extra: Any) -> dict[str, Any]:
        return {"userid": userid, "name": name, "department": [dept], "main_department": dept,
                "position": "", "status": 1, **extra}

    fake.users = [
        user("lee", "李伟", 2, is_leader_in_dept=[1]),
        user("alice", "陈晓丽", 2, direct_leader=["lee"]),
        user("zhangwei1", "张伟", 2),
        user("zhangwei2", "张伟", 2),
        user("zhao", "赵敏", 3, is_leader_in_dept=[1]),
        user("wangfang", "王芳", 3),
        user("emily", "Emily Ho", 4, email="emily@example.com"),
        user("gone", "离职者", 4, status=5),
    ]


@dataclass
class Phone:
    """What the WeCom server does when members type or tap: encrypted callbacks to the app."""

    url: str
    corp_id: str
    token: str
    aes_key: str
    http: httpx.AsyncClient
    clock: ManualClock

    def __post_init__(self) -> None:
        self.crypto = WeChatCrypto(self.token, self.aes_key, self.corp_id)
        self._ids = itertools.count(7_000_000_001)
        self._ticks = itertools.count(1)

    def _create_time(self) -> str:
        # Distinct per event even on a frozen clock, as WeCom's seconds would be.
        return str(int(self.clock.now().timestamp()) + next(self._ticks))

    def xml(self, user: str, msg_type: str, fields: dict[str, Any],
            msg_id: int | None = None) -> str:
        body = {"ToUserName": self.corp_id, "FromUserName": user,
                "CreateTime": self._create_time(), "MsgType": msg_type, **fields,
                "AgentID": AGENT_ID}
        if msg_type != "event":
            body["MsgId"] = msg_id or next(self._ids)
        return xmltodict.unparse({"xml": body}, full_document=False)

    def envelope(self, xml: str, crypto: WeChatCrypto | None = None) -> tuple[str, dict[str, str]]:
        timestamp, nonce = str(int(self.clock.now().timestamp())), uuid.uuid4().hex[:10]
        sealed = xmltodict.parse((crypto or self.crypto).encrypt_message(xml, nonce, timestamp))
        encrypted = sealed["xml"]["Encrypt"]
        body = xmltodict.unparse({"xml": {"ToUserName": self.corp_id, "AgentID": AGENT_ID,
                                          "Encrypt": encrypted}}, full_document=False)
        params = {"msg_signature": sealed["xml"]["MsgSignature"], "timestamp": timestamp,
                  "nonce": nonce}
        return body, params

    async def post(self, xml: str, *, crypto: WeChatCrypto | None = None,
                   params: dict[str, str] | None = None) -> httpx.Response:
        body, signed = self.envelope(xml, crypto)
        return await self.http.post(f"{self.url}/wecom/callback", params=params or signed,
                                    content=body.encode())

    async def text(self, user: str, content: str) -> httpx.Response:
        return await self.post(self.xml(user, "text", {"Content": content}))

    async def link(self, user: str, title: str, url: str) -> httpx.Response:
        return await self.post(self.xml(user, "link", {"Title": title, "Description": "",
                                                       "Url": url, "PicUrl": ""}))

    async def media(self, user: str, kind: str, media_id: str,
                    filename: str = "") -> httpx.Response:
        fields: dict[str, Any] = {"MediaId": media_id}
        if kind == "image":
            fields["PicUrl"] = "https://example.invalid/p.jpg"
        if filename:
            fields["FileName"] = filename
        return await self.post(self.xml(user, kind, fields))

    def click_xml(self, user: str, key: str, task_id: str, response_code: str) -> str:
        return self.xml(user, "event", {"Event": "template_card_event", "EventKey": key,
                                        "TaskId": task_id, "CardType": "button_interaction",
                                        "ResponseCode": response_code})

    async def verify(self, echostr_plain: str, *, token: str | None = None) -> httpx.Response:
        timestamp, nonce = "1700000000", "n0nce"
        key = base64.b64decode(self.aes_key + "=")
        echostr = PrpCrypto(key).encrypt(echostr_plain, self.corp_id).decode()
        sig = signature(token or self.token, timestamp, nonce, echostr)
        return await self.http.get(f"{self.url}/wecom/callback", params={
            "msg_signature": sig, "timestamp": timestamp, "nonce": nonce, "echostr": echostr})


def button(card: dict[str, Any], action: str) -> dict[str, Any]:
    """The button of a recorded template card that fires `action`."""
    for entry in card.get("button_list", []):
        ref = decode_action(entry["key"])
        if ref is not None and ref.action == action:
            return entry
    raise AssertionError(f"no {action} button on {card['main_title']}")


def has_button(card: dict[str, Any], action: str) -> bool:
    return any((ref := decode_action(b["key"])) is not None and ref.action == action
               for b in card.get("button_list", []))


@dataclass
class Stack:
    fake: FakeWeCom
    runtime: Services
    channel: WeComChannel
    phone: Phone
    clock: ManualClock
    clicked: set[str] = field(default_factory=set)  # task ids of cards clicked through click()

    async def settle(self) -> tuple[int, int]:
        """Fire due timers and deliver the outbox until nothing is left (at this clock time)."""
        worker = Worker(self.runtime)
        fired_total = sent_total = 0
        for _ in range(50):
            while await worker.drain_inbox():
                pass
            fired, sent = await worker.run_once()
            fired_total, sent_total = fired_total + fired, sent_total + sent
            if not fired and not sent:
                return fired_total, sent_total
        raise AssertionError("the worker never became idle")

    async def click(self, user: str, card: dict[str, Any], action: str,
                    response_code: str | None = None) -> httpx.Response:
        entry = button(card, action)
        code = response_code or self.fake.response_code()
        self.clicked.add(card["task_id"])
        response = await self.phone.post(
            self.phone.click_xml(user, entry["key"], card["task_id"], code))
        return response

    async def set_locale(self, user_id: str, locale: str) -> None:
        async with self.runtime.uow_factory() as uow:
            person = await uow.people.by_identity("wecom", self.phone.corp_id, user_id)
            assert person is not None
            person.locale = locale
            await uow.commit()

    async def sync_directory(self, *, hr_departments: tuple[str, ...] = ("人力资源部",)) -> None:
        await sync_directory(self.channel.api, self.runtime.uow_factory, self.channel.config,
                             hr_departments=hr_departments)


@contextlib.asynccontextmanager
async def wecom_stack(database_url: str, *, redis_url: str | None = None,
                      hr_webhook: bool = True, run_worker: bool = False, take_inbox: bool = True,
                      corp_id: str | None = None, secret: str = "test-secret", token: str = "test-token",
                      aes_key: str | None = None, robot_key: str | None = None,
                      **settings: Any) -> AsyncIterator[Stack]:
    """The fake WeCom API and the app, both on 127.0.0.1; a fresh corp id per stack (so tests
    sharing a Redis server never meet). Without `run_worker` the test drives the worker
    (`Stack.settle`); with it, the app's own worker loop delivers, as in `serve`. The app's
    credentials (the secret, the callback Token and EncodingAESKey, the group robot's key) are the
    fake's and the phone's too."""
    corp_id = corp_id or f"ww{uuid.uuid4().hex[:16]}"
    clock = ManualClock(START)
    fake = FakeWeCom(corp_id=corp_id, secret=secret, clock=clock, robot_key=robot_key or uuid.uuid4().hex)
    company(fake)
    aes_key = aes_key or new_aes_key()
    async with serving(fake.app()) as fake_url:
        values = {
            "WECOM_CORP_ID": corp_id, "WECOM_AGENT_ID": AGENT_ID, "WECOM_SECRET": fake.secret,
            "WECOM_TOKEN": token, "WECOM_AES_KEY": aes_key,
            "WECOM_API_URL": f"{fake_url}/cgi-bin/", "REDIS_URL": redis_url, **settings,
        }
        if hr_webhook:
            values["WECOM_HR_WEBHOOK"] = f"{fake_url}/robot/send?key={fake.robot_key}"
        config = settings_for(database_url, **values)
        runtime = bootstrap(config, clock=clock, channels=configured_channels(config))
        channel = runtime.channels.get("wecom")
        assert isinstance(channel, WeComChannel)
        app = create_app(runtime, run_worker=run_worker, routers=routers(runtime.channels))
        try:
            # Without the app's worker, the test's takes what a callback left in the inbox.
            hooks = {"response": [inbox_taker(runtime)]} if take_inbox and not run_worker else {}
            async with serving(app) as app_url, httpx.AsyncClient(timeout=10, event_hooks=hooks) as http:
                phone = Phone(app_url, corp_id, token, aes_key, http, clock)
                yield Stack(fake, runtime, channel, phone, clock)
        finally:
            await runtime.close()


# ---- a whole case's steps, as people take them on their phones


async def step(stack: Stack, response: httpx.Response) -> None:
    """A callback the app answered at once (an empty 200), then the worker until idle."""
    assert (response.status_code, response.content) == (200, b"")
    await stack.settle()


def latest_card(stack: Stack, to: str, action: str) -> dict[str, Any]:
    """The newest card sent to `to` with a button for `action`."""
    for card in reversed(stack.fake.cards(to=to)):
        if has_button(card, action):
            return card
    raise AssertionError(f"{to} has no card with a {action} button")


def open_items(stack: Stack, user: str) -> list[dict[str, Any]]:
    """Handover item cards of `user` not clicked yet."""
    return [c for c in stack.fake.cards(to=user)
            if c["task_id"] not in stack.clicked and has_button(c, "complete_item")]


async def talk(stack: Stack) -> None:
    """HR schedules the talk (the button needs a time: the bot asks for it), the manager confirms,
    the talk is held and recorded (typed in English): the case awaits the employee."""
    fake, phone = stack.fake, stack.phone
    await step(stack, await stack.click("wangfang", latest_card(stack, "wangfang", "schedule"), "schedule"))
    asked = fake.cards(to="wangfang")[-1]
    assert "面谈时间" in str(asked)
    await step(stack, await phone.text("wangfang", "2024-06-04 10:00"))
    await step(stack, await stack.click("lee", latest_card(stack, "lee", "confirm_attendance"),
                                        "confirm_attendance"))
    stack.clock.set(datetime(2024, 6, 4, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    await stack.settle()
    await step(stack, await phone.text("wangfang", "/offboard talked C-0001"))


async def sign_and_hand_over(stack: Stack) -> None:
    """The employee signs on her phone; every handover owner ticks their items."""
    await step(stack, await stack.click("alice", latest_card(stack, "alice", "sign"), "sign"))
    # The tap brought the confirmation step (hash and statement); its button signs.
    await step(stack, await stack.click("alice", latest_card(stack, "alice", "sign"), "sign"))
    for _ in range(10):
        owners = [(user, card) for user in ("lee", "wangfang", "zhao") for card in open_items(stack, user)]
        if not owners:
            break
        user, card = owners[0]
        await step(stack, await stack.click(user, card, "complete_item"))
    # Everything was done before the last day: the worker closes the case at its end.
    stack.clock.set(LAST_DAY_CLOSE)
    await stack.settle()
