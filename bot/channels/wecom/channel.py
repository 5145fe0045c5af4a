"""The WeCom channel: delivers outbox items as template cards, markdown and robot posts.

A message for a person becomes a template card (button_interaction when it has actions,
text_notice otherwise) sent with message/send, preceded by a markdown copy when the card cannot
hold everything. A message for the HR group goes to the group robot's webhook (rate-limited) or
an app group chat; without either, to each HR member privately. The weekly digest goes there as
its markdown and then its chart, a PNG drawn here (bot/cards/chart.py): the robot takes the image
itself (base64 + MD5), the app uploads it first (media/upload) and sends its media_id. Two
WeCom-only kinds ride the outbox as well: rewriting a pressed card's buttons, and fetching a file sent as evidence.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.cards.build import card_for
from bot.cards.chart import render_chart
from bot.cards.model import Button, encode_action
from bot.channels.base import DeliveryError
from bot.channels.pacing import Room, Window
from bot.channels.wecom.api import TASK_ID_TAKEN, ApiError, WeComApi
from bot.channels.wecom.cards import (
    APP_MARKDOWN_BYTES,
    BUTTON_TEXT,
    ROBOT_MARKDOWN_BYTES,
    CardButton,
    buttons_of,
    fit,
    fit_bytes,
    markdown,
    markdown_parts,
    shows_everything,
    task_id,
    template_card,
)
from bot.channels.wecom.config import WeComConfig
from bot.channels.wecom.conversation import Conversations
from bot.channels.wecom.crypto import CallbackCrypto
from bot.channels.wecom.events import Received, parse
from bot.channels.wecom.intake import PLATFORM, Intake
from bot.channels.wecom.outbound import CHANNEL, FETCH_MEDIA, UPDATE_CARD, USER_PREFIX
from bot.channels.wecom.robot import RobotBusy, RobotLimiter, RobotWebhook, robot_name
from handlers.contracts import HR_GROUP, Inbound, Message, Reply, from_payload
from handlers.digest import WEEKLY_DIGEST
from handlers.dispatch import Then
from workflow.i18n import t
from workflow.model import Role

if TYPE_CHECKING:
    from bot.core import Core
    from storage.outbox import OutboxItem
    from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# When WeCom names no wait for a rate limit, its limits are per minute.
RATE_LIMIT_RETRY_SECONDS = 60.0
# WeCom delivers at most this many of an app's messages to one member a minute (the rest are
# refused with 45009): with PLATFORM_PACING the relay keeps to it.
MEMBER_PER_MINUTE = 30


def _delivery_error(error: ApiError) -> DeliveryError:
    retry_after = RATE_LIMIT_RETRY_SECONDS if error.rate_limited else None
    return DeliveryError(str(error), retry_after=retry_after, permanent=not error.transient)


class WeComChannel:
    name = CHANNEL

    def __init__(self, config: WeComConfig, core: Core, *, api: WeComApi | None = None) -> None:
        self.config = config
        self.core = core
        self.api = api or WeComApi.from_config(config)
        self.crypto = CallbackCrypto(config)
        dialogs = Conversations(core.redis, config.corp_id)

        async def dispatch(inbound: Inbound, then: Then | None) -> Reply:
            # The intake queues its rows in the request's transaction (`then`).
            return await core.gateway.dispatch(inbound, then=then)

        self.intake = Intake(
            config, dispatch=dispatch, wake=core.gateway.wake_workers,
            uow_factory=core.uow_factory, clock=core.clock, dialogs=dialogs, api=self.api,
        )
        self._members = Window(core.clock, limit=MEMBER_PER_MINUTE, seconds=60)
        self._robot: RobotWebhook | None = None
        if config.hr_webhook is not None:
            url = config.hr_webhook.get_secret_value()
            limiter = RobotLimiter(core.redis, core.clock, robot=robot_name(url))
            self._robot = RobotWebhook(config.hr_webhook, limiter)

    async def keep(self, incoming: Received, xml: str) -> None:
        """Keep a verified callback in the inbox for the worker (`take`); one lane per member, so
        a typed answer is handled after the press that asked for it."""
        await self.core.gateway.accept(CHANNEL, incoming.delivery_id,
                                  f"{PLATFORM}:{self.config.corp_id}:{incoming.user_id}", {"xml": xml})

    async def take(self, kept: dict[str, Any]) -> None:
        """Handle a callback `keep` kept: read again, as when it came."""
        await self.intake.handle(parse(str(kept["xml"]), self.config.corp_id))

    async def gave_up(self, kept: dict[str, Any]) -> None:
        """The worker stopped trying a kept callback: its sender is told to send it again."""
        await self.intake.gave_up(parse(str(kept["xml"]), self.config.corp_id))

    def origin(self, kept: dict[str, Any]) -> tuple[str, str]:
        """The corp a kept callback came from: this channel serves one."""
        return PLATFORM, self.config.corp_id

    async def room(self, item: OutboxItem) -> Room | None:
        """How many posts the HR group's robot takes now (relay digests); None when the pace is
        not kept or the item is not for the robot."""
        if self._robot is None or not self.core.settings.PLATFORM_PACING or item.recipient != HR_GROUP \
                or item.kind in (UPDATE_CARD, FETCH_MEDIA):
            return None
        return await self._robot.limiter.room()

    async def deliver(self, item: OutboxItem) -> dict[str, Any]:
        try:
            if item.kind == FETCH_MEDIA:
                return await self.intake.fetch_media(item.payload)
            if item.kind == UPDATE_CARD:
                return await self._update_card(item)
            try:
                message = from_payload(item.payload)
            except (KeyError, TypeError, AttributeError) as error:
                raise DeliveryError(f"unreadable outbox payload: {error!r}",
                                    permanent=True) from None
            if item.kind == WEEKLY_DIGEST:
                return await self._digest(item, message)
            if item.recipient == HR_GROUP:
                return await self._to_group(item, message)
            return await self._to_member(item, message, await self._user_id(item))
        except RobotBusy as busy:  # nothing was sent: put off, no attempt counted
            raise DeliveryError(str(busy), retry_after=busy.retry_after, paced=True) from None
        except ApiError as error:
            raise _delivery_error(error) from None

    async def _user_id(self, item: OutboxItem) -> str:
        if item.recipient.startswith(USER_PREFIX):
            return item.recipient.removeprefix(USER_PREFIX)
        kind, _, person_id = item.recipient.partition(":")
        if kind == "person" and person_id.isdigit():
            async with self.core.uow_factory() as uow:
                found = await self._wecom_ids(uow, int(person_id))
            if found:
                return found[0]
        raise DeliveryError(f"{item.recipient} has no WeCom account in this corp", permanent=True)

    async def _wecom_ids(self, uow: UnitOfWork, person_id: int) -> list[str]:
        """The person's userids in this corp (one, unless the directory says otherwise)."""
        return [i.platform_user_id for i in await uow.people.identities(person_id)
                if (i.platform, i.platform_tenant) == (PLATFORM, self.config.corp_id)]

    async def _to_member(self, item: OutboxItem, message: Message, user_id: str) -> dict[str, Any]:
        card = card_for(message)
        buttons = _choice_buttons(message)
        if buttons is not None:
            card = replace(card, title=t("wecom.choice.title", card.locale))
        else:
            buttons = buttons_of(card)
        ref: dict[str, Any] = {"userid": user_id}
        details = not shows_everything(card, buttons)
        if self.core.settings.PLATFORM_PACING:
            sends = 1 + (len(markdown_parts(card)) if details else 0)
            wait = self._members.take(user_id, sends)
            if wait is not None:
                raise DeliveryError(f"to {user_id}: keeping to WeCom's {MEMBER_PER_MINUTE} a minute per member",
                                    retry_after=wait, paced=True)
        if details:
            # The full card first, so the one with the buttons ends up nearest the reply box.
            for part in markdown_parts(card):
                await self.api.send(user_id, {"msgtype": "markdown",
                                              "markdown": {"content": part}})
            ref["details"] = True
        version = None if message.case_version is None else f"v{message.case_version}"
        task = task_id(message.case_ref or "msg", version, item.id, item.attempts)
        payload = template_card(card, task=task, source=t("wecom.source", card.locale),
                                card_url=self.config.card_url, buttons=buttons)
        try:
            result = await self.api.send(user_id, {"msgtype": "template_card",
                                                   "template_card": payload})
        except ApiError as error:
            if error.errcode != TASK_ID_TAKEN:
                raise
            # Delivered before a crash kept us from recording it: done, not a failure to tell HR
            # of. Its response_code is lost, so a later update of this card sends a new one.
            log.info("WeCom had card %s already; recorded as delivered", task)
            result = {"resent": True}
        ref.update(task_id=task, msgid=result.get("msgid", ""),
                   response_code=result.get("response_code", ""))
        return ref

    async def _to_group(self, item: OutboxItem, message: Message) -> dict[str, Any]:
        content = markdown(card_for(message), limit=ROBOT_MARKDOWN_BYTES)
        if self._robot is not None:
            await self._robot.post_markdown(content)
            return {"robot": True}
        if self.config.hr_chat_id:
            result = await self.api.send_to_chat(self.config.hr_chat_id,
                                                 fit_bytes(content, APP_MARKDOWN_BYTES))
            return {"chatid": self.config.hr_chat_id, "errcode": result.get("errcode", 0)}
        # No group configured: each HR member gets the notice privately.
        members = await self._hr_members(item.tenant_id)
        for user_id in members:
            await self.api.send(user_id, {"msgtype": "markdown",
                                          "markdown": {"content": fit_bytes(
                                              content, APP_MARKDOWN_BYTES)}})
        return {"userids": members}

    async def _digest(self, item: OutboxItem, message: Message) -> dict[str, Any]:
        """The weekly digest to the HR group: the figures as markdown, then the chart."""
        try:
            chart = dict(message.data["chart"])
        except (KeyError, TypeError, ValueError) as error:
            raise DeliveryError(f"unreadable weekly digest: {error!r}", permanent=True) from None
        content = markdown(card_for(message), limit=ROBOT_MARKDOWN_BYTES)
        if self._robot is not None:
            room = await self._robot.limiter.room()
            if room.now < 2:  # both posts or neither: a retry must not repeat the figures
                raise RobotBusy(room.next_in or float(self._robot.limiter.window))
        png = await asyncio.to_thread(render_chart, chart, self.core.settings.DOCUMENT_FONT)
        if self._robot is not None:
            await self._robot.post_markdown(content)
            await self._robot.post_image(png)
            return {"robot": True, "png_bytes": len(png)}
        media_id = await self.api.upload_image("weekly-digest.png", png)
        if self.config.hr_chat_id:
            await self.api.send_to_chat(self.config.hr_chat_id, fit_bytes(content, APP_MARKDOWN_BYTES))
            await self.api.send_image_to_chat(self.config.hr_chat_id, media_id)
            return {"chatid": self.config.hr_chat_id, "media_id": media_id}
        members = await self._hr_members(item.tenant_id)
        for user_id in members:
            await self.api.send(user_id, {"msgtype": "markdown",
                                          "markdown": {"content": fit_bytes(content, APP_MARKDOWN_BYTES)}})
            await self.api.send(user_id, {"msgtype": "image", "image": {"media_id": media_id}})
        return {"userids": members, "media_id": media_id}

    async def _hr_members(self, tenant_id: int) -> list[str]:
        """With no HR group configured, the HR members who get its posts privately; none is a
        permanent failure (nobody could ever receive it)."""
        async with self.core.uow_factory() as uow:
            members = [user_id for person in await uow.people.with_role(tenant_id, Role.HR.value)
                       for user_id in await self._wecom_ids(uow, person.id)]
        if not members:
            raise DeliveryError("no HR group (WECOM_HR_WEBHOOK / WECOM_HR_CHAT_ID) and no HR "
                                "member with a WeCom account", permanent=True)
        return members

    async def _update_card(self, item: OutboxItem) -> dict[str, Any]:
        """The pressed card's buttons now say who did what; a new card if WeCom refuses the code."""
        payload = item.payload
        user_id = str(payload["user_id"])
        try:
            await self.api.update_button(user_id, str(payload["response_code"]),
                                         str(payload["replace_name"]))
            return {"updated": True, "userid": user_id}
        except ApiError as error:
            if error.transient:
                raise
            # Used already, or older than 72 h: WeCom says so with an error, not a code we can
            # rely on, so any refusal that a retry cannot fix gets the new card.
            ref = await self._to_member(item, from_payload(payload["fallback"]), user_id)
            return {"updated": False, "errcode": error.errcode, **ref}


def _choice_buttons(message: Message) -> tuple[CardButton, ...] | None:
    """A refusal naming several people offers each as a button (see handlers.open_case)."""
    choices = message.data.get("choices") if isinstance(message.data, dict) else None
    if not choices:
        return None
    return tuple(
        CardButton(fit(str(label), BUTTON_TEXT),
                   encode_action(Button(action="open", label=str(label), arg=str(n))))
        for n, (_, label) in enumerate(choices, start=1)
    )
