"""Multi-workspace mode: the OAuth flow (/slack/install → Slack → /slack/oauth_redirect) on our
database, and what an installation makes of the workspace — a tenant, with its HR channel."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Installation

from bot.channels.slack.inbound.allowed import TeamRefused, refused_install_page
from bot.channels.slack.workspaces import Workspaces, tenant_key

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes, as in slack/manifest.yml. incoming-webhook lets the installer pick the HR
# channel on Slack's own consent screen.
SCOPES = (
    "commands", "chat:write", "chat:write.public", "im:history", "im:write", "users:read",
    "users:read.email", "files:read", "files:write", "incoming-webhook",
)


async def register_workspace(core: Core, installation: Installation) -> None:
    """The installed workspace becomes a tenant; the channel picked at install is its HR channel
    (else SLACK_HR_CHANNEL). Its people come from `python -m bot directory import`."""
    team = installation.team_id
    if not team:
        raise ValueError("Enterprise Grid org-wide installs are not supported; install per workspace")
    channel = installation.incoming_webhook_channel_id or ""
    async with core.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create(
            tenant_key(team), name=installation.team_name or team,
            timezone=core.settings.TIMEZONE, city=core.settings.CITY,
            hr_channel=channel or core.settings.SLACK_HR_CHANNEL,
        )
        if channel:
            tenant.hr_channel = channel
        if installation.team_name:
            tenant.name = installation.team_name
        await uow.commit()
    log.info("Slack workspace %s (%s) installed; HR channel %s", team, installation.team_name,
             channel or core.settings.SLACK_HR_CHANNEL or "(none yet)")


def oauth_settings(core: Core, workspaces: Workspaces) -> AsyncOAuthSettings:
    settings = core.settings
    assert settings.SLACK_CLIENT_ID and settings.SLACK_CLIENT_SECRET is not None

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        await register_workspace(core, args.installation)
        return await args.default.success(args)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        if isinstance(args.error, TeamRefused):  # logged where it was refused
            return refused_install_page()
        log.warning("Slack installation failed: %s", args.reason)
        return await args.default.failure(args)

    return AsyncOAuthSettings(
        client_id=settings.SLACK_CLIENT_ID,
        client_secret=settings.SLACK_CLIENT_SECRET.get_secret_value(),
        scopes=list(SCOPES), user_scopes=[],
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        installation_store=workspaces.installations, state_store=workspaces.states,
        callback_options=AsyncCallbackOptions(success=success, failure=failure),
    )
