"""The webhook channel: the relay's sender for outbox rows bound for the company's other systems.

Each row names its subscription; the body is POSTed to the subscription's URL as JSON, signed per
the Standard Webhooks convention (webhook-id stable across retries, webhook-timestamp of this try,
webhook-signature over "id.timestamp.body" with the subscription's secret). A 2xx is delivered;
a 429 or 5xx, a timeout or a refused connection is retried by the relay (after Retry-After where
given); a removed subscription or 410 Gone is dead at once. Dead rows tell HR (storage.outbox).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from bot.channels.base import DeliveryError
from handlers.webhooks import CHANNEL
from storage.uow import UnitOfWork
from workflow.webhooks import headers

if TYPE_CHECKING:
    from storage.outbox import OutboxItem

TIMEOUT_SECONDS = 10.0
# How much of a receiver's answer an error keeps.
ANSWER_CHARS = 200


def body_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class WebhookChannel:
    name = CHANNEL

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], now: Callable[[], datetime],
                 client: httpx.AsyncClient | None = None) -> None:
        """Subscriptions are read through `uow_factory`; signatures are timestamped by `now`."""
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)
        self.uow_factory = uow_factory
        self.now = now

    async def deliver(self, item: OutboxItem) -> dict[str, Any]:
        async with self.uow_factory() as uow:
            subscription = await uow.webhooks.get(int(item.payload.get("subscription_id", 0)))
        if subscription is None:
            raise DeliveryError("the webhook subscription was removed", permanent=True)
        body = body_bytes(item.payload["body"])
        msg_id = str(item.payload["webhook_id"])
        signed = headers(subscription.secret, msg_id, int(self.now().timestamp()), body)
        try:
            answer = await self.client.post(subscription.url, content=body,
                                            headers={**signed, "content-type": "application/json"})
        except httpx.HTTPError as error:
            raise DeliveryError(f"{subscription.url}: {type(error).__name__}: {error}") from None
        if answer.is_success:
            return {"status": answer.status_code, "webhook_id": msg_id}
        error = f"{subscription.url} answered {answer.status_code}: {answer.text[:ANSWER_CHARS]}"
        raise DeliveryError(error, retry_after=_seconds(answer.headers.get("retry-after")),
                            permanent=answer.status_code == httpx.codes.GONE)

    async def close(self) -> None:
        await self.client.aclose()


def _seconds(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff will do
