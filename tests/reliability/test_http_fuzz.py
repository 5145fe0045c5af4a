"""Raw malformed requests to the app as `serve` builds it (Slack, WeCom, signing, probes), over real HTTP.

RELIABILITY.md: truncated JSON, bad form encoding, XML bombs and entities, 10 MB bodies, wrong content
types, random bytes and broken HTTP are refused (4xx, 413 where the body is read) or ignored: never a
5xx, never a traceback, never a row written nor a call to a platform. Schemathesis drives the OpenAPI
document in test_schema_fuzz.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.slack_support import SECRET
from tests.reliability.platforms import TRACEBACK_MARKERS
from tests.reliability.served import Fixture, Served

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]

TEN_MB = 10 * 1024 * 1024
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
LINK = "fuzzed0link0000000000000001"  # shaped like a signing token (so the form is read), but issued to no one


@dataclass(frozen=True)
class Send:
    """One request carrying the fuzzed body; `reads` when the endpoint reads the body (so 10 MB is a 413)."""

    label: str
    method: str
    path: str
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    reads: bool = False


def documented_paths(app: Served) -> list[str]:
    """Every path in the app's OpenAPI document (all its routes: test_schema_fuzz checks), parameters filled."""
    return sorted(re.sub(r"\{[^}]*\}", LINK, path) for path in app.app.openapi()["paths"])


def slack_signature(body: bytes) -> dict[str, str]:
    """Slack's headers for raw bytes (slack_support.sign takes text; these bodies need not be UTF-8)."""
    ts = str(int(time.time()))  # bolt checks it against the wall clock
    digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def sends(app: Served, content_type: str, body: bytes) -> Iterator[Send]:
    """The body POSTed to every documented path (other methods are schemathesis's), then to each platform
    endpoint as its platform would send it: Slack-signed, and WeCom-sealed (valid msg_signature)."""
    typed = {"content-type": content_type}
    for path in documented_paths(app):
        yield Send(f"POST {path}", "POST", path, body, typed, reads=path == f"/sign/{LINK}")
    yield Send("GET /readyz with a body", "GET", "/readyz", body, typed)
    yield Send("slack, signed", "POST", "/slack/events", body, typed | slack_signature(body), reads=True)
    yield Send("wecom, bad msg_signature", "POST", "/wecom/callback", body, typed,
               {"msg_signature": "0" * 40, "timestamp": "1717376400", "nonce": "n0nce"}, reads=True)
    sealed, params = app.phone.envelope(body.decode("utf-8", "replace"))
    yield Send("wecom, signed envelope sealing the body", "POST", "/wecom/callback", sealed.encode(),
               {"content-type": "text/xml"}, params, reads=True)
    yield Send("wecom, the body before a signed envelope", "POST", "/wecom/callback", body + sealed.encode(),
               typed, params, reads=True)


def send(client: httpx.Client, request: Send) -> httpx.Response:
    return client.request(request.method, request.path, content=request.content, headers=request.headers,
                          params=request.params)


def unsafe(response: httpx.Response) -> str | None:
    """Why the answer breaks the contract (a 5xx, a traceback, JSON that does not parse), or None."""
    if response.status_code >= 500:
        return f"{response.status_code}: {response.text[:200]}"
    if any(marker in response.text for marker in TRACEBACK_MARKERS):
        return f"traceback: {response.text[:200]}"
    if response.headers.get("content-type", "").startswith("application/json") and response.content:
        try:
            json.loads(response.content)
        except ValueError:
            return f"JSON that does not parse: {response.text[:200]}"
    return None


def assert_nothing_left(served: Fixture, failures: list[str]) -> None:
    app, holder, rows = served
    assert failures == [], "\n".join(failures)
    assert holder.run(app.rows()) == rows, "a malformed request wrote to the database"
    # bolt checks its token (auth.test) on the first signed request it reads: a lookup, not an effect.
    slack_calls = [call for call in app.slack.calls if call.method != "auth.test"]
    assert slack_calls == [] and app.wecom.calls == [], "a malformed request reached a platform"


# ------------------------------------------------------------------ malformed bodies, every endpoint


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                             for n in range(1, 10))
                  + b"]><lolz>&lol9;</lolz>")
QUADRATIC_BLOWUP = (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "' + b"a" * 50_000 + b'">]><xml><Encrypt>'
                    + b"&a;" * 5_000 + b"</Encrypt></xml>")
EXTERNAL_ENTITY = b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>'
MALFORMED = {
    "truncated json": ("application/json", b'{"type": "block_actions", "actions": [{"value": "v1|C-0001|appr'),
    "truncated json payload in a form": ("application/x-www-form-urlencoded",
                                         b"payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B"),
    "json with a lone surrogate": ("application/json", b'{"type": "event_callback", "text": "\\ud800"}'),
    "json nested 10000 deep": ("application/json", b"[" * 10000 + b"]" * 10000),
    "json that is not an object": ("application/json", b'"url_verification"'),
    "bad form encoding": ("application/x-www-form-urlencoded", b"payload=%7B%22a%22%3A%ZZ&&=%&action=%E4%B8"),
    "form with a broken multipart boundary": ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disp"),
    "billion laughs": ("text/xml", BILLION_LAUGHS),
    "quadratic blowup": ("text/xml", QUADRATIC_BLOWUP),
    "external entity": ("application/xml", EXTERNAL_ENTITY),
    "truncated xml": ("text/xml", b"<xml><ToUserName><![CDATA[ww0]]></ToUserName><Encrypt>abc"),
    "not utf-8": ("application/json", b"\xff\xfe\xfd{}"),
    "wrong content type": ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    "json sent as a form": ("application/x-www-form-urlencoded", b'{"type": "url_verification", "challenge": "c"}'),
}


