"""slack-sdk's SQLAlchemy installation store with the tokens it keeps encrypted (bot/token_cipher):
what a database dump or backup shows of an installed workspace is no token that works."""

from __future__ import annotations

import copy

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.token_cipher import TokenCipher

# The secrets among the stored fields (the incoming webhook URL posts to a channel by itself).
INSTALLATION_SECRETS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token",
                        "incoming_webhook_url")
BOT_SECRETS = ("bot_token", "bot_refresh_token")


def _apply(entity: Installation | Bot, fields: tuple[str, ...], change: object) -> None:
    for name in fields:
        setattr(entity, name, change(getattr(entity, name, None)))  # type: ignore[operator]


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """Encrypts the secrets of what it saves and decrypts what it finds; the rows are slack-sdk's."""

    def __init__(self, client_id: str, engine: AsyncEngine, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self.cipher = cipher

    async def async_save(self, installation: Installation) -> None:
        sealed = copy.copy(installation)
        _apply(sealed, INSTALLATION_SECRETS, self.cipher.encrypt)
        await super().async_save(sealed)  # saves sealed.to_bot() through async_save_bot too

    async def async_save_bot(self, bot: Bot) -> None:
        sealed = copy.copy(bot)
        _apply(sealed, BOT_SECRETS, self.cipher.encrypt)  # already encrypted values are kept
        await super().async_save_bot(sealed)

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        bot = await super().async_find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                           is_enterprise_install=is_enterprise_install)
        if bot is not None:
            _apply(bot, BOT_SECRETS, self.cipher.decrypt)
        return bot

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False) -> Installation | None:
        installation = await super().async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
            is_enterprise_install=is_enterprise_install)
        if installation is not None:
            _apply(installation, INSTALLATION_SECRETS, self.cipher.decrypt)
        return installation

    async def rotate(self) -> int:
        """Re-encrypt every stored secret with the first key (and encrypt any stored in clear);
        the number of rows rewritten. After it, older keys can leave SLACK_TOKEN_KEYS."""
        rewritten = 0
        async with self.engine.begin() as conn:
            for table, fields in ((self.installations, INSTALLATION_SECRETS), (self.bots, BOT_SECRETS)):
                rows = (await conn.execute(select(table.c.id, *(table.c[f] for f in fields)))).all()
                for row in rows:
                    values = {f: self.cipher.rotate(getattr(row, f)) for f in fields}
                    await conn.execute(update(table).where(table.c.id == row.id).values(**values))
                    rewritten += 1
        return rewritten
