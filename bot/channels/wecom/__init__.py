"""The WeCom (企业微信) channel for a self-built app: callbacks in, template cards and robot posts out.

Built on wechatpy 1.8.18, where the WeCom API lives in `wechatpy.enterprise`. We pin the 1.8 line
on purpose: it is the last stable release, while 2.0 (which renames the module `wechatpy.work`
and reshapes the clients) has only ever shipped alpha pre-releases. wechatpy gives us the
callback crypto, message parsing, the access token and plain API calls; template cards, their
click events, `message/update_template_card` and the robot webhook are written here.

Modules: config (settings → WeComConfig), crypto (callback signature and AES), events (XML →
Incoming), intake (Incoming → handler requests and dialog steps), conversation (dialog state in
Redis), outbound (what is queued in the outbox), cards (Card → template_card / markdown), api
(the wechatpy client), robot (HR group webhook and its rate limit), channel (outbox delivery),
callback (the FastAPI router), directory (contacts sync), texts. Secrets in HTTP logs are masked
by bot/logs.py. `routers(channels)` is what `serve` mounts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

from bot.channels.wecom.callback import callback_router
from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.config import WeComConfig

if TYPE_CHECKING:
    from bot.channels.base import ChannelRegistry

__all__ = ["WeComChannel", "WeComConfig", "routers"]


def routers(channels: ChannelRegistry) -> list[APIRouter]:
    """The callback router when the WeCom channel is among `channels`, else none."""
    channel = channels.get(WeComChannel.name)
    return [callback_router(channel)] if isinstance(channel, WeComChannel) else []
