"""`/wecom/callback`: URL verification (GET) and encrypted messages and events (POST).

A POST is verified and decrypted first; anything not from WeCom for our corp (or, with
WECOM_ALLOWED_CORPS set, for a corp not on it) is refused (403, or
400 for a body that is not WeCom's XML) before anything is read or recorded. Then the message is
kept in the inbox (one INSERT) and WeCom gets 200 with an empty body, well inside its 5 seconds;
the worker handles it (WeComChannel.take), in order per member. When it cannot be kept the answer
is 503, so WeCom retries; the delivery id keeps a retry from being kept or acting twice.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.crypto import CallbackRejected, check_fresh, parse_xml
from bot.channels.wecom.events import Ignored, parse

log = logging.getLogger(__name__)

PATH = "/wecom/callback"
# The POST body is read raw (it must be verified before it is parsed): described here for the
# OpenAPI document, which the app does not serve.
_XML_TEXT = {"type": "string"}
RECEIVE_OPENAPI = {
    "requestBody": {"required": True, "content": {"text/xml": {"schema": {
        "type": "object", "xml": {"name": "xml"}, "required": ["Encrypt"],
        "description": "WeCom's envelope: the message, AES-encrypted for our corp",
        "properties": {"ToUserName": _XML_TEXT, "AgentID": _XML_TEXT, "Encrypt": _XML_TEXT},
    }}}},
    "responses": {
        "200": {"description": "Received (empty body)"},
        "400": {"description": "Not WeCom's XML envelope, or not a message it sends"},
        "403": {"description": "Bad msg_signature, another corp, or undecryptable"},
        "503": {"description": "Not handled now: WeCom sends it again"},
    },
}


def _refused(rejected: CallbackRejected) -> JSONResponse:
    log.warning("WeCom callback refused (%s): %s", rejected.status, rejected.reason)
    status = "forbidden" if rejected.status == 403 else "bad_request"
    return JSONResponse({"status": status, "reason": rejected.reason},
                        status_code=rejected.status)


def callback_router(channel: WeComChannel) -> APIRouter:
    router = APIRouter()
    allowed = channel.core.settings.allowed("WECOM_ALLOWED_CORPS")

    def check_corp(corp: str) -> None:
        """Who may connect: a corp not on WECOM_ALLOWED_CORPS (when set) is refused, logged."""
        if allowed and corp not in allowed:
            raise CallbackRejected(403, f"corp {corp or '(none)'} is not in WECOM_ALLOWED_CORPS")

    @router.get(PATH)
    async def verify_url(
        msg_signature: str = Query(max_length=128),
        timestamp: str = Query(max_length=32),
        nonce: str = Query(max_length=128),
        echostr: str = Query(max_length=4096),
    ) -> Response:
        """WeCom checks the URL when the callback is saved: answer the echostr, decrypted."""
        try:
            check_corp(channel.config.corp_id)
            plain = channel.crypto.verify_url(msg_signature, timestamp, nonce, echostr)
        except CallbackRejected as rejected:
            return _refused(rejected)
        return PlainTextResponse(plain)

    @router.post(PATH, openapi_extra=RECEIVE_OPENAPI)
    async def receive(
        request: Request,
        msg_signature: str = Query(max_length=128),
        timestamp: str = Query(max_length=32),
        nonce: str = Query(max_length=128),
    ) -> Response:
        """A message or event from WeCom, encrypted."""
        body = await request.body()
        try:
            xml = channel.crypto.open(body, msg_signature, timestamp, nonce)
            # Decryption proved the message is for our corp id; the allow-list says whether that
            # corp (the message's ToUserName) may connect at all.
            check_corp(str(parse_xml(xml).get("ToUserName") or "").strip())
            check_fresh(timestamp, channel.core.clock.now())
            incoming = parse(xml, channel.config.corp_id)
        except CallbackRejected as rejected:
            return _refused(rejected)
        if not isinstance(incoming, Ignored):
            await channel.keep(incoming, xml)
        return Response(status_code=200)

    return router
