"""wechatpy's real client against the fake WeCom API: the base URL override, the access token
shared through Redis and refetched on 42001, media/get, and errors mapped for the outbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from redis import Redis

from bot.channels.wecom.api import ApiError, TokenStorage, WeComApi, WeComClient, token_storage
from bot.channels.wecom.config import WeComConfig
from bot.channels.wecom.robot import RobotLimiter, RobotWebhook
from storage.cache import MemoryRedis
from tests.bot.services_support import closed_port, serving
from tests.e2e.wecom_fake import FakeWeCom, refuse
from workflow.clock import ManualClock


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeWeCom, str]]:
    fake = FakeWeCom(corp_id=f"ww{uuid.uuid4().hex[:12]}", secret="s3cret")
    async with serving(fake.app()) as url:
        yield fake, f"{url}/cgi-bin/"


def _api(fake: FakeWeCom, api_url: str, redis_url: str | None) -> WeComApi:
    config = WeComConfig(
        corp_id=fake.corp_id, agent_id=1, secret=SecretStr(fake.secret),
        token=SecretStr("t"), aes_key=SecretStr("k" * 43), api_url=api_url,
        card_url="https://example.invalid/", redis_url=redis_url,
    )
    return WeComApi.from_config(config)


TEXT = {"msgtype": "text", "text": {"content": "hi"}}


async def test_replicas_share_one_token_through_redis_and_refetch_it_once_expired(
    fake: tuple[FakeWeCom, str], redis_url: str
) -> None:
    server, api_url = fake
    first, second = _api(server, api_url, redis_url), _api(server, api_url, redis_url)
    try:
        await first.send("lee", TEXT)
        await second.send("lee", TEXT)
        assert len(server.calls_to("gettoken")) == 1  # the second replica read it from Redis

        server.expire_tokens()
        await second.send("lee", TEXT)  # 42001 → a new token, the call retried once
        await first.send("lee", TEXT)  # the new token, from Redis
        assert len(server.calls_to("gettoken")) == 2
        assert len(server.sent()) == 4
        refused = [c.errcode for c in server.calls_to("message/send", accepted=False)
                   if c.errcode]
        assert refused == [42001]
    finally:
        with Redis.from_url(redis_url) as redis:
            redis.delete(f"offboard:wechatpy:{first.client.access_token_key}")


async def test_without_redis_the_token_lives_in_the_process(fake: tuple[FakeWeCom, str]) -> None:
    server, api_url = fake
    api = _api(server, api_url, None)
    for _ in range(3):
        await api.send("lee", TEXT)
    assert len(server.calls_to("gettoken")) == 1
    assert server.secret[:4] not in api.client.access_token_key  # no secret in key names


async def test_redis_down_falls_back_to_memory(fake: tuple[FakeWeCom, str]) -> None:
    server, api_url = fake
    storage = token_storage(f"redis://127.0.0.1:{closed_port()}/0")
    assert isinstance(storage, TokenStorage)
    client = WeComClient(server.corp_id, server.secret, api_url=api_url, session=storage)
    api = WeComApi(client, agent_id=1)
    await api.send("lee", TEXT)
    await api.send("lee", TEXT)
    assert len(server.calls_to("gettoken")) == 1


async def test_a_tokenrefused_again_and_again_is_an_error_not_a_loop(
    fake: tuple[FakeWeCom, str]
) -> None:
    server, api_url = fake
    api = _api(server, api_url, None)
    # Every token, even a fresh one, is refused: one refetch, then the error.
    server._token_error = lambda call: refuse(call, 42001, "expired")  # type: ignore[method-assign]
    with pytest.raises(ApiError) as raised:
        await api.send("lee", TEXT)
    assert raised.value.errcode == 42001 and raised.value.transient
    assert len(server.calls_to("gettoken")) == 2
    assert len(server.calls_to("message/send", accepted=False)) == 2


async def test_media_and_errors(fake: tuple[FakeWeCom, str]) -> None:
    server, api_url = fake
    server.media["m1"] = ("季度考核 Q1.pdf", "application/pdf", b"%PDF-1.4 data")
    api = _api(server, api_url, None)
    media = await api.media("m1")
    assert (media.filename, media.media_type, media.data) == (
        "季度考核 Q1.pdf", "application/pdf", b"%PDF-1.4 data")

    server.expire_tokens()
    assert (await api.media("m1")).data == b"%PDF-1.4 data"  # a new token, then the file
    assert len(server.calls_to("gettoken")) == 2

    with pytest.raises(ApiError) as missing:
        await api.media("nope")
    assert (missing.value.errcode, missing.value.transient) == (40007, False)

    with pytest.raises(ApiError) as used:
        await api.update_button("lee", "never-issued", "已同意")
    assert (used.value.errcode, used.value.transient) == (40058, False)

    code = server.response_code()
    await api.update_button("lee", code, "已同意 · 王芳 11-21 10:02")
    [update] = server.calls_to("message/update_template_card")
    assert update.body == {"userids": ["lee"], "agentid": 1, "response_code": code,
                           "button": {"replace_name": "已同意 · 王芳 11-21 10:02"}}


async def test_an_unreachable_api_is_a_transient_error() -> None:
    config = WeComConfig(
        corp_id="ww1", agent_id=1, secret=SecretStr("s"), token=SecretStr("t"),
        aes_key=SecretStr("k" * 43), api_url=f"http://127.0.0.1:{closed_port()}/cgi-bin/",
        card_url="https://example.invalid/",
    )
    with pytest.raises(ApiError) as raised:
        await WeComApi.from_config(config).send("lee", TEXT)
    assert raised.value.errcode is None and raised.value.transient


async def test_secrets_never_reach_the_log_even_at_debug(
    fake: tuple[FakeWeCom, str], debug_logs: pytest.LogCaptureFixture
) -> None:
    server, api_url = fake
    api = _api(server, api_url, None)
    await api.send("lee", TEXT)
    token = api.client.access_token
    limiter = RobotLimiter(MemoryRedis(), ManualClock(datetime(2024, 6, 3, tzinfo=UTC)),
                           robot="r")
    webhook = RobotWebhook(SecretStr(f"{api_url[:-8]}robot/send?key={server.robot_key}"),
                           limiter)
    await webhook.post_markdown("hi")
    # The fake's own server logs what it received; everything on the bot's side is checked.
    ours = "\n".join(r.getMessage() for r in debug_logs.records if not r.name.startswith("uvicorn"))
    assert "robot/send?key=***" in ours and "access_token=***" in ours
    for secret in (server.secret, token, server.robot_key):
        assert secret not in ours
