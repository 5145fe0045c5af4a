"""OAuth-installed Slack tokens are encrypted at rest (Fernet, keys from SLACK_TOKEN_KEYS): the
database holds no working token, the bot still reads them, and keys rotate without losing one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.slack.encrypted_installs import EncryptedInstallationStore
from bot.settings import SettingsError, load_settings
from bot.token_cipher import TokenCipher, TokenKeyError

CLIENT_ID = "111.222"
BOT_TOKEN = "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
REFRESH_TOKEN = "xoxe-1-" + "My0xLTEyMzQ1Njc4OTAxMjMtMTIzNDU2Nzg5MDEyMy" * 4  # longer than 200 sealed
WEBHOOK = "https://hooks.slack.com/services/T0123456789/B0123456789/AbCdEfGhIjKlMnOpQrStUvWx"


def installation(team: str, token: str = BOT_TOKEN) -> Installation:
    return Installation(app_id="A1", enterprise_id=None, team_id=team, team_name="Acme", user_id="U1",
                        bot_token=token, bot_id="B1", bot_user_id="UB1", bot_scopes="chat:write",
                        bot_refresh_token=REFRESH_TOKEN, incoming_webhook_url=WEBHOOK,
                        incoming_webhook_channel_id="C1", installed_at=datetime.now(UTC).timestamp())


def store(engine: AsyncEngine, *keys: str) -> EncryptedInstallationStore:
    return EncryptedInstallationStore(CLIENT_ID, engine, TokenCipher(keys))


async def stored(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        rows = [*(await conn.execute(text("SELECT bot_token, bot_refresh_token, incoming_webhook_url "
                                          "FROM slack_installations"))).all(),
                *(await conn.execute(text("SELECT bot_token, bot_refresh_token FROM slack_bots"))).all()]
    return repr(rows)


async def test_installed_tokens_are_stored_encrypted_and_read_back(engine: AsyncEngine) -> None:
    key = Fernet.generate_key().decode()
    installs = store(engine, key)
    await installs.async_save(installation("T1"))
    at_rest = await stored(engine)
    assert "fernet:" in at_rest
    assert BOT_TOKEN not in at_rest and REFRESH_TOKEN not in at_rest and WEBHOOK not in at_rest
    assert "xox" not in at_rest and "hooks.slack.com" not in at_rest
    bot = await installs.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and (bot.bot_token, bot.bot_refresh_token) == (BOT_TOKEN, REFRESH_TOKEN)
    found = await installs.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and (found.bot_token, found.incoming_webhook_url) == (BOT_TOKEN, WEBHOOK)
    # Another key cannot read them (a dump plus a guess is not enough), and says what to do.
    with pytest.raises(TokenKeyError, match="SLACK_TOKEN_KEYS"):
        await store(engine, Fernet.generate_key().decode()).async_find_bot(enterprise_id=None, team_id="T1")


async def test_keys_rotate_and_tokens_stored_in_clear_get_encrypted(engine: AsyncEngine) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    await store(engine, old).async_save(installation("T1"))
    # A workspace installed before encryption existed: its row holds the token in clear.
    legacy = AsyncSQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    await legacy.async_save(installation("T2", token=BOT_TOKEN.replace("Wx", "Yz")))
    assert BOT_TOKEN.replace("Wx", "Yz") in await stored(engine)

    both = store(engine, new, old)  # the new key first: it encrypts, both decrypt
    assert (await both.async_find_bot(enterprise_id=None, team_id="T1")).bot_token == BOT_TOKEN  # type: ignore[union-attr]
    assert await both.rotate() == 4  # 2 installations, 2 bots
    assert "xox" not in await stored(engine)
    only_new = store(engine, new)  # the old key can go now
    assert (await only_new.async_find_bot(enterprise_id=None, team_id="T1")).bot_token == BOT_TOKEN  # type: ignore[union-attr]
    t2 = await only_new.async_find_bot(enterprise_id=None, team_id="T2")
    assert t2 is not None and t2.bot_token == BOT_TOKEN.replace("Wx", "Yz")
    with pytest.raises(TokenKeyError):
        await store(engine, old).async_find_bot(enterprise_id=None, team_id="T1")


def test_oauth_needs_valid_token_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    oauth = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s"}
    with pytest.raises(SettingsError, match="SLACK_TOKEN_KEYS"):
        load_settings(_env_file=None, **oauth)
    with pytest.raises(SettingsError, match="SLACK_TOKEN_KEYS: each key must be a Fernet key"):
        load_settings(_env_file=None, **oauth, SLACK_TOKEN_KEYS="not-a-key")
    keys = f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}"
    settings = load_settings(_env_file=None, **oauth, SLACK_TOKEN_KEYS=keys)
    assert {k.strip() for k in keys.split(",")} <= set(settings.secret_values())  # masked in logs
