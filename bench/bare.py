"""`python -m bench.bare --port N …`: the ack bench's floor — what a user would start from the SDKs'
templates: a slack-bolt AsyncApp on FastAPI whose block_actions listener only acks, and a WeCom
callback that verifies and decrypts with wechatpy, then answers 200. One uvicorn worker, as `serve`.
"""

from __future__ import annotations

import argparse
import re

import uvicorn
from fastapi import FastAPI, Query, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException


def bare_app(*, slack_secret: str, slack_token: str, slack_api_url: str, wecom_token: str, wecom_aes_key: str,
             wecom_corp_id: str) -> FastAPI:
    # The Web API client points where serve's does (the fake), so bolt's one auth.test succeeds.
    bolt = AsyncApp(signing_secret=slack_secret, client=AsyncWebClient(token=slack_token, base_url=slack_api_url))

    @bolt.block_action(re.compile(".+"))
    async def pressed(ack: AsyncAck) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(bolt)
    crypto = WeChatCrypto(wecom_token, wecom_aes_key, wecom_corp_id)
    api = FastAPI()

    @api.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    @api.post("/wecom/callback")
    async def wecom_callback(request: Request, msg_signature: str = Query(), timestamp: str = Query(),
                             nonce: str = Query()) -> Response:
        try:
            crypto.decrypt_message(await request.body(), msg_signature, timestamp, nonce)
        except (InvalidSignatureException, InvalidCorpIdException):
            return Response(status_code=403)
        return Response(status_code=200)

    @api.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return api


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    for name in ("slack-secret", "slack-token", "slack-api-url", "wecom-token", "wecom-aes-key", "wecom-corp-id"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args(argv)
    app = bare_app(slack_secret=args.slack_secret, slack_token=args.slack_token, slack_api_url=args.slack_api_url,
                   wecom_token=args.wecom_token, wecom_aes_key=args.wecom_aes_key,
                   wecom_corp_id=args.wecom_corp_id)
    # uvicorn's defaults otherwise (the template's `uvicorn app:api`), minus the access log.
    uvicorn.run(app, host="127.0.0.1", port=args.port, workers=1, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
