"""The Slack requests kept in the inbox (presses, DM messages, commands and forms), handed back by
the worker:
each kind to the module that runs it, or tells its sender it was never run."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.inbound import messages, pressed, typed
from bot.channels.slack.inbound.steps import RequestSteps
from bot.channels.slack.workspaces import Workspaces

log = logging.getLogger(__name__)

Step = Callable[[RequestSteps, AsyncWebClient, dict[str, Any]], Awaitable[None]]
# kind -> (run it, tell its sender it was given up)
KINDS: dict[str, tuple[Step, Step]] = {
    pressed.KIND: (pressed.run, pressed.gave_up),
    messages.KIND: (messages.run, messages.gave_up),
    typed.KIND: (typed.run, typed.gave_up),
}


class KeptRequests:
    def __init__(self, steps: RequestSteps, workspaces: Workspaces,
                 client: Callable[[str, str], AsyncWebClient]) -> None:
        self.steps = steps
        self.workspaces = workspaces
        self.client = client  # a Web API client for a workspace (team) and its token

    async def take(self, kept: dict[str, Any], *, give_up: bool = False) -> None:
        """Run a kept request, or (`give_up`) tell its sender it was never run."""
        steps = KINDS.get(str(kept.get("kind")))
        if steps is None:
            log.warning("inbox: a Slack request of unknown kind %r; dropped", kept.get("kind"))
            return
        team = str(kept["team"])
        token = await self.workspaces.token(team)
        if token is None:
            log.warning("inbox: a request from workspace %s, which has not installed the app; dropped", team)
            return
        run, gave_up = steps
        await (gave_up if give_up else run)(self.steps, self.client(team, token), kept)
