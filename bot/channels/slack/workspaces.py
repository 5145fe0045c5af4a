"""Workspaces: which bot token and HR channel serve a Slack team, in one- or many-workspace mode.

One workspace: SLACK_BOT_TOKEN. Many: each team's own bot token, saved by the OAuth flow through
slack-sdk's AsyncSQLAlchemyInstallationStore on our database (tables from migration 0003), with
its tokens encrypted (encrypted_installs.py). The async store is used deliberately: the sync one
would block the event loop on every lookup.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.slack.encrypted_installs import EncryptedInstallationStore
from bot.settings import Settings
from bot.token_cipher import TokenCipher

PLATFORM = "slack"
# How long an OAuth `state` stays valid between /slack/install and the redirect back.
STATE_SECONDS = 600
# Hosts Slack serves files and response URLs from; the Web API host (SLACK_API_URL) is added.
SLACK_HOSTS = frozenset({"files.slack.com", "slack-files.com", "hooks.slack.com"})


def tenant_key(team_id: str) -> str:
    return f"{PLATFORM}:{team_id}"


def team_of(tenant_key_: str) -> str | None:
    platform, _, team = tenant_key_.partition(":")
    return team if platform == PLATFORM and team else None


class Workspaces:
    """Tokens and Web API clients per team; the one place that knows the two modes."""

    def __init__(self, settings: Settings, engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.installations: EncryptedInstallationStore | None = None
        self.states: AsyncSQLAlchemyOAuthStateStore | None = None
        if settings.slack_oauth:
            if engine is None:
                raise ValueError("multi-workspace Slack needs the database for its installations")
            assert settings.SLACK_CLIENT_ID is not None
            assert settings.SLACK_TOKEN_KEYS is not None  # the settings require it with OAuth
            self.installations = EncryptedInstallationStore(
                settings.SLACK_CLIENT_ID, engine,
                TokenCipher.from_setting(settings.SLACK_TOKEN_KEYS.get_secret_value()))
            self.states = AsyncSQLAlchemyOAuthStateStore(
                expiration_seconds=STATE_SECONDS, engine=engine)

    @property
    def api_url(self) -> str:
        return self.settings.SLACK_API_URL

    def trusted_host(self, url: str) -> bool:
        """Only Slack's own hosts (or the configured API host) ever see our bot token."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        api = urlsplit(self.api_url)
        if host == api.hostname and parts.scheme == api.scheme:
            return True
        return parts.scheme == "https" and host in SLACK_HOSTS

    async def token(self, team_id: str) -> str | None:
        """The bot token for `team_id`; None when the workspace has not installed the app."""
        if self.installations is None:
            token = self.settings.SLACK_BOT_TOKEN
            return token.get_secret_value() if token is not None else None
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot is not None else None

    def client(self, token: str | None = None, *, timeout: float = 30.0,
               session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
        """A Web API client on SLACK_API_URL; without retry handlers for rate limits, so a
        429 comes back to the caller (the outbox reschedules it instead of sleeping). Without
        `session`, each call opens (and closes) its own connection."""
        return AsyncWebClient(token=token, base_url=self.api_url, timeout=timeout,  # type: ignore[arg-type]
                              session=session)
