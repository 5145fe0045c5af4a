"""Evidence files shared in the bot's DM: fetched with the bot token, from Slack's hosts only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.channels.slack.workspaces import Workspaces

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Fetched:
    """args["file"] as handlers.evidence reads it, or why there is none."""

    file: dict[str, Any] | None
    error: str = ""


async def fetch(workspaces: Workspaces, token: str, shared: dict[str, Any], limit: int) -> Fetched:
    """Download one shared file (at most `limit` + 1 bytes: the handler refuses what is larger)."""
    url = str(shared.get("url_private_download") or shared.get("url_private") or "")
    if not url or not workspaces.trusted_host(url):
        return Fetched(None, "not a Slack file address")
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(
            url, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            if response.status != 200:
                return Fetched(None, f"HTTP {response.status}")
            if response.content_type == "text/html":
                # Slack's sign-in page: the token may not read files (scope files:read).
                return Fetched(None, "no access (files:read)")
            data = await response.content.read(limit + 1)
            media_type = str(shared.get("mimetype") or response.content_type or "")
    except (aiohttp.ClientError, TimeoutError) as error:
        return Fetched(None, type(error).__name__)
    name = str(shared.get("name") or shared.get("title") or "file")
    return Fetched({"filename": name[:300], "media_type": media_type[:100], "data": data})
