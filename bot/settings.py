"""Configuration from environment variables (and `.env`) through pydantic-settings.

Every setting has a default that runs the embedded trial (SQLite file, no Redis, the console);
`load_settings()` turns a bad value into one line naming the variable.
"""

from __future__ import annotations

import logging
from datetime import time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import OperatorError
from workflow.i18n import LOCALES

PositiveInt = Annotated[int, Field(gt=0)]


class SettingsError(OperatorError):
    """A setting is missing or malformed; the message names the variable and what is wrong."""


def _parse_clock(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


class Settings(BaseSettings):
    """The process configuration. Field names are the environment variable names.

    Secrets (Slack/WeCom tokens, signing keys) must be declared as `SecretStr` so that a
    repr, a log line or a validation error never shows them.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=True,
        extra="ignore",
        frozen=True,
    )

    # URLs may carry passwords: kept out of repr (show them through bot.errors.safe_url).
    DATABASE_URL: str = Field("sqlite+aiosqlite:///./offboard.db", repr=False)
    # Unset: the in-process stand-in (one process only).
    REDIS_URL: str | None = Field(None, repr=False)
    TIMEZONE: str = "Asia/Shanghai"
    LOCALE: str = "zh-CN"
    QUIET_HOURS: str = "21:00-08:00"
    HOST: str = "127.0.0.1"
    PORT: int = Field(8000, ge=1, le=65535)
    LOG_LEVEL: str = "INFO"
    MAX_BODY_BYTES: PositiveInt = 1024 * 1024
    POLL_INTERVAL_SECONDS: float = Field(2.0, gt=0)
    OUTBOX_BATCH: PositiveInt = 50
    OUTBOX_MAX_ATTEMPTS: PositiveInt = 8
    TIMER_BATCH: PositiveInt = 100
    CLAIM_LEASE_SECONDS: PositiveInt = 60
    REFERENCE_DATA: str = "config/reference-cn.json"
    JURISDICTION: str = "cn"
    CITY: str = ""
    # Terminated contracts must be kept at least two years (Labor Contract Law Art. 50).
    RETENTION_YEARS: int = Field(2, ge=2)

    @field_validator("REDIS_URL", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("DATABASE_URL")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (async drivers)"
            )
        return value

    @field_validator("TIMEZONE")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("LOCALE")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"must be one of {', '.join(LOCALES)}")
        return value

    @field_validator("QUIET_HOURS")
    @classmethod
    def _quiet_range(cls, value: str) -> str:
        start, sep, end = value.partition("-")
        try:
            if not sep:
                raise ValueError
            _parse_clock(start)
            _parse_clock(end)
        except ValueError:
            raise ValueError("must be HH:MM-HH:MM, e.g. 21:00-08:00") from None
        return value

    @field_validator("LOG_LEVEL")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @property
    def quiet_start(self) -> time:
        return _parse_clock(self.QUIET_HOURS.partition("-")[0])

    @property
    def quiet_end(self) -> time:
        return _parse_clock(self.QUIET_HOURS.partition("-")[2])

    def chat_platforms(self) -> tuple[str, ...]:
        """The chat platforms whose credentials are configured; Slack and WeCom add theirs."""
        return ()


def describe(error: ValidationError) -> str:
    """One line naming each bad variable, e.g. "invalid setting PORT: Input should be …"."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in item["loc"]) or "settings"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{name}: {message}")
    return "invalid setting " + "; ".join(parts)


def load_settings(**overrides: object) -> Settings:
    """The settings from the environment and `.env`; raises SettingsError with one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(describe(error)) from None
