"""The commands' way into a workspace: services bootstrapped on a migrated database, and a tenant
looked up by its key with one refusal when it is not there."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bot.bootstrap import Services, bootstrap
from bot.cli import CommandError
from bot.settings import Settings
from storage.models import Tenant
from storage.uow import UnitOfWork


@contextlib.asynccontextmanager
async def migrated(settings: Settings) -> AsyncIterator[Services]:
    """The services on a database migrated to the newest schema; closed on the way out."""
    services = bootstrap(settings)
    try:
        await services.ensure_migrated()
        yield services
    finally:
        await services.close()


async def tenant_named(uow: UnitOfWork, key: str) -> Tenant:
    """The workspace (tenant) named by `key`, e.g. "console:local" or "slack:T0123ABCD"."""
    tenant = await uow.tenants.by_key(key)
    if tenant is None:
        raise CommandError(f"no workspace {key} in this database")
    return tenant
