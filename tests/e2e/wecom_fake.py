"""A fake WeCom server API and group robot on 127.0.0.1, recording every call.

Just enough of WeCom for wechatpy's real client: gettoken, message/send,
message/update_template_card, media/get, media/upload (keeping the bytes), department/list,
user/list, appchat/send, and a robot webhook that enforces 20 posts per sliding minute (on an
injected clock) like the real one.
With `app_per_minute` set, message/send refuses (45009) a member's messages past that many in a
sliding minute, as WeCom limits an app's messages to one member (off by default).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from workflow.clock import Clock


@dataclass
class Call:
    path: str
    params: dict[str, str]
    body: dict[str, Any] | None
    at: datetime | None = None
    errcode: int = 0  # what the fake answered


@dataclass
class FakeWeCom:
    corp_id: str
    secret: str
    clock: Clock | None = None
    robot_key: str = "robot-key"
    robot_per_minute: int = 20
    app_per_minute: int | None = None  # message/send to one member, per sliding minute (needs `clock`)
    departments: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    uploaded: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # media_id -> (type, name, bytes)
    calls: list[Call] = field(default_factory=list)
    _tokens: set[str] = field(default_factory=set)
    _expired: set[str] = field(default_factory=set)
    _codes: dict[str, bool] = field(default_factory=dict)  # response_code -> still usable
    _task_ids: set[str] = field(default_factory=set)  # template cards' task_ids sent so far
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    # -- what tests use ---------------------------------------------------------------------

    def calls_to(self, path: str, *, accepted: bool = True) -> list[Call]:
        return [c for c in self.calls if c.path == path and (c.errcode == 0 or not accepted)]

    def sent(self, msgtype: str | None = None, to: str | None = None) -> list[dict[str, Any]]:
        """message/send bodies, optionally of one msgtype and to one userid."""
        return [c.body for c in self.calls_to("message/send") if c.body is not None
                and (msgtype is None or c.body.get("msgtype") == msgtype)
                and (to is None or c.body.get("touser") == to)]

    def cards(self, to: str | None = None) -> list[dict[str, Any]]:
        return [b["template_card"] for b in self.sent("template_card", to)]

    def robot_posts(self) -> list[Call]:
        return self.calls_to("robot/send")

    def response_code(self) -> str:
        """A ResponseCode as WeCom puts in a click event: usable once with update_template_card."""
        code = f"rc{next(self._seq)}"
        self._codes[code] = True
        return code

    def expire_code(self, code: str) -> None:
        self._codes[code] = False

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Until `predicate()` holds after some call (for an app whose own worker delivers)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    def expire_tokens(self) -> None:
        """Every token issued so far now answers 42001."""
        self._expired |= self._tokens

    # -- the API ----------------------------------------------------------------------------

    def _now(self) -> datetime | None:
        return self.clock.now() if self.clock is not None else None

    def _token_error(self, call: Call) -> JSONResponse | None:
        token = call.params.get("access_token", "")
        if token in self._expired:
            return refuse(call, 42001, "access_token expired")
        if token not in self._tokens:
            return refuse(call, 40014, "invalid access_token")
        return None

    def app(self) -> FastAPI:
        app = FastAPI()

        async def record(request: Request, path: str) -> Call:
            raw = await request.body()
            body = await request.json() if raw else None
            call = Call(path, dict(request.query_params), body, self._now())
            self.calls.append(call)
            async with self._changed:
                self._changed.notify_all()
            return call

        @app.get("/cgi-bin/gettoken")
        async def gettoken(request: Request) -> JSONResponse:
            call = await record(request, "gettoken")
            if (call.params.get("corpid"), call.params.get("corpsecret")) != (
                    self.corp_id, self.secret):
                return refuse(call, 40001, "invalid secret")
            token = f"token-{next(self._seq)}"
            self._tokens.add(token)
            return JSONResponse({"errcode": 0, "errmsg": "ok", "access_token": token,
                                 "expires_in": 7200})

        def api(path: str, answer: Callable[[Call], dict[str, Any] | JSONResponse],
                method: str = "post") -> None:
            async def endpoint(request: Request) -> JSONResponse:
                call = await record(request, path)
                refused = self._token_error(call)
                if refused is not None:
                    return refused
                answered = answer(call)
                if isinstance(answered, JSONResponse):
                    return answered
                return JSONResponse({"errcode": 0, "errmsg": "ok", **answered})
            app.add_api_route(f"/cgi-bin/{path}", endpoint, methods=[method.upper()])

        def send(call: Call) -> dict[str, Any] | JSONResponse:
            to = (call.body or {}).get("touser")
            if self.app_per_minute is not None and call.at is not None:
                recent = [c for c in self.calls_to("message/send") if c is not call and c.at is not None
                          and (c.body or {}).get("touser") == to and call.at - c.at < timedelta(minutes=1)]
                if len(recent) >= self.app_per_minute:
                    return refuse(call, 45009, "api freq out of limit")
            result: dict[str, Any] = {"msgid": f"msg{next(self._seq)}"}
            card = (call.body or {}).get("template_card") or {}
            if card.get("task_id") in self._task_ids:  # as WeCom: never the same task_id twice
                return refuse(call, 42014, "taskid has existed or empty or exceed max len")
            if card.get("task_id"):
                self._task_ids.add(card["task_id"])
            if card.get("card_type") == "button_interaction":
                result["response_code"] = f"send-rc{next(self._seq)}"
            return result

        api("message/send", send)
        api("appchat/send", lambda call: {})
        api("department/list", lambda call: {"department": self.departments}, "get")
        api("user/list", lambda call: {"userlist": self.users}, "get")

        @app.post("/cgi-bin/message/update_template_card")
        async def update_card(request: Request) -> JSONResponse:
            call = await record(request, "message/update_template_card")
            refused = self._token_error(call)
            if refused is not None:
                return refused
            code = (call.body or {}).get("response_code", "")
            if not self._codes.get(code):
                return refuse(call, 40058, "invalid response_code")
            self._codes[code] = False  # single use
            return JSONResponse({"errcode": 0, "errmsg": "ok", "invaliduser": []})

        @app.get("/cgi-bin/media/get")
        async def media_get(request: Request) -> Response:
            call = await record(request, "media/get")
            refused = self._token_error(call)
            if refused is not None:
                return refused
            found = self.media.get(call.params.get("media_id", ""))
            if found is None:
                return refuse(call, 40007, "invalid media_id")
            filename, media_type, data = found
            return Response(data, media_type=media_type, headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})

        @app.post("/cgi-bin/media/upload")
        async def media_upload(request: Request) -> JSONResponse:
            form = await request.form()
            media = form.get("media")
            data = await media.read() if media is not None and not isinstance(media, str) else b""
            filename = getattr(media, "filename", "") or ""
            call = Call("media/upload", dict(request.query_params),
                        {"filename": filename, "bytes": len(data)}, self._now())
            self.calls.append(call)
            async with self._changed:
                self._changed.notify_all()
            refused = self._token_error(call)
            if refused is not None:
                return refused
            kind = call.params.get("type", "")
            if kind not in ("image", "voice", "video", "file") or not data:
                return refuse(call, 40004, "invalid media type or empty media")
            media_id = f"media-{next(self._seq)}"
            self.uploaded[media_id] = (kind, filename, data)
            return JSONResponse({"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id,
                                 "created_at": "1700000000"})

        @app.post("/robot/send")
        async def robot(request: Request) -> JSONResponse:
            call = await record(request, "robot/send")
            if call.params.get("key") != self.robot_key:
                return refuse(call, 93000, "invalid webhook key")
            if call.at is not None:
                recent = [c for c in self.robot_posts()
                          if c.at is not None and call.at - c.at < timedelta(minutes=1)]
                if len(recent) > self.robot_per_minute:  # this post is among them
                    return refuse(call, 45009, "api freq out of limit")
            return JSONResponse({"errcode": 0, "errmsg": "ok"})

        return app


def refuse(call: Call, errcode: int, errmsg: str) -> JSONResponse:
    call.errcode = errcode
    return JSONResponse({"errcode": errcode, "errmsg": errmsg})
