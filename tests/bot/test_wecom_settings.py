"""WECOM_* settings: all or nothing, the AES key checked, secrets never shown; the channel and
its callback route exist exactly when WeCom is configured."""

from __future__ import annotations

from typing import Any

import pytest

from bot.bootstrap import bootstrap, configured_channels
from bot.channels.wecom import WeComChannel, routers
from bot.settings import SettingsError, load_settings
from tests.bot.services_support import settings_for
from tests.e2e.wecom_support import new_aes_key

AES_KEY = new_aes_key()
WECOM: dict[str, Any] = {
    "WECOM_CORP_ID": "ww1234", "WECOM_AGENT_ID": 1000002, "WECOM_SECRET": "the-secret",
    "WECOM_TOKEN": "the-token", "WECOM_AES_KEY": AES_KEY,
    "WECOM_HR_WEBHOOK": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key",
}


def test_a_complete_configuration_turns_wecom_on_and_hides_its_secrets() -> None:
    settings = settings_for("sqlite+aiosqlite:///x.db", **WECOM)
    assert "wecom" in settings.chat_platforms()
    shown = repr(settings)
    for secret in ("the-secret", "the-token", AES_KEY, "robot-key"):
        assert secret not in shown
    assert settings.WECOM_API_URL == "https://qyapi.weixin.qq.com/cgi-bin/"


@pytest.mark.parametrize(("changes", "message"), [
    ({"WECOM_SECRET": ""}, "WeCom also needs WECOM_SECRET"),
    ({"WECOM_TOKEN": "", "WECOM_AGENT_ID": ""}, "WECOM_AGENT_ID, WECOM_TOKEN"),
    ({"WECOM_AES_KEY": "too-short"}, "WECOM_AES_KEY: must be the 43-character EncodingAESKey"),
    ({"WECOM_AES_KEY": "!" * 43}, "43-character EncodingAESKey"),
    ({"WECOM_API_URL": "qyapi.weixin.qq.com"}, "WECOM_API_URL: must be an http(s) URL"),
])
def test_a_bad_configuration_names_the_variable(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, **{**WECOM, **changes})
    assert message in str(error.value)
    assert "the-secret" not in str(error.value)


async def test_no_wecom_settings_no_wecom(tmp_path: Any) -> None:
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    assert "wecom" not in settings.chat_platforms()
    services = bootstrap(settings, channels=configured_channels(settings))
    try:
        # The webhook channel needs no credentials: it is always there.
        assert services.channels.names() == ("console", "webhook")
    finally:
        await services.close()


async def test_the_channel_and_route_come_with_the_settings(tmp_path: Any) -> None:
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path}/x.db", **WECOM)
    runtime = bootstrap(settings, channels=configured_channels(settings))
    try:
        assert isinstance(runtime.channels.get("wecom"), WeComChannel)
        [router] = routers(runtime.channels)
        assert {route.path for route in router.routes} == {"/wecom/callback"}
        without = bootstrap(settings_for(f"sqlite+aiosqlite:///{tmp_path}/y.db"))
        assert routers(without.channels) == []
        await without.close()
    finally:
        await runtime.close()
