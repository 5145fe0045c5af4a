"""Callback crypto and parsing without HTTP: what each XML becomes, and that no input — however
broken — gets past as anything but a refusal."""

from __future__ import annotations

import base64
import os

import pytest
import xmltodict
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.channels.wecom.config import WeComConfig
from bot.channels.wecom.crypto import CallbackCrypto, CallbackRejected
from bot.channels.wecom.events import (
    CardClick,
    Ignored,
    MediaIn,
    TextIn,
    Unsupported,
    event_delivery_id,
    parse,
)

CORP = "wwtestcorp"
KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")
CONFIG = WeComConfig(corp_id=CORP, agent_id=1, secret=SecretStr("s"), token=SecretStr("tok"),
                     aes_key=SecretStr(KEY), api_url="http://x/", card_url="http://x/")


def xml(**fields: object) -> str:
    return xmltodict.unparse({"xml": {"ToUserName": CORP, "FromUserName": "lee",
                                      "CreateTime": 1717376400, **fields}}, full_document=False)


def test_messages_and_events_become_incoming_values() -> None:
    assert parse(xml(MsgType="text", Content="退工 @alice 不能胜任", MsgId=42), CORP) == TextIn(
        "lee", "退工 @alice 不能胜任", f"wecom:{CORP}:msg:42")
    link = parse(xml(MsgType="link", Title="PIP", Url="https://x/pip", MsgId=43), CORP)
    assert link == TextIn("lee", "PIP https://x/pip", f"wecom:{CORP}:msg:43")
    image = parse(xml(MsgType="image", MediaId="m1", PicUrl="u", MsgId=44), CORP)
    assert image == MediaIn("lee", "m1", "image", "", f"wecom:{CORP}:msg:44")
    file = parse(xml(MsgType="file", MediaId="m2", FileName="a.pdf", MsgId=45), CORP)
    assert file == MediaIn("lee", "m2", "file", "a.pdf", f"wecom:{CORP}:msg:45")
    assert parse(xml(MsgType="voice", MediaId="m3", MsgId=46), CORP) == Unsupported(
        "lee", f"wecom:{CORP}:msg:46")
    assert parse(xml(MsgType="event", Event="enter_agent", EventKey=""), CORP) == Ignored()
    click = parse(xml(MsgType="event", Event="template_card_event", EventKey="v1|C-0001|sign|4",
                      TaskId="C-0001-v4-9-0", CardType="button_interaction",
                      ResponseCode="rc-1", AgentID=1), CORP)
    assert click == CardClick("lee", "v1|C-0001|sign|4", "C-0001-v4-9-0", "rc-1",
                              event_delivery_id(CORP, "lee", "1717376400", "v1|C-0001|sign|4"))


def test_an_event_is_the_same_delivery_only_for_the_same_sender_time_and_key() -> None:
    base = event_delivery_id(CORP, "lee", "1", "k")
    assert base == event_delivery_id(CORP, "lee", "1", "k")
    others = {event_delivery_id(CORP, "ann", "1", "k"), event_delivery_id(CORP, "lee", "2", "k"),
              event_delivery_id(CORP, "lee", "1", "k2")}
    assert base not in others and len(others) == 3
    assert len(event_delivery_id(CORP, "lee", "1", "k" * 1024)) < 300


@pytest.mark.parametrize("body", [
    "<xml><MsgType>text</MsgType></xml>",  # no sender
    xml(MsgType="text", Content="hi"),  # no MsgId
    xml(MsgType="text", Content="hi", MsgId="not-a-number"),
    xml(MsgType="image", MsgId=1),  # no MediaId
    "<xml>text only</xml>",
    "<notxml/>",
    "<xml><a>",
])
def test_malformed_messages_are_refused_with_400(body: str) -> None:
    with pytest.raises(CallbackRejected) as refused:
        parse(body, CORP)
    assert refused.value.status == 400


def _sealed(plain: str, crypto: WeChatCrypto) -> tuple[bytes, str]:
    envelope = xmltodict.parse(crypto.encrypt_message(plain, "nonce", "1700000000"))["xml"]
    body = xmltodict.unparse({"xml": {"Encrypt": envelope["Encrypt"]}}).encode()
    return body, envelope["MsgSignature"]


def test_the_envelope_opens_only_for_our_token_key_and_corp() -> None:
    crypto = CallbackCrypto(CONFIG)
    plain = xml(MsgType="text", Content="你好", MsgId=1)
    body, signature = _sealed(plain, WeChatCrypto("tok", KEY, CORP))
    assert crypto.open(body, signature, "1700000000", "nonce") == plain

    for bad_crypto in (WeChatCrypto("tok", KEY, "wwother"),
                       WeChatCrypto("tok", base64.b64encode(os.urandom(32)).decode()[:43], CORP)):
        bad_body, bad_signature = _sealed(plain, bad_crypto)
        with pytest.raises(CallbackRejected) as refused:
            crypto.open(bad_body, bad_signature, "1700000000", "nonce")
        assert refused.value.status == 403
    with pytest.raises(CallbackRejected) as refused:
        crypto.open(body, signature, "1700000001", "nonce")  # the timestamp is signed too
    assert refused.value.status == 403


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=400), signature=st.text(max_size=50),
       timestamp=st.text(max_size=12), nonce=st.text(max_size=12))
def test_no_input_gets_through_or_crashes(body: bytes, signature: str, timestamp: str,
                                          nonce: str) -> None:
    crypto = CallbackCrypto(CONFIG)
    try:
        crypto.open(body, signature, timestamp, nonce)
    except CallbackRejected as refused:
        assert refused.status in (400, 403)
    else:
        raise AssertionError("an unsigned body was accepted")


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_parse_never_raises_anything_but_a_refusal(text: str) -> None:
    try:
        parse(text, CORP)
    except CallbackRejected as refused:
        assert refused.status == 400


@settings(max_examples=100, deadline=None)
@given(fields=st.dictionaries(
    st.sampled_from(["MsgType", "FromUserName", "MsgId", "Content", "Event", "EventKey",
                     "MediaId", "CreateTime", "ResponseCode"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)))
def test_parse_of_any_field_combination_is_a_value_or_a_refusal(fields: dict[str, str]) -> None:
    document = xmltodict.unparse({"xml": fields or {"x": ""}}, full_document=False)
    try:
        parse(document, CORP)
    except CallbackRejected as refused:
        assert refused.status == 400
