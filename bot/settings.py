"""Configuration from environment variables (and `.env`) through pydantic-settings.

Every setting has a default that runs the embedded trial (SQLite file, no Redis, the console);
`load_settings()` turns a bad value into one line naming the variable.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from datetime import time
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import ArgumentError

from bot.errors import OperatorError
from bot.token_cipher import parse_keys
from storage.db import sqlite_path
from storage.queue import MAX_ATTEMPTS
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
    # Platform requests one process answers at once; past it, 503 at once (bot/admission.py).
    MAX_IN_FLIGHT: PositiveInt = 64
    # uvicorn (bot/cli/serve.py). X-Forwarded-For/-Proto are believed only from these proxies'
    # addresses (comma-separated IPs or networks; "*" any); unset: from nobody, so the address
    # sealed into a signature record is the connection's own.
    TRUSTED_PROXIES: str = ""
    # Open connections past which uvicorn answers 503 at once; idle keep-alive connections closed
    # after this many seconds; request line plus headers larger than this are refused.
    LIMIT_CONCURRENCY: PositiveInt = 512
    KEEP_ALIVE_SECONDS: PositiveInt = 5
    MAX_HEADER_BYTES: int = Field(16 * 1024, ge=1024)
    POLL_INTERVAL_SECONDS: float = Field(2.0, gt=0)
    OUTBOX_BATCH: PositiveInt = 50
    # Recipients a relay sends to at once (each recipient's messages in order): a platform takes
    # 50–200 ms to answer. A crash may send again what was in flight, up to this many messages.
    OUTBOX_CONCURRENCY: PositiveInt = 8
    # Keep to the platforms' pace (bot/channels/pacing.py): posts to one Slack channel per second
    # and the burst allowed; a group channel with more waiting than it takes gets one digest.
    PLATFORM_PACING: bool = True
    SLACK_CHANNEL_PER_SECOND: float = Field(1.0, gt=0)
    SLACK_CHANNEL_BURST: PositiveInt = 3
    # Tries before an inbox request, an outbox message or a timer is dead (and HR is told).
    QUEUE_MAX_ATTEMPTS: PositiveInt = MAX_ATTEMPTS
    TIMER_BATCH: PositiveInt = 100
    # Transactions of acknowledged platform requests a `bot worker` runs at once; the worker
    # inside `serve` runs one at a time, so acknowledgements stay quick.
    INBOX_CONCURRENCY: PositiveInt = 4
    # Requests found waiting are taken together, up to this many in one transaction (one that must
    # be undone is taken again alone, the others together); 1 takes each in a transaction of its own.
    INBOX_BATCH: PositiveInt = 16
    CLAIM_LEASE_SECONDS: PositiveInt = 60
    REFERENCE_DATA: str = "config/reference-cn.json"
    CALENDAR_DATA: str = "config/calendar-cn.json"  # `python -m bot calendar import` writes it
    JURISDICTION: str = "cn"
    CITY: str = ""
    # Terminated contracts must be kept at least two years (Labor Contract Law Art. 50).
    RETENTION_YEARS: int = Field(2, ge=2)
    # The daily retention job (`retention run`): platform delivery ids are kept past the platforms'
    # retry window only; sent/dead outbox and dead inbox rows this many days.
    RETENTION_DELIVERY_ID_HOURS: PositiveInt = 24
    RETENTION_QUEUE_DAYS: PositiveInt = 30
    # Slack (bot/channels/slack). One workspace: SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET; many
    # workspaces: SLACK_CLIENT_ID + SLACK_CLIENT_SECRET, each installed through /slack/install.
    SLACK_BOT_TOKEN: SecretStr | None = None
    SLACK_SIGNING_SECRET: SecretStr | None = None
    # Socket Mode (`serve --slack-socket-mode`): the app-level token (xapp-…), no public URL needed.
    SLACK_APP_TOKEN: SecretStr | None = None
    SLACK_CLIENT_ID: str | None = None
    SLACK_CLIENT_SECRET: SecretStr | None = None
    # The Web API base URL: Slack's, or a proxy (tests point it at a fake on 127.0.0.1).
    SLACK_API_URL: str = "https://slack.com/api/"
    # The HR channel's ID (C…); with OAuth, the default for workspaces that did not pick their own.
    SLACK_HR_CHANNEL: str = ""
    # Who may connect: team / enterprise ids (T…, E…) that may install the app or send requests,
    # comma-separated; unset: any. Anything else is refused and logged.
    SLACK_ALLOWED_TEAMS: str = ""
    # OAuth install starts (/slack/install) one client address may make a minute; past it, 429.
    SLACK_INSTALL_STARTS_PER_MINUTE: PositiveInt = 10
    # WeCom (bot/channels/wecom), a self-built app (自建应用): the corp ID, the app's AgentId and
    # Secret, and the callback's Token and EncodingAESKey (43 characters), all from the admin console.
    WECOM_CORP_ID: str = ""
    WECOM_AGENT_ID: int | None = None
    WECOM_SECRET: SecretStr | None = None
    WECOM_TOKEN: SecretStr | None = None
    WECOM_AES_KEY: SecretStr | None = None
    # HR group notices: a group robot's webhook URL (its key is a secret) or an app group chat id.
    WECOM_HR_WEBHOOK: SecretStr | None = None
    WECOM_HR_CHAT_ID: str = ""
    # Corp ids whose callbacks are accepted, comma-separated; unset: any (in practice the one
    # WECOM_CORP_ID the callback's key decrypts for). Anything else is refused and logged.
    WECOM_ALLOWED_CORPS: str = ""
    # The API base: WeCom's, or a proxy on a trusted IP (tests point it at a fake on 127.0.0.1).
    WECOM_API_URL: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    # Where tapping an information card leads (WeCom requires a link on text_notice cards).
    WECOM_CARD_URL: str = "https://work.weixin.qq.com/"
    # Documents and signing (bot/documents, bot/signing). Signing links start with this URL: the
    # address employees' phones reach `serve` at (https in production).
    PUBLIC_BASE_URL: str = "http://127.0.0.1:8000"
    # Hours a signing link stays usable (it is also single use).
    SIGNING_TOKEN_HOURS: int = Field(72, ge=1, le=24 * 30)
    # A TrueType font with Chinese glyphs, embedded (subset) in every PDF. Missing: reportlab's
    # built-in STSong-Light, which PDF viewers supply themselves (nothing embedded).
    DOCUMENT_FONT: str = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
    # Files and secrets at rest (bot/signing/keys.py, bot/archive, storage/db.py). DATA_DIR holds
    # the server's files, created owner-only (0700); default: var/ beside the SQLite database
    # (with PostgreSQL, $XDG_DATA_HOME/offboard-bot). Relative paths below are inside DATA_DIR,
    # never the working directory.
    DATA_DIR: str = ""
    # The server's Ed25519 key that seals signature records and archives: created on first start
    # (mode 0600) and never logged. Keep it with the database backups.
    SIGNING_KEY_PATH: str = "signing-key.pem"
    # `serve` refuses to start when the database holds seals made with another key than this one
    # (a moved or lost key file); set to true to seal from now on with the new key (a rotation).
    SIGNING_KEY_ROTATED: bool = False
    # Where `archive export` writes <case>.zip bundles and `archive purge` looks for old ones.
    ARCHIVE_DIR: str = "archive"
    # The public key (PEM file) `archive verify` trusts when not given --key; default: the public
    # half of SIGNING_KEY_PATH, when that file exists on the machine verifying.
    ARCHIVE_PUBLIC_KEY: str = ""
    # Multi-workspace Slack: Fernet keys encrypting the OAuth-installed tokens in the database,
    # comma-separated; the first encrypts, every one decrypts. Rotate: put a new key first,
    # restart (serve re-encrypts every stored token), then drop the old one. Required with OAuth.
    SLACK_TOKEN_KEYS: SecretStr | None = None
    # Fernet keys sealing the other secrets kept in the database (webhook signing secrets), same
    # form and rotation as SLACK_TOKEN_KEYS; unset: SLACK_TOKEN_KEYS seal them.
    SECRET_KEYS: SecretStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _files_in_data_dir(cls, data: object) -> object:
        """Resolve DATA_DIR and the files inside it to absolute paths, once, at start."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        fields = cls.model_fields
        data_dir = Path(str(data.get("DATA_DIR") or _default_data_dir(
            str(data.get("DATABASE_URL") or fields["DATABASE_URL"].default)))).expanduser()
        data["DATA_DIR"] = str(data_dir.absolute())
        for name in ("SIGNING_KEY_PATH", "ARCHIVE_DIR", "ARCHIVE_PUBLIC_KEY"):
            value = str(data.get(name) or fields[name].default)
            if value:
                data[name] = str((data_dir / Path(value).expanduser()).absolute())
        return data

    @field_validator("REDIS_URL", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET", "SLACK_TOKEN_KEYS", "SECRET_KEYS", mode="before",
    )
    @classmethod
    def _blank_slack_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("SLACK_TOKEN_KEYS", "SECRET_KEYS")
    @classmethod
    def _token_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_keys(value.get_secret_value())
        return value

    @field_validator("SLACK_API_URL")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL, e.g. https://slack.com/api/")
        return value if value.endswith("/") else value + "/"  # slack-sdk appends method names

    @model_validator(mode="after")
    def _slack_complete(self) -> Settings:
        if bool(self.SLACK_CLIENT_ID) != bool(self.SLACK_CLIENT_SECRET):
            raise ValueError("set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (multi-workspace "
                             "OAuth), or neither")
        has_token = bool(self.SLACK_BOT_TOKEN) or self.slack_oauth
        has_transport = bool(self.SLACK_SIGNING_SECRET or self.SLACK_APP_TOKEN)
        if has_token and not has_transport:
            raise ValueError("Slack needs SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN "
                             "(Socket Mode) besides its token")
        if has_transport and not has_token:
            raise ValueError("Slack needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
                             "SLACK_CLIENT_SECRET (OAuth) besides its signing secret / app token")
        if self.slack_oauth and self.SLACK_TOKEN_KEYS is None:
            raise ValueError("multi-workspace Slack (SLACK_CLIENT_ID) needs SLACK_TOKEN_KEYS, the key "
                             "that encrypts installed tokens in the database")
        return self

    @field_validator(
        "WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY", "WECOM_HR_WEBHOOK",
        mode="before",
    )
    @classmethod
    def _blank_wecom_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("WECOM_AES_KEY")
    @classmethod
    def _wecom_aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _is_aes_key(value.get_secret_value()):
            raise ValueError("must be the 43-character EncodingAESKey from the app's callback page")
        return value

    @field_validator("WECOM_API_URL", "WECOM_CARD_URL")
    @classmethod
    def _wecom_url(cls, value: str, info: ValidationInfo) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL, e.g. https://qyapi.weixin.qq.com/cgi-bin/")
        if info.field_name == "WECOM_API_URL" and not value.endswith("/"):
            return value + "/"  # endpoint names are appended to it
        return value

    @model_validator(mode="after")
    def _wecom_complete(self) -> Settings:
        needed = {
            "WECOM_CORP_ID": self.WECOM_CORP_ID, "WECOM_AGENT_ID": self.WECOM_AGENT_ID,
            "WECOM_SECRET": self.WECOM_SECRET, "WECOM_TOKEN": self.WECOM_TOKEN,
            "WECOM_AES_KEY": self.WECOM_AES_KEY,
        }
        missing = [name for name, value in needed.items() if not value]
        if len(missing) < len(needed) and missing:
            raise ValueError(f"WeCom also needs {', '.join(missing)}")
        return self

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

    @property
    def slack_oauth(self) -> bool:
        """Multi-workspace Slack: workspaces install the app through OAuth."""
        return bool(self.SLACK_CLIENT_ID and self.SLACK_CLIENT_SECRET)

    def allowed(self, name: str) -> frozenset[str]:
        """An allow-list setting's ids (SLACK_ALLOWED_TEAMS, WECOM_ALLOWED_CORPS …); empty: any."""
        return frozenset(part.strip() for part in str(getattr(self, name)).split(",") if part.strip())

    def secret_values(self) -> list[str]:
        """Every configured secret's value, for the log filter (bot/logs.py) to mask: the
        SecretStr settings, the robot webhook's key and the database and Redis passwords."""
        values = [part.strip() for value in self.__dict__.values() if isinstance(value, SecretStr)
                  for part in (value.get_secret_value(), *value.get_secret_value().split(","))]
        if self.WECOM_HR_WEBHOOK is not None:
            values.append(parse_qs(urlsplit(self.WECOM_HR_WEBHOOK.get_secret_value()).query)
                          .get("key", [""])[0])
        for url in (self.DATABASE_URL, self.REDIS_URL):
            password = urlsplit(url).password if url else None
            if password:
                values += [password, unquote(password)]
        return [value for value in values if value]

    def chat_platforms(self) -> tuple[str, ...]:
        """The chat platforms whose credentials are configured; Slack and WeCom add theirs."""
        platforms: list[str] = []
        if self.SLACK_BOT_TOKEN or self.slack_oauth:  # _slack_complete checked the rest
            platforms.append("slack")
        if self.WECOM_CORP_ID:  # _wecom_complete checked the rest
            platforms.append("wecom")
        return tuple(platforms)


def _default_data_dir(database_url: str) -> Path:
    """var/ beside the SQLite database file; otherwise the user's data directory."""
    try:
        database = sqlite_path(database_url)
    except ArgumentError:
        database = None  # reported by the DATABASE_URL validator
    if database is not None:
        return database.absolute().parent / "var"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "offboard-bot"


def _is_aes_key(text: str) -> bool:
    """WeCom's EncodingAESKey: 43 base64 characters that decode (with "=") to 32 bytes."""
    try:
        return len(text) == 43 and len(base64.b64decode(text + "=", validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


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
