"""Fuzzing the HTTP app: generated requests and raw malformed ones, over a real socket.

RELIABILITY.md: malformed JSON / form / XML, oversized bodies → 400/413 with a reason, never a
500, never a traceback. The app served is `bot.app.create_app` (probes, error handling, body
limit); its routes are enumerated, so routers added to ROUTERS are fuzzed as well. (Schemathesis
would drive this from the app's OpenAPI document; it is not installed, so hypothesis builds the
requests.)
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI, Form, Request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bot.app import create_app
from bot.cli.serve import Server
from bot.runtime import Runtime
from storage.migrate import upgrade
from tests.bot.runtime_support import settings_for
from tests.reliability.services import free_port


class Event(BaseModel):
    """A platform event's envelope, roughly (what a JSON endpoint validates)."""

    type: str
    actions: list[dict[str, Any]] = []


def stand_ins() -> APIRouter:
    """Endpoints that read a body the ways the platform endpoints will (JSON, a form, raw bytes),
    so that the body parsing and the size limit are fuzzed before those endpoints land."""
    router = APIRouter(prefix="/stand-in")

    @router.post("/json")
    async def json_body(event: Event) -> dict[str, str]:
        return {"type": event.type}

    @router.post("/form")
    async def form_body(payload: Annotated[str, Form()]) -> dict[str, int]:
        return {"size": len(payload)}

    @router.post("/raw")
    async def raw_body(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    return router


# Routers served besides the core app's own routes (the platform endpoints join when they land).
ROUTERS: list[APIRouter] = [stand_ins()]
TEN_MB = 10 * 1024 * 1024
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class ServedApp:
    """uvicorn in a thread of its own, so that plain (sync) clients and hypothesis can drive it."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.server = Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                            lifespan="on", server_header=False))
        self.thread = threading.Thread(target=self.server.run, name="fuzzed-app", daemon=True)

    def __enter__(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, ServedApp]]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    upgrade(url)
    runtime = Runtime(settings_for(url))
    application = create_app(runtime, run_worker=False, routers=ROUTERS)
    with ServedApp(application) as served:
        yield application, served
    # The server thread's loop is gone; close the pooled connections from a loop of our own.
    asyncio.run(runtime.close())


@pytest.fixture(scope="module")
def client(app: tuple[FastAPI, ServedApp]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app[1].base_url, timeout=60) as client:
        yield client


def routes(application: FastAPI) -> list[str]:
    """Every path the app serves: those in its OpenAPI document, and every route of ROUTERS (the
    platform endpoints keep out of the document). Path parameters get a sample value."""
    paths = set(application.openapi()["paths"])
    paths |= {route.path for router in ROUTERS for route in router.routes if hasattr(route, "path")}
    return sorted(re.sub(r"\{[^}]*\}", "sample-0001", path) for path in paths)


def assert_answered_safely(response: httpx.Response) -> None:
    """The contract: never a 5xx other than a deliberate 503, never a traceback, JSON that parses."""
    assert response.status_code < 500 or response.status_code == 503, (response.status_code, response.text[:300])
    body = response.text
    assert "Traceback" not in body and 'File "' not in body, body[:300]
    if response.headers.get("content-type", "").startswith("application/json") and body:
        json.loads(body)


# ------------------------------------------------------------------ generated requests


_JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                            lambda children: st.lists(children, max_size=4)
                            | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)
_BODIES = st.one_of(
    st.binary(max_size=2048),
    _JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    _JSON_VALUES.map(lambda v: json.dumps(v).encode()).flatmap(lambda b: st.integers(0, len(b)).map(lambda n: b[:n])),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"a=1&b=%ZZ&c", b"%", b"=&=&==", b"a=" + b"%E4%B8" * 100, b"\xff\xfe\x00",
                     b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'>]><x>&a;&a;</x>"]),
)
_CONTENT_TYPES = st.sampled_from([
    None, "application/json", "application/json; charset=latin-1", "application/x-www-form-urlencoded",
    "multipart/form-data", "multipart/form-data; boundary=x", "text/xml", "application/xml", "text/plain",
    "application/octet-stream", "*/*", "", "garbage", "application/json; boundary=\x7f",
])
_RANDOM_PATHS = st.one_of(
    st.text(max_size=30).map(lambda s: "/" + quote(s, safe="")),
    st.sampled_from(["/", "//", "/..", "/../../etc/passwd", "/%2e%2e/%2e%2e/", "/readyz/", "/readyz?x=1",
                     "/healthz%00", "/" + "a" * 4000, "/docs", "/openapi.json", "/slack/events", "/wecom/callback"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), method=st.sampled_from(METHODS), content_type=_CONTENT_TYPES, body=_BODIES)
def test_any_request_to_any_endpoint_is_answered_without_a_500(app: tuple[FastAPI, ServedApp], client: httpx.Client,
                                                               data: st.DataObject, method: str,
                                                               content_type: str | None, body: bytes) -> None:
    path = data.draw(st.one_of(st.sampled_from(routes(app[0])), _RANDOM_PATHS), label="path")
    headers = {"content-type": content_type} if content_type is not None else {}
    response = client.request(method, path, content=body if method not in ("GET", "HEAD") else b"",
                              headers=headers)
    assert_answered_safely(response)


# ------------------------------------------------------------------ malformed bodies, every endpoint


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                             for n in range(1, 10))
                  + b"]><lolz>&lol9;</lolz>")
EXTERNAL_ENTITY = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
MALFORMED = {
    "truncated json": ("application/json", b'{"type": "block_actions", "actions": [{"value": "v1|C-0001|appr'),
    "json with a lone surrogate": ("application/json", b'{"text": "\\ud800"}'),
    "json nested 10000 deep": ("application/json", b"[" * 10000 + b"]" * 10000),
    "bad form encoding": ("application/x-www-form-urlencoded", b"payload=%7B%22a%22%3A%ZZ&&=%"),
    "form with a broken multipart boundary": ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disp"),
    "billion laughs": ("text/xml", BILLION_LAUGHS),
    "external entity": ("application/xml", EXTERNAL_ENTITY),
    "not utf-8": ("application/json", b"\xff\xfe\xfd{}"),
    "wrong content type": ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_bodies_to_every_endpoint(app: tuple[FastAPI, ServedApp], client: httpx.Client, name: str) -> None:
    content_type, body = MALFORMED[name]
    for path in routes(app[0]):
        for method in ("POST", "PUT", "PATCH"):
            assert_answered_safely(client.request(method, path, content=body, headers={"content-type": content_type}))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_10_mb_body_is_refused_by_every_endpoint(app: tuple[FastAPI, ServedApp], client: httpx.Client,
                                                   chunked: bool) -> None:
    blob = b"{" + b'"x":' * (TEN_MB // 4) + b"}"
    for path in routes(app[0]):
        for method in ("POST", "PUT"):
            content = (blob[i:i + 65536] for i in range(0, len(blob), 65536)) if chunked else blob
            response = client.request(method, path, content=content, headers={"content-type": "application/json"})
            assert_answered_safely(response)
            assert response.status_code in (400, 404, 405, 413), (path, method, response.status_code)
            if path in ("/stand-in/json", "/stand-in/raw") and method == "POST":  # they read the body
                assert response.status_code == 413


# ------------------------------------------------------------------ broken HTTP on a raw socket


RAW = {
    "garbage request line": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    "unknown http version": b"GET /readyz HTTP/9.9\r\nHost: x\r\n\r\n",
    "negative content-length": b"POST /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "content-length and chunked": (b"POST /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "bad chunk size": b"POST /readyz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
    "header without colon": b"GET /readyz HTTP/1.1\r\nHost x\r\n\r\n",
    "huge header": b"GET /readyz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
    "nul in path": b"GET /ready\x00z HTTP/1.1\r\nHost: x\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(RAW))
def test_broken_http_gets_a_4xx_or_a_closed_connection(app: tuple[FastAPI, ServedApp], name: str) -> None:
    with socket.create_connection(("127.0.0.1", app[1].port), timeout=30) as conn:
        try:
            conn.sendall(RAW[name])
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            return  # the server hung up mid-send: refused, fine
        answer = b""
        while chunk := _recv(conn):
            answer += chunk
    if not answer:
        return  # closed without an answer: the client sees a failed request, never a 500
    status_line = answer.split(b"\r\n", 1)[0]
    status = int(status_line.split()[1])
    assert 400 <= status < 500, status_line
    assert b"Traceback" not in answer


def _recv(conn: socket.socket) -> bytes:
    try:
        return conn.recv(65536)
    except (ConnectionResetError, TimeoutError):
        return b""
