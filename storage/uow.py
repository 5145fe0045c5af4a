"""The unit of work: one transaction around everything a request or a timer changes."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.audit import AuditLog
from storage.deliveries import Deliveries
from storage.documents import Documents, Signatures, SigningTokens
from storage.inbox import Inbox
from storage.outbox import Outbox
from storage.reports import Reports
from storage.repositories import Cases, Evidence, Handover, People, Snoozes, Tenants
from storage.timers import Timers
from storage.webhooks import WebhookSubscriptions


class UnitOfWork:
    """`async with UnitOfWork(sf) as uow: …; await uow.commit()` — not committed = rolled back.

    The transaction starts on entry; on SQLite that is BEGIN IMMEDIATE (see storage.db), so
    concurrent writers queue for the lock up front instead of failing half-way.
    """

    session: AsyncSession

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def __aenter__(self) -> UnitOfWork:
        self.session = session = self._session_factory()
        try:
            await session.connection()  # begin now, not at the first query
        except BaseException:
            await session.close()
            raise
        self.tenants = Tenants(session)
        self.people = People(session)
        self.cases = Cases(session)
        self.evidence = Evidence(session)
        self.handover = Handover(session)
        self.audit = AuditLog(session)
        self.timers = Timers(session)
        self.outbox = Outbox(session)
        self.inbound = Deliveries(session)
        self.inbox = Inbox(session)
        self.documents = Documents(session)
        self.signing_tokens = SigningTokens(session)
        self.signatures = Signatures(session)
        self.reports = Reports(session)
        self.webhooks = WebhookSubscriptions(session)
        self.snoozes = Snoozes(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.session.close()  # rolls back whatever was not committed

    async def commit(self) -> None:
        await self.outbox.flush()
        self._forget()
        await self.session.commit()

    async def rollback(self) -> None:
        self._forget()
        await self.session.rollback()

    def _forget(self) -> None:
        """What the repositories knew for as long as this transaction's case locks were held."""
        self.audit.forget()
        self.outbox.forget()
        self.cases.forget()
        self.handover.forget()
