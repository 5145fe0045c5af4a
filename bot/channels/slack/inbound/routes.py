"""The HTTP face of the Slack channel: POST /slack/events (commands, interactivity and events on
one URL) and, with OAuth, GET /slack/install and /slack/oauth_redirect — all through bolt's
FastAPI adapter.

The signature is checked before anything is parsed, so a malformed unsigned body is refused (401),
never a server error; the body is then parsed here and handed to bolt (`_bolt_request` says why).

The routes read their bodies themselves (bolt does), so what they take is described for the
OpenAPI document by hand (`openapi_extra`); the app does not serve that document.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from yarl import query_to_pairs

from bot.channels.slack.inbound.installs import INSTALL_PATH, REDIRECT_PATH
from workflow.i18n import LOCALES, t

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Counts refused (unsigned, wrongly signed or replayed) requests, for the operator.
REJECTED_COUNTER = "offboard:slack:rejected"
# Install starts counted per client address for a minute (each makes an OAuth state row).
INSTALL_STARTS_KEY = "offboard:slack:install-starts:"
INSTALL_WINDOW_SECONDS = 60

_TEXT = {"type": "string"}
EVENTS_OPENAPI = {
    "parameters": [
        {"name": "X-Slack-Request-Timestamp", "in": "header", "required": True,
         "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"}},
        {"name": "X-Slack-Signature", "in": "header", "required": True,
         "schema": {"type": "string", "pattern": "^v0=[0-9a-f]{64}$"},
         "description": "v0=HMAC-SHA256(signing secret, 'v0:{timestamp}:{body}')"},
        {"name": "X-Slack-Retry-Num", "in": "header", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": 3}},
        {"name": "X-Slack-Retry-Reason", "in": "header", "required": False, "schema": _TEXT},
    ],
    "requestBody": {"required": True, "content": {
        "application/x-www-form-urlencoded": {"schema": {
            "type": "object",
            "description": "A slash command (its fields), or an interaction (`payload`, JSON)",
            "properties": {name: _TEXT for name in (
                "command", "text", "team_id", "user_id", "channel_id", "trigger_id",
                "response_url", "api_app_id", "payload")},
        }},
        "application/json": {"schema": {
            "type": "object", "required": ["type"],
            "description": "An Events API delivery, or the URL check",
            "properties": {
                "type": {"type": "string", "enum": ["event_callback", "url_verification"]},
                "challenge": _TEXT, "team_id": _TEXT, "api_app_id": _TEXT, "event_id": _TEXT,
                "event_time": {"type": "integer"}, "event": {"type": "object"},
            },
        }},
    }},
    "responses": {
        "200": {"description": "Handled (a command's answer is in the body)"},
        "400": {"description": "Signed, but not a payload Slack sends"},
        "401": {"description": "Unsigned, wrongly signed, or older than five minutes"},
        "503": {"description": "Not handled now: Slack sends an event again"},
    },
}
OAUTH_OPENAPI = {
    "parameters": [{"name": name, "in": "query", "required": False, "schema": _TEXT}
                   for name in ("code", "state", "error")],
    "responses": {"200": {"description": "An HTML page"}, "302": {"description": "To Slack"},
                  "400": {"description": "The flow failed (page says why)"}},
}


def _signed(verifier: SignatureVerifier, body: bytes, headers: dict[str, str]) -> bool:
    try:
        return verifier.is_valid_request(body, headers)
    except ValueError:  # the timestamp header is not a number: not signed by Slack either
        return False


def _bolt_request(request: Request, body: bytes) -> AsyncBoltRequest | str:
    """The signed body as bolt's request, parsed here once, or why it cannot be read. Bolt assumes
    a JSON object: anything else (a bare string, nesting deep enough to exhaust the recursion
    limit, bytes that are not UTF-8) would raise inside bolt and reach the platform as a 503,
    retried.

    Parsed here, not by bolt: bolt decodes a form with urllib's parse_qsl, in Python — a press's
    form carries its whole card, and that decoding was 7 % of `serve`'s CPU — where yarl's
    query_to_pairs gives the same pairs from C; and bolt would check the signature again. A
    request handed over parsed is what bolt calls "socket_mode" (authenticated by its transport):
    this one was, by its signature, above."""
    content_type = request.headers.get("content-type")
    try:
        parsed = _parsed_body(body.decode(), content_type.split(";")[0] if content_type else None)
        if not isinstance(parsed, dict):
            return "not a JSON object"
        return AsyncBoltRequest(body=parsed, query=request.query_params,  # type: ignore[arg-type]
                                headers=request.headers, mode="socket_mode")  # type: ignore[arg-type]
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return type(error).__name__
    except (AttributeError, TypeError):  # bolt reads fields it expects ("authorizations": 1) as what they are not
        return "not a JSON object"


def _parsed_body(text: str, content_type: str | None) -> Any:
    """What bolt's parse_body makes of `text` (JSON, or a form whose `payload` field is JSON)."""
    if not text:
        return {}
    if content_type == "application/json" or text.startswith("{"):
        return json.loads(text)
    fields = dict(query_to_pairs(text))
    if "payload" not in text:
        return fields
    payload = fields.get("payload")
    return {} if payload is None else json.loads(payload)


def slack_router(core: Core, app: AsyncApp) -> APIRouter:
    settings = core.settings
    if settings.SLACK_SIGNING_SECRET is None:
        raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET")
    verifier = SignatureVerifier(settings.SLACK_SIGNING_SECRET.get_secret_value())
    handler = AsyncSlackRequestHandler(app)
    router = APIRouter()

    @router.post(EVENTS_PATH, openapi_extra=EVENTS_OPENAPI)
    async def events(request: Request) -> Response:
        """Slash commands, interactivity and Events API deliveries from Slack, signed."""
        body = await request.body()
        if not _signed(verifier, body, dict(request.headers)):
            await core.redis.incr(REJECTED_COUNTER)
            log.warning("refused a Slack request with a bad or stale signature")
            return JSONResponse({"status": "unauthorized", "reason": "invalid signature"},
                                status_code=401)
        bolt_request = _bolt_request(request, body)
        if isinstance(bolt_request, str):
            return JSONResponse({"status": "bad_request", "reason": f"malformed body: {bolt_request}"},
                                status_code=400)
        return to_starlette_response(await app.async_dispatch(bolt_request))

    if settings.slack_oauth:

        @router.get(INSTALL_PATH, openapi_extra={"responses": OAUTH_OPENAPI["responses"]})
        async def install(request: Request) -> Response:
            """Start installing the app in a workspace (redirects to Slack); a few a minute per
            address, so nobody fills the state table."""
            address = request.client.host if request.client else "unknown"
            key = INSTALL_STARTS_KEY + address
            starts = await core.redis.incr(key)
            if starts == 1:
                await core.redis.expire(key, INSTALL_WINDOW_SECONDS)
            if starts is not None and starts > settings.SLACK_INSTALL_STARTS_PER_MINUTE:
                log.warning("refused a Slack install start from %s: %d this minute", address, starts)
                text = "\n".join(t("slack.install_rate_limited", locale) for locale in LOCALES)
                return Response(text, status_code=429, media_type="text/plain; charset=utf-8",
                                headers={"Retry-After": str(INSTALL_WINDOW_SECONDS)})
            return await handler.handle(request)

        @router.get(REDIRECT_PATH, openapi_extra=OAUTH_OPENAPI)
        async def oauth_redirect(request: Request) -> Response:
            """Where Slack sends the installer back."""
            return await handler.handle(request)

    return router
