"""The wired parts every channel and worker loop is given (built by bot.bootstrap): settings,
clock, database, Redis, the handlers' deps and the gateway."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.base import Channel
from bot.gateway import Gateway
from bot.settings import Settings
from handlers.deps import Deps
from storage.cache import Cache
from storage.uow import UnitOfWork
from workflow.clock import Clock


@dataclass(frozen=True)
class Core:
    """What channels and worker loops are given: the wired parts, no channels yet."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    redis: Cache
    deps: Deps
    gateway: Gateway

    def uow_factory(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)


# A channel is made from the core it delivers for (its database, Redis, clock, gateway).
ChannelMaker = Callable[[Core], Channel]


