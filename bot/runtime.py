"""The process's wiring: settings → engine, units of work, Redis, handler deps and channels.

One `Runtime` per process; the web app, the worker loops and the CLI commands share it.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.admission import Admission
from bot.channels.base import Channel, ChannelRegistry
from bot.channels.console import ConsoleChannel
from bot.channels.webhook import WebhookChannel
from bot.clock import SystemClock
from bot.documents.render import PdfRenderer
from bot.errors import not_migrated, unreachable
from bot.settings import Settings, SettingsError
from bot.signing.keys import KeyFileSigner
from handlers.contracts import Inbound, Reply
from handlers.deps import build_deps
from handlers.dispatch import Then, handle
from storage import inbox
from storage.cache import make_redis
from storage.db import make_engine, make_session_factory
from storage.migrate import is_current
from storage.uow import UnitOfWork
from workflow.calendar import Arrangement, BadArrangement, arrangements_from_mapping
from workflow.clock import Clock

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Runtime.wake_workers nudges the worker loops (bot.worker) through this cache channel.
WAKE_CHANNEL = "offboard:wake"
# Runtime.accept nudges the inbox loops of other processes through this one.
INBOX_CHANNEL = "offboard:inbox"
# A readiness probe must answer quickly even when the database host does not.
READY_TIMEOUT_SECONDS = 5.0


def data_path(path: str) -> Path:
    """A relative path is looked up in the working directory, then in the project checkout."""
    candidate = Path(path)
    if not candidate.is_absolute() and not candidate.exists():
        return PROJECT_ROOT / candidate
    return candidate


def load_arrangements(path: str) -> dict[int, Arrangement]:
    """The official holiday arrangements loaded with `python -m bot calendar import`."""
    candidate = data_path(path)
    if not candidate.is_file():
        return {}
    try:
        return arrangements_from_mapping(json.loads(candidate.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, BadArrangement) as error:
        raise SettingsError(f"invalid setting CALENDAR_DATA: cannot read {path}: {error}") from None


def load_reference(path: str) -> Mapping[str, Any] | None:
    """The reference data (average/minimum wages by city and year), or None when absent.

    A relative path is looked up in the working directory, then in the project checkout.
    """
    candidate = Path(path)
    if not candidate.is_absolute() and not candidate.exists():
        candidate = PROJECT_ROOT / candidate
    if not candidate.is_file():
        log.warning("reference data %s not found: settlement caps will be left to HR", path)
        return None
    try:
        data = json.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SettingsError(f"invalid setting REFERENCE_DATA: cannot read {path}: {error}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"invalid setting REFERENCE_DATA: {path} must hold a JSON object")
    return data


def configured_channels(settings: Settings) -> list[Channel]:
    """The channels `serve` and `worker` deliver on. The console needs no credentials (it
    prints, for the local trial); Slack and WeCom join when their credentials are set."""
    channels: list[Channel] = [ConsoleChannel(), WebhookChannel()]
    # Each platform's SDKs are imported only where it is configured: they take seconds to load,
    # and a worker on a busy machine should start polling soon.
    platforms = settings.chat_platforms()
    if "wecom" in platforms:
        from bot.channels.wecom import WeComChannel, WeComConfig

        wecom = WeComConfig.from_settings(settings)
        assert wecom is not None  # chat_platforms() names WeCom only when it is configured
        channels.append(WeComChannel(wecom))
    if "slack" in platforms:
        from bot.channels.slack import SlackChannel

        channels.append(SlackChannel(settings))
    return channels


def settle_heap() -> None:
    """Call once start-up is done. Everything built so far (modules, the app, SQLAlchemy's
    mappings) lives as long as the process: moved out of the collector's sight, it no longer makes
    each full collection walk some hundred thousand objects. Measured in `serve`: full
    collections of 140–170 ms, each one stalling every request in flight, become a few ms."""
    gc.collect()
    gc.freeze()


def _warn_unknown_year(year: int) -> None:
    log.warning(
        "no official holiday schedule for %s: counting weekends and statutory holidays only",
        year,
    )


class Runtime:
    """Everything a request or a worker tick needs, built once from the settings."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        channels: Iterable[Channel] = (),
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.engine = make_engine(settings.DATABASE_URL)
        self.session_factory = make_session_factory(self.engine)
        self.redis = make_redis(settings.REDIS_URL)
        self.deps = build_deps(
            self.clock,
            timezone=settings.TIMEZONE,
            quiet_start=settings.quiet_start,
            quiet_end=settings.quiet_end,
            reference=load_reference(settings.REFERENCE_DATA),
            jurisdiction=settings.JURISDICTION,
            on_unknown_year=_warn_unknown_year,
            arrangements=load_arrangements(settings.CALENDAR_DATA),
            # Documents and signing: PDFs, the key-file signer, links and retention.
            renderer=PdfRenderer(settings.DOCUMENT_FONT),
            signer=KeyFileSigner(settings.SIGNING_KEY_PATH),
            public_base_url=settings.PUBLIC_BASE_URL,
            signing_link_hours=settings.SIGNING_TOKEN_HOURS,
            retention_years=settings.RETENTION_YEARS,
        )
        # The inbox loops running in this process (bot.worker), woken directly by `accept`.
        self.inbox_loops: set[asyncio.Event] = set()
        self.admission = Admission(settings.MAX_IN_FLIGHT)
        self.channels = ChannelRegistry()
        for channel in channels:
            self.channels.register(channel)
            # A channel that reads the directory or queues work (WeCom) binds to this runtime.
            bind = getattr(channel, "bind", None)
            if bind is not None:
                bind(self)

    def uow_factory(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    async def dispatch(self, inbound: Inbound, *, then: Then | None = None) -> Reply:
        """Run one request through the handlers (with the channel's `then`, see handlers.dispatch),
        then nudge the relay to send what it queued."""
        reply = await handle(inbound, self.uow_factory, self.deps, then=then)
        await self.wake_workers()
        return reply

    async def accept(self, channel: str, delivery_id: str, lane: str, body: dict[str, Any]) -> bool:
        """Keep a platform request for the worker to handle (storage.inbox), before the platform
        is answered; False when it is a retry of one already kept. Wakes an inbox loop: this
        process's own when it runs one (no round trip), else one elsewhere through the cache."""
        new = await inbox.accept(self.engine, delivery_id=delivery_id, channel=channel, lane=lane,
                                 body=body, now=self.clock.now())
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

    async def check_database(self) -> bool:
        """Readiness: does the database answer a trivial query (within a few seconds)?"""
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as error:  # any failure means "not ready", never a crash
            log.warning("database check failed: %s: %s", type(error).__name__, error)
            return False
        return True

    async def ensure_migrated(self) -> None:
        """Raise NotMigrated, naming the command that fixes it, unless the schema is current."""
        try:
            current = await is_current(self.engine)
        except Exception as error:
            raise unreachable(self.settings.DATABASE_URL, error) from error
        if not current:
            raise not_migrated(self.settings.DATABASE_URL)

    async def close(self) -> None:
        for name in self.channels.names():
            # Channels that keep connections (Slack's Web API pool) close them here.
            close = getattr(self.channels.get(name), "close", None)
            if close is not None:
                await close()
        await self.redis.close()
        await self.engine.dispose()
