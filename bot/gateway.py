"""The one way in: every platform request is kept in the inbox, then run through the handlers
(handlers.dispatch), after which the relay is woken.

Most requests are kept and left to the worker (`accept`: Slack presses and DM messages, WeCom
callbacks, console lines). A request whose platform waits for the action's own answer is kept
and run here and now (`handle_now`): a Slack slash command (its HTTP response is the answer the
person sees) and a submitted Slack modal (a refusal is shown inside the form, in the response).
Opening a modal (views.open) stays in the listener: a trigger_id lives 3 s, and it runs no action.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.contracts import Inbound, Reply
from handlers.deps import Deps
from handlers.dispatch import Then, handle
from storage import inbox
from storage.cache import Cache
from storage.uow import UnitOfWork, in_shared_transaction
from workflow.clock import Clock

T = TypeVar("T")

# Gateway.wake_workers nudges the worker loops (bot.worker) through this cache channel.
WAKE_CHANNEL = "offboard:wake"
# Gateway.accept nudges the inbox loops of other processes through this one.
INBOX_CHANNEL = "offboard:inbox"


class Gateway:
    """Keeps requests (`accept`) and runs them (`dispatch`); built once by bot.bootstrap."""

    def __init__(self, engine: AsyncEngine, uow_factory: Callable[[], UnitOfWork], deps: Deps,
                 redis: Cache, clock: Clock) -> None:
        self.engine = engine
        self.uow_factory = uow_factory
        self.deps = deps
        self.redis = redis
        self.clock = clock
        # The inbox loops running in this process (bot.worker), woken directly by `accept`.
        self.inbox_loops: set[asyncio.Event] = set()

    async def dispatch(self, inbound: Inbound, *, then: Then | None = None) -> Reply:
        """Run one request through the handlers (with the channel's `then`, see handlers.dispatch),
        then nudge the relay to send what it queued."""
        reply = await handle(inbound, self.uow_factory, self.deps, then=then)
        if not in_shared_transaction():  # else the worker wakes them once all is committed
            await self.wake_workers()
        return reply

    async def accept(self, channel: str, delivery_id: str, lane: str, body: dict[str, Any]) -> bool:
        """Keep a platform request for the worker to handle (storage.inbox), before the platform
        is answered; False when it is a retry of one already kept. Wakes an inbox loop: this
        process's own when it runs one (no round trip), else one elsewhere through the cache."""
        new = await self._keep(channel, delivery_id, lane, body)
        if new:
            if self.inbox_loops:
                for waiting in self.inbox_loops:
                    waiting.set()
            else:
                await self.redis.wake(INBOX_CHANNEL)
        return new

    async def wake_workers(self) -> None:
        """Best effort: a lost wake-up only means the next poll sends the messages."""
        await self.redis.wake(WAKE_CHANNEL)

    async def handle_now(self, channel: str, delivery_id: str, lane: str, body: dict[str, Any],
                         run: Callable[[], Awaitable[T]]) -> T:
        """Keep a request, run it here (`run`, the same steps the worker's take would run), and
        forget it, handled or failed: the platform is waiting and its person hears either way.
        A worker polling meanwhile may take it too; its delivery id makes the second run a
        duplicate that changes nothing."""
        await self._keep(channel, delivery_id, lane, body)
        try:
            return await run()
        finally:
            await inbox.forget(self.engine, delivery_id)

    async def _keep(self, channel: str, delivery_id: str, lane: str, body: dict[str, Any]) -> bool:
        return await inbox.accept(self.engine, delivery_id=delivery_id, channel=channel, lane=lane,
                                  body=body, now=self.clock.now())
