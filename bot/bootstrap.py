"""The composition root: settings → database, Redis, clock, jurisdiction and reference data,
handler deps, the gateway (the one way in) and the channels, each built once here and handed to
what uses it. Nothing registers itself or reaches back for its dependencies.

`bootstrap(settings)` is called once per process (serve, worker, the CLI commands, tests).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.admission import Admission
from bot.channels.base import ChannelRegistry
from bot.channels.console import DIGESTS, ConsoleChannel
from bot.channels.webhook import WebhookChannel
from bot.clock import SystemClock
from bot.core import ChannelMaker, Core
from bot.documents.render import PdfRenderer
from bot.errors import not_migrated, unreachable
from bot.gateway import Gateway
from bot.settings import Settings, SettingsError
from bot.signing.keys import KeyFileSigner
from bot.token_cipher import TokenCipher
from handlers.deps import Deps, build_deps
from storage import sealed
from storage.cache import make_redis
from storage.db import make_engine, make_session_factory
from storage.migrate import is_current
from storage.uow import UnitOfWork
from workflow.calendar import Arrangement, BadArrangement, arrangements_from_mapping
from workflow.clock import Clock

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A readiness probe must answer quickly even when the database host does not.
READY_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Services(Core):
    """The process: the core, the channels made from it, and admission control for requests."""

    channels: ChannelRegistry
    admission: Admission

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

    A relative path is looked up as `data_path` says.
    """
    candidate = data_path(path)
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


def configured_channels(settings: Settings) -> list[ChannelMaker]:
    """The channels `serve` and `worker` deliver on. The console (it prints, for the local trial)
    and the webhooks (subscriptions live in the database) need no credentials; Slack and WeCom
    join when their credentials are set."""
    makers: list[ChannelMaker] = [
        lambda core: ConsoleChannel(charts=Path(core.settings.DATA_DIR) / DIGESTS, font=core.settings.DOCUMENT_FONT),
        lambda core: WebhookChannel(uow_factory=core.uow_factory, now=core.clock.now),
    ]
    # Each platform's SDKs are imported only where it is configured: they take seconds to load,
    # and a worker on a busy machine should start polling soon.
    platforms = settings.chat_platforms()
    if "wecom" in platforms:
        from bot.channels.wecom import WeComChannel, WeComConfig

        wecom = WeComConfig.from_settings(settings)
        assert wecom is not None  # chat_platforms() names WeCom only when it is configured
        makers.append(lambda core: WeComChannel(wecom, core))
    if "slack" in platforms:
        from bot.channels.slack import SlackChannel

        makers.append(SlackChannel)
    return makers


def _warn_unknown_year(year: int) -> None:
    log.warning(
        "no official holiday schedule for %s: counting weekends and statutory holidays only",
        year,
    )


def handler_deps(settings: Settings, clock: Clock) -> Deps:
    """The handlers' dependencies: clock, calendar, jurisdiction, reference data, documents."""
    return build_deps(
        clock,
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
        data_dir=settings.DATA_DIR,
    )


def seal_secrets(settings: Settings) -> None:
    """Hand storage the cipher that seals secrets in the database (storage/sealed.py), if a key is set."""
    keys = settings.SECRET_KEYS or settings.SLACK_TOKEN_KEYS
    if keys is not None:
        sealed.use(TokenCipher.from_setting(keys.get_secret_value()))


def bootstrap(settings: Settings, *, clock: Clock | None = None,
              channels: Iterable[ChannelMaker] = ()) -> Services:
    """Wire the process once: every part is built here, in order, and handed to its users."""
    clock = clock or SystemClock()
    seal_secrets(settings)
    engine = make_engine(settings.DATABASE_URL)
    session_factory = make_session_factory(engine)
    redis = make_redis(settings.REDIS_URL)
    deps = handler_deps(settings, clock)

    def uow_factory() -> UnitOfWork:
        return UnitOfWork(session_factory)

    gateway = Gateway(engine, uow_factory, deps, redis, clock)
    core = Core(settings=settings, clock=clock, engine=engine, session_factory=session_factory,
                redis=redis, deps=deps, gateway=gateway)
    registry = ChannelRegistry()
    for make in channels:
        registry.register(make(core))
    return Services(settings=settings, clock=clock, engine=engine,
                    session_factory=session_factory, redis=redis, deps=deps, gateway=gateway,
                    channels=registry, admission=Admission(settings.MAX_IN_FLIGHT))
