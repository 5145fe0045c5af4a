"""Who a chat account is: link a platform account to its directory entry by e-mail on first
contact, find the account to reach a person on, and tell HR once about an account nobody knows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from handlers.context import company_locale, person_locale
from handlers.contracts import HR_GROUP, Message, to_payload
from storage.models import Person, Tenant
from storage.uow import UnitOfWork
from workflow.i18n import t

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class Member:
    """A directory person, as a channel needs them: whom to address, in which language."""

    person_id: int
    name: str
    email: str
    locale: str


def _member(person: Person, tenant: Tenant) -> Member:
    return Member(person.id, person.name, person.email, person_locale(person, tenant))


def tenant_key(platform: str, platform_tenant: str) -> str:
    return f"{platform}:{platform_tenant}"


async def member(uow_factory: UowFactory, platform: str, platform_tenant: str,
                 user_id: str) -> Member | None:
    """The active directory person behind an account already linked in this workspace."""
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key(tenant_key(platform, platform_tenant))
        person = await uow.people.by_identity(platform, platform_tenant, user_id)
    if tenant is None or person is None or person.tenant_id != tenant.id or not person.active:
        return None
    return _member(person, tenant)


async def _by_email(uow: UnitOfWork, tenant: Tenant, email: str) -> Person | None:
    wanted = email.strip().lower()
    if not wanted:
        return None
    matches = [p for p in await uow.people.search(tenant.id, wanted)
               if p.email.strip().lower() == wanted and p.active]
    return matches[0] if len(matches) == 1 else None  # two people, one address: ask HR instead


async def link_by_email(uow_factory: UowFactory, platform: str, platform_tenant: str,
                        user_id: str, email: str) -> Member | None:
    """Link the account to the one directory person with this e-mail; None when there is none."""
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key(tenant_key(platform, platform_tenant))
        person = await _by_email(uow, tenant, email) if tenant is not None else None
        if person is None:
            return None
        await uow.people.link_identity(person.id, platform, platform_tenant, user_id)
        await uow.commit()
    return _member(person, tenant)


@dataclass(frozen=True)
class Contact:
    """How to reach a person on a platform: their linked account there, else their e-mail."""

    account: str | None
    email: str


async def contact(uow_factory: UowFactory, person_id: int, platform: str,
                  platform_tenant: str) -> Contact | None:
    async with uow_factory() as uow:
        person = await uow.people.get(person_id)
        if person is None:
            return None
        accounts = [i.platform_user_id for i in await uow.people.identities(person_id)
                    if i.platform == platform and i.platform_tenant == platform_tenant]
    return Contact(accounts[-1] if accounts else None, person.email)


async def link(uow_factory: UowFactory, person_id: int, platform: str, platform_tenant: str,
               user_id: str) -> None:
    """Record the account found for a person (by e-mail on the platform) for next time."""
    async with uow_factory() as uow:
        await uow.people.link_identity(person_id, platform, platform_tenant, user_id)
        await uow.commit()


async def report_unknown(uow_factory: UowFactory, now: datetime, platform: str,
                         platform_tenant: str, user_id: str, *, name: str, email: str) -> bool:
    """Tell the workspace's HR group that an unknown account uses the bot — once per account.

    False when the workspace itself is unknown (there is no HR group to tell)."""
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key(tenant_key(platform, platform_tenant))
        if tenant is None:
            return False
        locale = company_locale(tenant)
        message = Message(
            kind="unknown_user", recipient=HR_GROUP, locale=locale,
            data={"title": t("identity.unknown.title", locale),
                  "text": t("identity.unknown.text", locale, name=name or user_id,
                            account=f"{platform}:{user_id}", email=email or "—"),
                  "fields": []},
        )
        await uow.outbox.enqueue(
            tenant_id=tenant.id, case_id=None, channel=platform, recipient=HR_GROUP,
            kind=message.kind, payload=to_payload(message), now=now,
            dedup_key=f"unknown:{platform}:{platform_tenant}:{user_id}",
        )
        await uow.commit()
    return True
