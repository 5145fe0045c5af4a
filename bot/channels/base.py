"""What every channel adapter offers the outbox relay, and the registry the relay finds them in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from storage.outbox import OutboxItem


class Channel(Protocol):
    """Delivers outbox items on one platform; `name` matches the outbox row's `channel`."""

    name: str

    async def deliver(self, item: OutboxItem) -> dict[str, Any]:
        """Send one item; return the platform's reference to it (stored for later updates)."""
        ...


class DeliveryError(Exception):
    """A delivery that did not happen.

    `retry_after` (seconds) asks the relay to wait at least that long (e.g. a rate limit);
    `permanent` means retrying cannot help (unknown recipient, revoked token): dead-letter it;
    `paced` means it was not tried, to keep to the platform's pace (bot/channels/pacing.py): it
    is put off `retry_after` seconds without counting a failed attempt.
    """

    def __init__(
        self, message: str, retry_after: float | None = None, permanent: bool = False,
        paced: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
        self.paced = paced


class ChannelRegistry:
    """Channel name -> adapter; one per process, filled from the settings at start-up."""

    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}

    def register(self, channel: Channel) -> None:
        """Add (or replace) the adapter for `channel.name`."""
        self._channels[channel.name] = channel

    def get(self, name: str) -> Channel | None:
        return self._channels.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._channels))
