"""Slack settings: which mode the credentials select, one clear line when they are incomplete,
secrets kept out of reprs, and the migration's tables matching what slack-sdk's stores expect."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from cryptography.fernet import Fernet
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, String, Text

from bot.channels.slack.encrypted_installs import BOT_SECRETS, INSTALLATION_SECRETS
from bot.channels.slack.inbound.installs import REDIRECT_PATH, SCOPES
from bot.channels.slack.inbound.listeners.commands import COMMAND
from bot.channels.slack.inbound.routes import EVENTS_PATH
from bot.channels.slack.sender import failure
from bot.settings import SettingsError, load_settings
from storage.models import Base

ROOT = Path(__file__).resolve().parents[2]


def _settings(**values: object):
    return load_settings(_env_file=None, **values)


def test_credentials_select_the_mode() -> None:
    assert _settings().chat_platforms() == ()
    single = _settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    assert single.chat_platforms() == ("slack",) and not single.slack_oauth
    socket = _settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1")
    assert socket.chat_platforms() == ("slack",)
    many = _settings(SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="c", SLACK_SIGNING_SECRET="s",
                     SLACK_TOKEN_KEYS=Fernet.generate_key().decode())
    assert many.slack_oauth and many.chat_platforms() == ("slack",)
    assert _settings(SLACK_BOT_TOKEN=" ", SLACK_SIGNING_SECRET="").chat_platforms() == ()


@pytest.mark.parametrize("values, named", [
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"}, "SLACK_CLIENT_SECRET"),
    ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
])
def test_incomplete_slack_settings_are_one_clear_line(values: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        _settings(**values)
    assert named in str(caught.value) and "\n" not in str(caught.value)


def test_secrets_stay_out_of_the_repr_and_the_api_url_ends_with_a_slash() -> None:
    settings = _settings(SLACK_BOT_TOKEN="xoxb-secret-1", SLACK_SIGNING_SECRET="sign-secret",
                         SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="client-secret",
                         SLACK_TOKEN_KEYS=Fernet.generate_key().decode(),
                         SLACK_APP_TOKEN="xapp-secret", SLACK_API_URL="http://127.0.0.1:9/api")
    shown = repr(settings)
    assert not any(s in shown for s in ("xoxb-secret", "sign-secret", "client-secret", "xapp-secret"))
    assert settings.SLACK_API_URL == "http://127.0.0.1:9/api/"


def _error(status: int, code: str = "", headers: dict[str, str] | None = None) -> SlackApiError:
    response = SimpleNamespace(status_code=status, data={"ok": False, "error": code} if code else {},
                               headers=headers or {})
    return SlackApiError("failed", response)


def test_web_api_errors_map_onto_the_outbox_rules() -> None:
    limited = failure(_error(429, "ratelimited", {"Retry-After": "12"}), "x")
    assert limited.retry_after == 12 and not limited.permanent
    assert failure(_error(429, "ratelimited", {"Retry-After": "soon"}), "x").retry_after == 30
    for code in ("invalid_auth", "channel_not_found", "user_not_found", "token_revoked"):
        assert failure(_error(200, code), "x").permanent, code
    server = failure(_error(503), "x")
    assert not server.permanent and server.retry_after is None and "503" in str(server)
    assert not failure(_error(200, "internal_error"), "x").permanent  # unknown: back off, retry


def test_the_migrated_tables_are_the_ones_slack_sdk_stores_use() -> None:
    theirs = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(theirs, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(theirs, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, "slack_oauth_states")
    for name, table in theirs.tables.items():
        ours = Base.metadata.tables[name]
        assert [c.name for c in ours.columns] == [c.name for c in table.columns], name
        encrypted = {"slack_installations": INSTALLATION_SECRETS, "slack_bots": BOT_SECRETS}.get(name, ())
        for column in table.columns:
            mine = ours.columns[column.name]
            if column.name in encrypted:  # wider than slack-sdk's: they hold the ciphertext
                assert isinstance(mine.type, Text) and isinstance(column.type, String), column
                continue
            assert type(mine.type) is type(column.type), column
            assert getattr(mine.type, "length", None) == getattr(column.type, "length", None)
            assert mine.nullable == column.nullable or column.primary_key, column


@pytest.mark.parametrize("name, socket", [("manifest.yml", False), ("manifest-socket.yml", True)])
def test_the_manifests_match_the_app(name: str, socket: bool) -> None:
    manifest = yaml.safe_load((ROOT / "slack" / name).read_text(encoding="utf-8"))
    assert manifest["oauth_config"]["scopes"]["bot"] == list(SCOPES)
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND and command["should_escape"] is True
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is socket
    assert {"app_home_opened", "message.im"} <= set(settings["event_subscriptions"]["bot_events"])
    assert settings["interactivity"]["is_enabled"] is True
    urls = [command.get("url"), settings["interactivity"].get("request_url"),
            settings["event_subscriptions"].get("request_url")]
    if socket:
        assert urls == [None, None, None]
    else:
        assert all(url and url.endswith(EVENTS_PATH) for url in urls)
        assert manifest["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)
