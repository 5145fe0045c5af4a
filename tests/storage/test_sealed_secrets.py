"""Webhook signing secrets are encrypted at rest: the stored column never holds the secret, the
repository reads it back, and migration 0012 seals the secrets stored in clear before it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.token_cipher import TokenCipher
from storage import sealed
from storage.db import make_engine
from storage.migrate import downgrade_async, upgrade_async
from storage.models import WebhookSubscription
from storage.uow import UnitOfWork
from tests.bot.services_support import in_process_cli
from tests.storage.data import NOW

SECRET = "whsec_c2VjcmV0LWZvci10aGUtcGF5cm9sbA=="
KEY = Fernet.generate_key().decode()


@pytest.fixture
def cipher() -> Iterator[TokenCipher]:
    before = sealed.cipher()
    made = TokenCipher([KEY])
    sealed.use(made)
    yield made
    sealed.use(before)


@pytest.fixture
def no_cipher() -> Iterator[None]:
    before = sealed.cipher()
    sealed.use(None)
    yield
    sealed.use(before)


async def stored_secrets(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return list((await connection.execute(sa.text("SELECT secret FROM webhook_subscriptions"))).scalars())


async def stored_now(db_url: str) -> list[str]:
    """The column as stored, read on a new connection (the schema changed since the last one)."""
    engine = make_engine(db_url)
    try:
        return await stored_secrets(engine)
    finally:
        await engine.dispose()


async def test_the_stored_column_does_not_hold_the_secret(engine: AsyncEngine,
                                                          uow_factory: Callable[[], UnitOfWork],
                                                          cipher: TokenCipher) -> None:
    async with uow_factory() as uow:
        tenant = await uow.tenants.get_or_create("slack:T1")
        await uow.webhooks.add(WebhookSubscription(tenant_id=tenant.id, name="payroll", url="https://p.example/h",
                                                   secret=SECRET, events=[], created_at=NOW))
        await uow.commit()
    [raw] = await stored_secrets(engine)
    assert raw.startswith(sealed.PREFIX) and SECRET not in raw and "c2VjcmV0" not in raw
    assert cipher.decrypt(raw) == SECRET
    async with uow_factory() as uow:
        found = await uow.webhooks.by_name(tenant.id, "payroll")
    assert found is not None and found.secret == SECRET


async def _clear_row_at_0011(db_url: str) -> None:
    await upgrade_async(db_url, "0011")
    engine = make_engine(db_url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("INSERT INTO tenants (key, name, timezone, city, hr_channel, settings, "
                                         "case_seq) VALUES ('console', '', 'Asia/Shanghai', '', '', '{}', 0)"))
        tenant_id = (await connection.execute(sa.text("SELECT id FROM tenants"))).scalar_one()
        await connection.execute(sa.text(
            "INSERT INTO webhook_subscriptions (tenant_id, name, url, secret, events, fields, completes, created_at) "
            "VALUES (:t, 'it', 'https://it.example/h', :s, '[]', '[]', '[]', :at)"), {"t": tenant_id, "s": SECRET,
                                                                                      "at": NOW})
    await engine.dispose()


async def test_the_migration_seals_secrets_stored_in_clear_and_its_downgrade_opens_them(
        db_url: str, cipher: TokenCipher) -> None:
    await _clear_row_at_0011(db_url)
    assert await stored_now(db_url) == [SECRET]
    await upgrade_async(db_url, "head")
    [raw] = await stored_now(db_url)
    assert raw.startswith(sealed.PREFIX) and SECRET not in raw and cipher.decrypt(raw) == SECRET
    await downgrade_async(db_url, "0011")
    assert await stored_now(db_url) == [SECRET]


async def test_the_migration_refuses_to_leave_secrets_in_clear_without_a_key(db_url: str, no_cipher: None) -> None:
    await _clear_row_at_0011(db_url)
    with pytest.raises(sealed.KeyMissing, match="SECRET_KEYS"):
        await upgrade_async(db_url, "head")
    assert await stored_now(db_url) == [SECRET]  # nothing half-done


async def test_adding_a_webhook_without_a_key_is_refused(engine: AsyncEngine, db_url: str,
                                                         uow_factory: Callable[[], UnitOfWork], no_cipher: None,
                                                         monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    async with uow_factory() as uow:
        await uow.tenants.get_or_create("console:local")
        await uow.commit()
    cli = in_process_cli(monkeypatch, tmp_path, db_url)
    monkeypatch.delenv("SECRET_KEYS")
    monkeypatch.delenv("SLACK_TOKEN_KEYS", raising=False)
    assert await cli("webhook", "add", "it", "https://it.example/hook") == 2
    assert "SECRET_KEYS" in capsys.readouterr().err
    assert await stored_secrets(engine) == []
