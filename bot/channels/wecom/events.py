"""Decrypted callback XML → one `Incoming` value: a text, a file or image, a card click, or other.

wechatpy's `parse_message` reads the XML; it knows no template-card click and no file message,
so both are registered with it here. Each value carries the delivery id WeCom's retries repeat:
MsgId for messages, FromUserName + CreateTime + EventKey for events.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from wechatpy.enterprise import parse_message
from wechatpy.enterprise.events import register_event
from wechatpy.enterprise.messages import register_message
from wechatpy.events import BaseEvent
from wechatpy.fields import IntegerField, StringField
from wechatpy.messages import BaseMessage

from bot.channels.wecom.crypto import CallbackRejected, parse_xml

# A WeCom userid is at most 64 bytes; anything far longer is not a real sender.
_MAX_USER_ID = 128


@register_event("template_card_event")
class TemplateCardEvent(BaseEvent):
    """A button pressed on a template card (模板卡片事件推送)."""

    event = "template_card_event"
    agent = IntegerField("AgentID", 0)
    key = StringField("EventKey", "")
    task_id = StringField("TaskId", "")
    card_type = StringField("CardType", "")
    response_code = StringField("ResponseCode", "")


@register_message("file")
class FileMessage(BaseMessage):
    """A file sent to the app; its bytes are fetched with media/get."""

    type = "file"
    agent = IntegerField("AgentID", 0)
    media_id = StringField("MediaId", "")
    filename = StringField("FileName", "")


@dataclass(frozen=True)
class TextIn:
    user_id: str
    text: str
    delivery_id: str


@dataclass(frozen=True)
class MediaIn:
    user_id: str
    media_id: str
    media_kind: str  # "image" | "file"
    filename: str
    delivery_id: str


@dataclass(frozen=True)
class CardClick:
    user_id: str
    key: str  # the pressed button's key: bot.cards.model.encode_action
    task_id: str
    response_code: str  # lets us update the card once, within 72 h
    delivery_id: str


@dataclass(frozen=True)
class Unsupported:
    """A message we cannot use (voice, location …): the sender is told so."""

    user_id: str
    delivery_id: str


@dataclass(frozen=True)
class Ignored:
    """An event that needs no answer (entering the app, subscribing …)."""


Received = TextIn | MediaIn | CardClick | Unsupported  # each from a member, with a delivery id
Incoming = Received | Ignored


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def event_delivery_id(corp_id: str, user_id: str, create_time: str, key: str) -> str:
    """FromUserName + CreateTime + EventKey, hashed: keys may be long, the column is not."""
    digest = hashlib.sha256(f"{user_id}\n{create_time}\n{key}".encode()).hexdigest()[:32]
    return f"wecom:{corp_id}:evt:{digest}"


def parse(xml: str, corp_id: str) -> Incoming:
    """Read one decrypted callback; CallbackRejected(400) when it is not a WeCom message."""
    fields = parse_xml(xml)
    user_id = _text(fields.get("FromUserName")).strip()
    msg_type = _text(fields.get("MsgType")).strip().lower()
    if not user_id or len(user_id) > _MAX_USER_ID or not msg_type:
        raise CallbackRejected(400, "the message lacks FromUserName or MsgType")
    try:
        message = parse_message(xml)
        if msg_type == "event":
            if not isinstance(message, TemplateCardEvent):
                return Ignored()
            return CardClick(
                user_id=user_id, key=_text(message.key), task_id=_text(message.task_id),
                response_code=_text(message.response_code),
                delivery_id=event_delivery_id(corp_id, user_id, _text(fields.get("CreateTime")),
                                              _text(message.key)),
            )
        msg_id = message.id
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CallbackRejected(400, "the message fields are malformed") from None
    if not msg_id:
        raise CallbackRejected(400, "the message lacks MsgId")
    delivery_id = f"wecom:{corp_id}:msg:{msg_id}"
    if msg_type == "text":
        return TextIn(user_id, _text(message.content), delivery_id)
    if msg_type == "link":
        text = " ".join(p for p in (_text(message.title), _text(message.url)) if p)
        return TextIn(user_id, text, delivery_id)
    if msg_type in ("image", "file"):
        media_id = _text(message.media_id)
        if not media_id:
            raise CallbackRejected(400, "the message lacks MediaId")
        filename = _text(getattr(message, "filename", ""))
        return MediaIn(user_id, media_id, msg_type, filename, delivery_id)
    return Unsupported(user_id, delivery_id)
