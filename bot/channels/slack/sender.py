"""The Slack sender, the outbox relay's side: messages to the HR channel and to people's DMs, and the
prepared Web API calls of the Slack adapter itself (card updates, ephemeral answers, Home views).
It knows nothing of the inbound side (bot.channels.slack.inbound); the two share only calls.py.

Slack's errors map onto the relay's rules: `ratelimited` waits as long as Retry-After says, a 5xx
or a timeout is retried with backoff, and an error retrying cannot fix (a revoked token, an
unknown channel or user) is permanent: the item is dead-lettered and HR is told.

The weekly digest (handlers.digest) goes to the HR channel as its chart, drawn here as a PNG
(bot/cards/chart.py) and shared with files_upload_v2, the figures as the file's comment.

Slack's pace is kept (PLATFORM_PACING): chat.postMessage to one channel about once a second with
a short burst (SLACK_CHANNEL_PER_SECOND, SLACK_CHANNEL_BURST); after a 429 its method is left
alone in that workspace for Retry-After seconds, as slack_sdk's rate-limit retry handler waits,
and what would have gone meanwhile is put off (DeliveryError.paced) instead of drawing more 429s.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.cards.build import card_for
from bot.cards.chart import render_chart
from bot.cards.model import Card
from bot.channels.base import DeliveryError
from bot.channels.memo import ExpiringMemo
from bot.channels.pacing import Holds, Pacer, Room
from bot.channels.slack.accounts import unlinkable
from bot.channels.slack.blocks import render_message
from bot.channels.slack.calls import CALL, CALLS, RESPONSE_URL
from bot.channels.slack.workspaces import PLATFORM, Workspaces, team_of
from handlers import identity
from handlers.contracts import HR_GROUP, from_payload
from handlers.digest import WEEKLY_DIGEST

if TYPE_CHECKING:
    from bot.core import Core
    from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

# Errors retrying cannot fix: dead-letter at once (and HR is told).
PERMANENT = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
    "no_permission", "missing_scope", "not_allowed_token_type", "team_access_not_granted",
    "channel_not_found", "user_not_found", "users_not_found", "not_in_channel", "is_archived",
    "cannot_dm_bot", "user_disabled", "invalid_blocks", "invalid_arguments", "msg_too_long",
    "no_text", "restricted_action", "ekm_access_denied", "invalid_ts",
})
# chat.update on a message that is gone or can no longer change: nothing left to update.
GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
DEFAULT_RETRY_AFTER = 30.0
# How long a tenant's workspace (team, HR channel) and a person's Slack account are reused without
# asking the database: a relay sending a burst looks each up once. A directory or install change
# reaches the relay within this long.
LOOKUP_SECONDS = 60.0


def failure(error: SlackApiError, what: str) -> DeliveryError:
    """The relay's view of a Web API error."""
    response = error.response
    status = getattr(response, "status_code", 0) or 0
    data = getattr(response, "data", None)
    code = data.get("error", "") if isinstance(data, dict) else ""
    if status == 429 or code == "ratelimited":
        headers = getattr(response, "headers", None) or {}
        try:
            wait = float(headers.get("Retry-After", DEFAULT_RETRY_AFTER))
        except (TypeError, ValueError):
            wait = DEFAULT_RETRY_AFTER
        return DeliveryError(f"{what}: ratelimited (retry after {wait:g} s)", retry_after=wait)
    if status >= 500:
        return DeliveryError(f"{what}: Slack answered HTTP {status}")
    return DeliveryError(f"{what}: {code or f'HTTP {status}'}", permanent=code in PERMANENT)


