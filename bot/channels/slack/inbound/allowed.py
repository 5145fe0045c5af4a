"""Who may connect: with SLACK_ALLOWED_TEAMS set, only those teams (or Enterprise Grid orgs)
install the app or are heard; an install or a request from anywhere else is refused and logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.error import BoltError
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Installation

from workflow.i18n import LOCALES, t

log = logging.getLogger(__name__)


def _both(key: str) -> str:
    return "\n".join(t(key, locale) for locale in LOCALES)


def admitted(allowed: frozenset[str], team_id: str | None, enterprise_id: str | None) -> bool:
    """An empty list admits everyone; else the team or its enterprise must be on it."""
    return not allowed or bool({team_id, enterprise_id} & allowed)


class TeamRefused(BoltError):
    """An installation from a team not on SLACK_ALLOWED_TEAMS: never stored."""


def refuse_other_teams(allowed: frozenset[str]) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Bolt middleware (after the signature check): requests from other teams stop here."""

    async def gate(context: AsyncBoltContext, body: dict[str, Any],
                   next_: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        if admitted(allowed, context.team_id, context.enterprise_id):
            await next_()
            return None
        log.warning("refused a Slack request from team %s (enterprise %s): not in SLACK_ALLOWED_TEAMS",
                    context.team_id, context.enterprise_id)
        if body.get("command"):  # the person typing hears why, in both languages
            return BoltResponse(status=200, headers={"content-type": "application/json; charset=utf-8"},
                                body=json.dumps({"response_type": "ephemeral",
                                                 "text": _both("slack.team_refused")}))
        return BoltResponse(status=403, body="")

    return gate


class AllowListedOAuthFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow that refuses, before storing it, an install by a team not allowed."""

    def __init__(self, allowed: frozenset[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allowed = allowed

    async def store_installation(self, request: AsyncBoltRequest, installation: Installation) -> None:
        if not admitted(self.allowed, installation.team_id, installation.enterprise_id):
            log.warning("refused a Slack install by team %s (enterprise %s): not in SLACK_ALLOWED_TEAMS",
                        installation.team_id, installation.enterprise_id)
            raise TeamRefused(f"team {installation.team_id} is not allowed")
        await super().store_installation(request, installation)


def refused_install_page() -> BoltResponse:
    return BoltResponse(status=403, body=_both("slack.install_refused"),
                        headers={"content-type": "text/plain; charset=utf-8"})