def test_malformed_bodies_to_every_endpoint(served: Fixture) -> None:
    failures = []
    with httpx.Client(base_url=served[0].url, timeout=60) as client:
        for name, (content_type, body) in MALFORMED.items():
            for request in sends(served[0], content_type, body):
                if problem := unsafe(send(client, request)):
                    failures.append(f"{name} → {request.label}: {problem}")
    assert_nothing_left(served, failures)


def test_a_10_mb_body_is_refused_by_every_endpoint(served: Fixture) -> None:
    blob = b"payload=" + b"%7B%22x%22%3A" * (TEN_MB // 12)  # a form, so that the signing page reads it too
    failures = []
    with httpx.Client(base_url=served[0].url, timeout=60) as client:
        for request in sends(served[0], "application/x-www-form-urlencoded", blob):
            for chunked in (False, True):
                chunks = (request.content[i:i + 65536] for i in range(0, len(request.content), 65536))
                response = client.request(request.method, request.path, content=chunks if chunked else request.content,
                                          headers=request.headers, params=request.params)
                label = f"{request.label} ({'chunked' if chunked else 'content-length'})"
                if problem := unsafe(response):
                    failures.append(f"{label}: {problem}")
                elif request.reads and response.status_code != 413:
                    failures.append(f"{label}: {response.status_code}, not 413")
    assert_nothing_left(served, failures)


# ------------------------------------------------------------------ random requests, any path


_JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                            lambda children: st.lists(children, max_size=4)
                            | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)
_BODIES = st.one_of(
    st.binary(max_size=2048),
    _JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    _JSON_VALUES.map(lambda v: json.dumps(v).encode()).flatmap(lambda b: st.integers(0, len(b)).map(lambda n: b[:n])),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from([body for _, body in MALFORMED.values()]),
)
_CONTENT_TYPES = st.sampled_from([
    None, "application/json", "application/json; charset=latin-1", "application/x-www-form-urlencoded",
    "multipart/form-data", "multipart/form-data; boundary=x", "text/xml", "application/xml", "text/plain",
    "application/octet-stream", "*/*", "", "garbage", "application/json; boundary=\x7f",
])
_RANDOM_PATHS = st.one_of(
    st.text(max_size=30).map(lambda s: "/" + quote(s, safe="")),
    st.sampled_from(["/", "//", "/..", "/../../etc/passwd", "/%2e%2e/%2e%2e/", "/readyz/", "/readyz?x=1",
                     "/healthz%00", "/" + "a" * 4000, "/docs", "/openapi.json", "/slack/events?x=%ZZ",
                     "/wecom/callback?msg_signature=&timestamp=&nonce=", "/sign/" + "a" * 200]),
)


def test_any_request_to_any_path_is_answered_without_a_5xx_or_a_write(served: Fixture) -> None:
    paths = st.one_of(st.sampled_from(documented_paths(served[0])), _RANDOM_PATHS)
    failures: list[str] = []

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(path=paths, method=st.sampled_from(METHODS), content_type=_CONTENT_TYPES, body=_BODIES)
    def answered(path: str, method: str, content_type: str | None, body: bytes) -> None:
        headers = {"content-type": content_type} if content_type is not None else {}
        response = client.request(method, path, content=body if method not in ("GET", "HEAD") else b"",
                                  headers=headers)
        if problem := unsafe(response):
            failures.append(f"{method} {path} ({content_type}, {body[:60]!r}): {problem}")

    with httpx.Client(base_url=served[0].url, timeout=60) as client:
        answered()
    assert_nothing_left(served, failures)


# ------------------------------------------------------------------ broken HTTP on a raw socket


RAW = {
    "garbage request line": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    "unknown http version": b"GET /readyz HTTP/9.9\r\nHost: x\r\n\r\n",
    "negative content-length": b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "content-length and chunked": (b"POST /wecom/callback HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "bad chunk size": (b"POST /sign/" + LINK.encode() + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                       b"\r\n\r\nzz\r\n"),
    "content-length longer than the body": (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                                            b"\r\nContent-Length: 100\r\n\r\n{\"type\":"),
    "header without colon": b"GET /readyz HTTP/1.1\r\nHost x\r\n\r\n",
    "huge header": b"GET /readyz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
    "nul in path": b"GET /ready\x00z HTTP/1.1\r\nHost: x\r\n\r\n",
}


def test_broken_http_gets_a_4xx_or_a_closed_connection(served: Fixture) -> None:
    failures = []
    for name, raw in RAW.items():
        answer = exchange(served[0].port, raw)
        if not answer:
            continue  # closed without an answer: the client sees a failed request, never a 500
        status_line = answer.split(b"\r\n", 1)[0]
        if not 400 <= int(status_line.split()[1]) < 500 or b"Traceback" in answer:
            failures.append(f"{name}: {answer[:300]!r}")
    assert_nothing_left(served, failures)


def exchange(port: int, raw: bytes) -> bytes:
    """Send `raw`, half-close, and read the answer until the server closes (b"" if it hung up)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        try:
            conn.sendall(raw)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            return b""  # the server hung up mid-send: refused, fine
        answer = b""
        while chunk := _recv(conn):
            answer += chunk
        return answer


def _recv(conn: socket.socket) -> bytes:
    try:
        return conn.recv(65536)
    except (ConnectionResetError, TimeoutError):
        return b""
