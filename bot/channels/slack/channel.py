"""The Slack channel as the worker loops see it: the sender delivers the outbox, and the inbound
side takes the requests its listeners kept in the inbox (presses, DM messages)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.channels.slack.inbound.kept import KeptRequests
from bot.channels.slack.inbound.steps import RequestSteps
from bot.channels.slack.sender import SlackSender
from bot.channels.slack.workspaces import PLATFORM, Workspaces

if TYPE_CHECKING:
    from bot.channels.pacing import Room
    from bot.core import Core
    from storage.outbox import OutboxItem


class SlackChannel:
    name = PLATFORM

    def __init__(self, core: Core, *, timeout: float = 10.0) -> None:
        self.workspaces = Workspaces(core.settings, core.engine)
        self.sender = SlackSender(core, self.workspaces, timeout=timeout)
        self.kept = KeptRequests(RequestSteps(core, self.workspaces), self.workspaces,
                                 self.sender.client)

    async def deliver(self, item: OutboxItem) -> dict[str, Any]:
        return await self.sender.deliver(item)

    async def room(self, item: OutboxItem) -> Room | None:
        """How many posts the HR channel of the item's workspace takes now (relay digests)."""
        return await self.sender.room(item)

    async def take(self, kept: dict[str, Any]) -> None:
        """Handle a request the listeners kept in the inbox (Gateway.accept)."""
        await self.kept.take(kept)

    async def gave_up(self, kept: dict[str, Any]) -> None:
        """The worker stopped trying a kept request: its sender is told nothing was done."""
        await self.kept.take(kept, give_up=True)

    def origin(self, kept: dict[str, Any]) -> tuple[str, str]:
        """The workspace a kept request came from (its HR hears when the worker gives up on it)."""
        return PLATFORM, str(kept["team"])

    async def close(self) -> None:
        """Close the kept connections (Services.close)."""
        await self.sender.close()