class SlackSender:
    """Delivers outbox items to Slack, with the process's core for the directory and tokens."""

    def __init__(self, core: Core, workspaces: Workspaces, *, timeout: float = 10.0) -> None:
        self.core = core
        self.settings = core.settings
        self.timeout = timeout
        self.workspaces = workspaces
        self._tenants: ExpiringMemo[int, tuple[str, str]] = ExpiringMemo(LOOKUP_SECONDS)
        self._accounts: ExpiringMemo[tuple[int, str], str] = ExpiringMemo(LOOKUP_SECONDS)
        self._clients: dict[str, AsyncWebClient] = {}  # by workspace: one token each
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self.pacing = self.settings.PLATFORM_PACING
        self._channels = Pacer(core.clock, per_second=self.settings.SLACK_CHANNEL_PER_SECOND,
                               burst=self.settings.SLACK_CHANNEL_BURST)
        self._holds = Holds(core.clock)  # (team, method) -> a 429's Retry-After

    async def deliver(self, item: OutboxItem) -> dict[str, Any]:
        team, hr_channel = await self._workspace(item.tenant_id)
        token = await self.workspaces.token(team)
        if token is None:
            raise DeliveryError(f"Slack workspace {team} has not installed the app", permanent=True)
        client = self.client(team, token)
        what = f"{item.kind} to {item.recipient}"
        method = "chat.postMessage"
        try:
            if item.kind == CALL:
                method = str(item.payload.get("method"))
                return await self._call(client, item.payload, team)
            if item.kind == WEEKLY_DIGEST:
                method = "files.completeUploadExternal"
                return await self._digest(client, item, team, hr_channel)
            return await self._post(client, item, team, hr_channel)
        except SlackApiError as error:
            refused = failure(error, what)
            if refused.retry_after is not None and self.pacing:
                self._holds.hold((team, method), refused.retry_after)
            raise refused from None
        except (aiohttp.ClientError, TimeoutError, SlackRequestError) as error:
            raise DeliveryError(f"{what}: {type(error).__name__}: {error}") from None

    async def room(self, item: OutboxItem) -> Room | None:
        """How many posts the HR channel of the item's workspace takes now; None when the pace
        is not kept or the item does not go to the HR channel."""
        if not self.pacing or item.recipient != HR_GROUP or item.kind == CALL:
            return None
        team, hr_channel = await self._workspace(item.tenant_id)
        held = self._holds.left((team, "chat.postMessage"))
        if held is not None:
            return Room(0, held)
        return self._channels.room((team, hr_channel))

    def _pace(self, team: str, method: str, channel: str | None) -> None:
        """Raise a paced DeliveryError when `method` may not be called now (to `channel`, for
        a post): a 429 still holds it, or the channel had its share."""
        if not self.pacing:
            return
        held = self._holds.left((team, method))
        if held is not None:
            raise DeliveryError(f"{method}: Slack asked to wait (Retry-After)", retry_after=held, paced=True)
        if method == "chat.postMessage" and channel:
            wait = self._channels.take((team, channel))
            if wait is not None:
                raise DeliveryError(f"{method} to {channel}: keeping to the channel's pace",
                                    retry_after=wait, paced=True)

    def client(self, team: str, token: str) -> AsyncWebClient:
        """A Web API client for the workspace's `token` on this process's connection pool; kept
        (building one costs a tenth of a call) until the workspace's token or the pool changes,
        so a replaced token is not held any longer than it is in use."""
        session = self._http()
        kept = self._clients.get(team)
        if kept is None or kept.token != token or kept.session is not session:
            kept = self._clients[team] = self.workspaces.client(token, timeout=self.timeout, session=session)
        return kept

    def _http(self) -> aiohttp.ClientSession:
        """One connection pool for every Web API call of this process: a relay sending a burst
        does not open (and, on slack.com, handshake TLS for) a connection per message."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._session_loop = loop
        return self._session

    async def close(self) -> None:
        """Close the kept connections (Services.close), and let go of the clients and their tokens."""
        self._clients.clear()
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def _workspace(self, tenant_id: int) -> tuple[str, str]:
        known = self._tenants.get(tenant_id)
        if known is not None:
            return known
        async with self.core.uow_factory() as uow:
            tenant = await uow.tenants.get(tenant_id)
        team = team_of(tenant.key) if tenant is not None else None
        if tenant is None or team is None:
            raise DeliveryError(f"tenant {tenant_id} is not a Slack workspace", permanent=True)
        workspace = team, tenant.hr_channel or self.settings.SLACK_HR_CHANNEL
        self._tenants.put(tenant_id, workspace)
        return workspace

    async def _post(self, client: AsyncWebClient, item: OutboxItem, team: str,
                    hr_channel: str) -> dict[str, Any]:
        try:
            message = from_payload(item.payload)
        except (KeyError, TypeError, AttributeError) as error:
            raise DeliveryError(f"unreadable outbox payload: {error!r}", permanent=True) from None
        if item.recipient == HR_GROUP:
            if not hr_channel:
                raise DeliveryError("no HR channel: set SLACK_HR_CHANNEL (or pick one at install)",
                                    permanent=True)
            channel = hr_channel
        else:
            channel = await self._account(client, item.recipient, team)
        self._pace(team, "chat.postMessage", channel)
        rendered = render_message(message, team)
        response = await client.chat_postMessage(
            channel=channel, blocks=rendered.blocks, text=rendered.text,
            unfurl_links=False, unfurl_media=False,
        )
        return {"channel": response.get("channel"), "ts": response.get("ts")}

    async def _digest(self, client: AsyncWebClient, item: OutboxItem, team: str, hr_channel: str) -> dict[str, Any]:
        """The weekly digest: its chart uploaded to the HR channel, the figures as its comment."""
        try:
            message = from_payload(item.payload)
            chart = dict(message.data["chart"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise DeliveryError(f"unreadable weekly digest: {error!r}", permanent=True) from None
        if not hr_channel:
            raise DeliveryError("no HR channel: set SLACK_HR_CHANNEL (or pick one at install)", permanent=True)
        self._pace(team, "files.completeUploadExternal", None)
        self._pace(team, "chat.postMessage", hr_channel)  # it shows in the channel as a post does
        card = card_for(message)
        png = await asyncio.to_thread(render_chart, chart, self.settings.DOCUMENT_FONT)
        response = await client.files_upload_v2(
            channel=hr_channel, content=png, filename="weekly-digest.png", title=card.title,
            alt_txt=card.title, initial_comment=_mrkdwn(card))
        shared = response.get("file") if isinstance(response.get("file"), dict) else {}
        return {"channel": hr_channel, "file": shared.get("id"), "png_bytes": len(png)}

    async def _account(self, client: AsyncWebClient, recipient: str, team: str) -> str:
        """The Slack user to DM: their linked account, else found by e-mail (and linked)."""
        prefix, _, raw_id = recipient.partition(":")
        if prefix != "person" or not raw_id.isdigit():
            raise DeliveryError(f"not a person: {recipient!r}", permanent=True)
        known = self._accounts.get((int(raw_id), team))
        if known is not None:
            return known
        uow_factory = self.core.uow_factory
        found = await identity.contact(uow_factory, int(raw_id), PLATFORM, team)
        if found is None:
            raise DeliveryError(f"{recipient} is not in the directory", permanent=True)
        if found.account:
            self._accounts.put((int(raw_id), team), found.account)
            return found.account
        if not found.email:
            raise DeliveryError(f"{recipient} has no Slack account and no e-mail to find one",
                                permanent=True)
        response = await client.users_lookupByEmail(email=found.email)
        user = response.get("user") if isinstance(response.get("user"), dict) else {}
        user_id = str(user.get("id") or "")
        if not user_id:
            raise DeliveryError(f"users.lookupByEmail gave no user for {recipient}", permanent=True)
        if (why := unlinkable(user, team)) is not None:  # never DM (a signing link) to a guest
            raise DeliveryError(f"the Slack account for {recipient} is {why}", permanent=True)
        await identity.link(uow_factory, int(raw_id), PLATFORM, team, user_id)
        return user_id

    async def _call(self, client: AsyncWebClient, payload: dict[str, Any], team: str) -> dict[str, Any]:
        method, args = payload.get("method"), payload.get("args")
        if method not in CALLS or not isinstance(args, dict):
            raise DeliveryError(f"not a Slack call this channel makes: {method!r}", permanent=True)
        if method == RESPONSE_URL:
            return await self._respond(args)
        self._pace(team, str(method), str(args.get("channel") or ""))
        try:
            response = await client.api_call(method, json=args)
        except SlackApiError as error:
            data = getattr(error.response, "data", None)
            code = data.get("error") if isinstance(data, dict) else None
            if method == "chat.update" and code in GONE:
                return {"skipped": code}
            raise
        return {"channel": response.get("channel"),
                "ts": response.get("ts") or response.get("message_ts")}

    async def _respond(self, args: dict[str, Any]) -> dict[str, Any]:
        url = str(args.get("url", ""))
        if not self.workspaces.trusted_host(url):
            raise DeliveryError("response_url is not a Slack address", permanent=True)
        response = await AsyncWebhookClient(url, timeout=int(self.timeout)).send_dict(
            dict(args.get("body") or {}))
        if response.status_code == 429 or response.status_code >= 500:
            retry = float(response.headers.get("Retry-After", 0) or 0) or None
            raise DeliveryError(f"response_url: HTTP {response.status_code}", retry_after=retry)
        if response.status_code != 200:
            # Expired (30 min) or used up (5 times): nobody can show it any more.
            return {"skipped": f"HTTP {response.status_code}"}
        return {"response_url": "ok"}


def _mrkdwn(card: Card) -> str:
    """The card as a Slack comment: bold title, the text, each field under its bold label."""
    lines = [f"*{card.title}*", card.text] if card.text else [f"*{card.title}*"]
    lines += [f"*{label}*\n{value}" for label, value in card.fields]
    return "\n".join(lines)
