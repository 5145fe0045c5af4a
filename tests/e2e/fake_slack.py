"""A stand-in for Slack on 127.0.0.1: the Web API, response URLs, file downloads and uploads
(files_upload_v2's three steps: files.getUploadURLExternal, the upload URL, files.completeUploadExternal,
keeping the bytes), OAuth and a Socket Mode websocket, reached by the real slack-sdk clients through SLACK_API_URL.

It answers as Slack does, records every call, fails on demand (429 + Retry-After, 5xx, an error
code, a hang), enforces Slack's rate limits when asked (`limit`: chat.postMessage about once a
second per channel after a short burst, and a per-minute allowance per method and workspace, on
the test's clock; beyond them 429 + Retry-After), and checks every Block Kit payload it receives
with slack_sdk.models and against the limits Slack enforces on top (50 blocks a message, 100 a
view, 2000 a field or button value, 3000 of private_metadata); `problems` lists whatever did not pass.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS, VIEW_BLOCKS, FIELD_TEXT, BUTTON_VALUE, METADATA = 50, 100, 2000, 2000, 3000
APP_ID = "A0OFFBOARD"


@dataclass(frozen=True)
class Call:
    method: str
    args: dict[str, Any]
    token: str
    team: str | None


@dataclass
class Person:
    team: str
    user_id: str
    email: str
    name: str
    locale: str = "zh-CN"
    flags: dict[str, Any] = field(default_factory=dict)  # users.info fields: is_restricted, team_id …


@dataclass
class Upload:
    """A file uploaded through files_upload_v2: its bytes, and where it was shared."""

    file_id: str
    filename: str
    length: int
    team: str | None
    data: bytes | None = None
    shared: dict[str, Any] | None = None  # files.completeUploadExternal's arguments


@dataclass
class Install:
    team: str
    name: str
    hr_channel: str


@dataclass
class Message:
    channel: str
    ts: str
    blocks: list[dict[str, Any]]
    text: str
    team: str | None


class Clocked(Protocol):
    def now(self) -> datetime: ...


@dataclass
class Limits:
    """Slack's limits as the fake enforces them, on `clock`: a token bucket per channel for
    chat.postMessage (`per_second`, `burst`), and at most `per_minute[method]` calls of a method
    per workspace in any 60 seconds."""

    clock: Clocked
    per_second: float = 1.0
    burst: int = 4
    per_minute: dict[str, int] = field(default_factory=lambda: {"chat.update": 50})
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    recent: dict[tuple[str, str], deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def wait(self, method: str, team: str | None, channel: str) -> float | None:
        """None: the call may go (and is counted); else the seconds Slack asks to wait."""
        now = self.clock.now().timestamp()
        allowance = self.per_minute.get(method)
        if allowance is not None:
            recent = self.recent[(method, team or "")]
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= allowance:
                return recent[0] + 60 - now
        if method == "chat.postMessage":
            tokens, at = self.buckets.get(channel, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
            if tokens < 1 - 1e-9:
                return (1 - tokens) / self.per_second
            self.buckets[channel] = (tokens - 1, now)
        if allowance is not None:
            self.recent[(method, team or "")].append(now)
        return None


@dataclass
class FakeSlack:
    people: list[Person] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # bot token -> team
    installs: dict[str, Install] = field(default_factory=dict)  # OAuth code -> workspace
    files: dict[str, bytes] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)  # response_url posts
    socket_acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = ""
    limits: Limits | None = None  # None: no rate limits (`limit` sets them)
    limited: list[Call] = field(default_factory=list)  # the calls answered 429 by the limits
    uploads: dict[str, Upload] = field(default_factory=dict)  # file id -> upload
    latency: float = 0.0  # seconds before each Web API answer, as Slack from a server far away
    most_in_flight: int = 0  # the most Web API calls it was answering at once

    def __post_init__(self) -> None:
        self._in_flight = 0
        self._failures: dict[str, deque[str]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_ready = asyncio.Event()
        self._acked = asyncio.Condition()

    # ---- control ----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/files/{name}", self._file)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{key}", self._response)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def add_person(self, team: str, user_id: str, email: str, name: str,
                   locale: str = "zh-CN", **flags: Any) -> None:
        self.people.append(Person(team, user_id, email, name, locale, flags))

    def limit(self, clock: Clocked, **limits: Any) -> Limits:
        """Enforce Slack's rate limits from now on, on `clock` (see Limits for the knobs)."""
        self.limits = Limits(clock, **limits)
        return self.limits

    def fail(self, method: str, *kinds: str) -> None:
        """The next calls of `method` fail, one per kind: ratelimited, server_error, timeout, or
        any Slack error code (answered 200 with ok=false)."""
        self._failures[method].extend(kinds)

    def to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def file_url(self, name: str) -> str:
        return f"{self.url}/files/{name}"

    def response_url(self, key: str) -> str:
        return f"{self.url}/response/{key}"

    # ---- the Web API ------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        self._in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            return await self._answer(request)
        finally:
            self._in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(parse_qsl(await request.text())))
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or args.get("token", "")
        team = self.tokens.get(token)
        self.calls.append(Call(method, args, token, team))
        self._check(method, args)
        failure = self._failures[method].popleft() if self._failures[method] else None
        if failure is None and self.limits is not None and team is not None:
            channel = str(args.get("channel", ""))
            if channel.startswith(("U", "W")):
                channel = "D" + channel[1:]  # the app's DM with that person
            wait = self.limits.wait(method, team, channel)
            if wait is not None:
                self.limited.append(self.calls[-1])
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(max(1, math.ceil(wait)))})
        if failure == "ratelimited":
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": "7"})
        if failure == "server_error":
            return web.Response(status=500, text="<html>Internal Server Error</html>",
                                content_type="text/html")
        if failure == "timeout":
            await asyncio.sleep(1)
            return web.json_response({"ok": False, "error": "request_timeout"})
        if failure is not None:
            return web.json_response({"ok": False, "error": failure})
        if method not in ("oauth.v2.access", "apps.connections.open") and team is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(await answer(args, team))

    async def _auth_test(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        return {"ok": True, "url": f"https://{team}.slack.com/", "team": f"team {team}",
                "team_id": team, "user": "offboard", "user_id": f"UBOT{team}",
                "bot_id": f"B{team}", "is_enterprise_install": False}

    async def _chat_postMessage(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel.startswith(("U", "W")):
            if not any(p.user_id == channel and p.team == team for p in self.people):
                return {"ok": False, "error": "channel_not_found"}
            channel = "D" + channel[1:]  # the app's DM with that person
        ts = f"1700000000.{next(self._ts):06d}"
        message = Message(channel, ts, list(args.get("blocks") or []), str(args.get("text", "")),
                          team)
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts,
                "message": {"ts": ts, "text": message.text, "blocks": message.blocks}}

    async def _chat_update(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        key = (str(args.get("channel")), str(args.get("ts")))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        self.messages[key].blocks = list(args.get("blocks") or [])
        self.messages[key].text = str(args.get("text", ""))
        return {"ok": True, "channel": key[0], "ts": key[1], "text": args.get("text", "")}

    async def _chat_postEphemeral(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}

    async def _views_open(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        view = dict(args.get("view") or {})
        view_id = f"V{next(self._views):05d}"
        return {"ok": True, "view": {**view, "id": view_id, "hash": f"h{view_id}",
                                     "team_id": team, "app_id": APP_ID}}

    async def _views_publish(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        return {"ok": True, "view": {**dict(args.get("view") or {}), "id": "VHOME"}}

    async def _views_update(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        return {"ok": True, "view": dict(args.get("view") or {})}

    def _person(self, team: str, **match: str) -> Person | None:
        for person in self.people:
            if person.team == team and all(getattr(person, k) == v for k, v in match.items()):
                return person
        return None

    @staticmethod
    def _user(person: Person) -> dict[str, Any]:
        return {"id": person.user_id, "team_id": person.team, "name": person.email.split("@")[0],
                "real_name": person.name, "locale": person.locale, "is_bot": False,
                "profile": {"email": person.email, "real_name": person.name}, **person.flags}

    async def _users_info(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        person = self._person(team, user_id=str(args.get("user")))
        return {"ok": True, "user": self._user(person)} if person else {"ok": False, "error": "user_not_found"}

    async def _users_lookupByEmail(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        person = self._person(team, email=str(args.get("email")))
        return {"ok": True, "user": self._user(person)} if person else {"ok": False, "error": "users_not_found"}

    async def _oauth_v2_access(self, args: dict[str, Any], team: str | None) -> dict[str, Any]:
        install = self.installs.get(str(args.get("code")))
        if install is None:
            return {"ok": False, "error": "invalid_code"}
        token = f"xoxb-{install.team}"
        self.tokens[token] = install.team
        return {
            "ok": True, "app_id": APP_ID, "access_token": token, "token_type": "bot",
            "scope": "commands,chat:write", "bot_user_id": f"UBOT{install.team}",
            "team": {"id": install.team, "name": install.name}, "enterprise": None,
            "is_enterprise_install": False, "authed_user": {"id": f"UINST{install.team}"},
            "incoming_webhook": {"channel": "#hr", "channel_id": install.hr_channel,
                                 "configuration_url": "https://example.com/config",
                                 "url": "https://hooks.slack.com/services/T/B/x"},
        }

    async def _apps_connections_open(self, args: dict[str, Any], team: str | None) -> dict[str, Any]:
        return {"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"}

    def shared_files(self, channel: str | None = None) -> list[Upload]:
        """The uploads completed (shared), optionally to one channel, in upload order."""
        return [u for u in self.uploads.values() if u.shared is not None
                and (channel is None or u.shared.get("channel_id") == channel)]

    async def _files_getUploadURLExternal(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ts):08d}"
        self.uploads[file_id] = Upload(file_id, str(args["filename"]), int(args["length"]), team)
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    async def _files_completeUploadExternal(self, args: dict[str, Any], team: str) -> dict[str, Any]:
        try:
            files = json.loads(str(args.get("files")))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        found = [self.uploads.get(str(f.get("id"))) for f in files if isinstance(f, dict)]
        if not found or any(u is None or u.data is None or u.team != team for u in found):
            return {"ok": False, "error": "file_not_found"}
        channel = str(args.get("channel_id") or "")
        if channel and not channel.startswith("C"):
            return {"ok": False, "error": "channel_not_found"}
        shared = []
        for upload, entry in zip(found, files, strict=True):
            assert upload is not None
            upload.shared = {**{k: v for k, v in args.items() if k != "token"}, "title": entry.get("title")}
            shared.append({"id": upload.file_id, "title": entry.get("title") or upload.filename})
        return {"ok": True, "files": shared}

    # ---- files, response URLs ------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        upload = self.uploads.get(request.match_info["file_id"])
        data = await request.read()
        self.calls.append(Call("upload", {"file_id": request.match_info["file_id"], "bytes": len(data)}, "", None))
        if upload is None or upload.data is not None:
            return web.Response(status=404, text="unknown or used upload URL")
        if len(data) != upload.length:  # Slack checks the length announced in step one
            return web.Response(status=400, text="length mismatch")
        upload.data = data
        return web.Response(text=f"OK - {len(data)}")

    async def _file(self, request: web.Request) -> web.StreamResponse:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.calls.append(Call("file", {"name": request.match_info["name"]}, token, self.tokens.get(token)))
        data = self.files.get(request.match_info["name"])
        if token not in self.tokens:
            return web.Response(status=200, text="<html>sign in</html>", content_type="text/html")
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _response(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.responses.append({"key": request.match_info["key"], **body})
        self.calls.append(Call("response_url", body, "", None))
        self._check("response_url", body)
        return web.Response(text="ok")

    # ---- Socket Mode ------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1})
        self._socket_ready.set()
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "envelope_id" in data:
                async with self._acked:
                    self.socket_acks[data["envelope_id"]] = data
                    self._acked.notify_all()
        return ws

    async def send_envelope(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Push one Socket Mode envelope to the connected app; its acknowledgement comes back."""
        await asyncio.wait_for(self._socket_ready.wait(), 10)
        await self._sockets[-1].send_json(envelope)
        async with self._acked:
            await asyncio.wait_for(
                self._acked.wait_for(lambda: envelope["envelope_id"] in self.socket_acks), 10)
        return self.socket_acks[envelope["envelope_id"]]

    # ---- payload checks ---------------------------------------------------------------------

    def _check(self, method: str, args: dict[str, Any]) -> None:
        try:
            if isinstance(args.get("view"), dict):
                self._check_view(args["view"])
            if isinstance(args.get("blocks"), list):
                self._check_blocks(args["blocks"], MESSAGE_BLOCKS)
        except (SlackObjectFormationError, TypeError, ValueError, KeyError) as error:
            self.problems.append(f"{method}: {type(error).__name__}: {error}")

    def _check_view(self, view: dict[str, Any]) -> None:
        View(**view).validate_json()
        if len(view.get("private_metadata") or "") > METADATA:
            raise ValueError("private_metadata over 3000")
        self._check_blocks(view.get("blocks") or [], VIEW_BLOCKS)

    def _check_blocks(self, blocks: list[dict[str, Any]], limit: int) -> None:
        if len(blocks) > limit:
            raise ValueError(f"{len(blocks)} blocks (limit {limit})")
        for raw in blocks:
            block = Block.parse(raw)
            if block is None:
                raise ValueError(f"unknown block {raw.get('type')}")
            block.validate_json()
            for item in raw.get("fields") or []:
                if len(item.get("text", "")) > FIELD_TEXT:
                    raise ValueError("section field over 2000")
            for element in raw.get("elements") or []:
                if len(str(element.get("value") or "")) > BUTTON_VALUE:
                    raise ValueError("button value over 2000")
