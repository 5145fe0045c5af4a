"""The unit of work: one transaction around everything a request or a timer changes — or, inside
a `shared` one (the inbox worker's lane-batch), a part of that transaction that cannot be undone
alone: undoing it spoils the shared one, which the worker then rolls back and runs again without it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from storage.audit import AuditLog
from storage.deliveries import Deliveries
from storage.documents import Documents, Signatures, SigningTokens
from storage.inbox import Inbox
from storage.outbox import Outbox
from storage.reports import Reports
from storage.repositories import Cases, Evidence, Handover, People, Snoozes, Tenants
from storage.timers import Timers
from storage.webhooks import WebhookSubscriptions


class SpoiledTransaction(Exception):
    """A unit of work joined to a shared transaction was undone (refused, failed): only the whole
    shared transaction can be rolled back, and nothing more may be done in it."""


class UnitOfWork:
    """`async with UnitOfWork(sf) as uow: …; await uow.commit()` — not committed = rolled back.

    The transaction starts on entry; on SQLite that is BEGIN IMMEDIATE (see storage.db), so
    concurrent writers queue for the lock up front instead of failing half-way.
    """

    session: AsyncSession
    _connection: AsyncConnection

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._outer: UnitOfWork | None = None  # the shared unit this one joined
        self._committed = False
        self._joined_at = (0, 0)  # the shared unit's (writes, messages kept) when this one joined
        self.spoiled = False  # (a shared unit) a unit joined to it was undone
        self._writes = 0  # (a shared unit) statements other than SELECT sent in it

    async def __aenter__(self) -> UnitOfWork:
        outer = _shared.get()
        if outer is not None and outer._session_factory is self._session_factory:
            return await self._join(outer)
        self.session = session = self._session_factory()
        try:
            self._connection = await session.connection()  # begin now, not at the first query
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

    async def _join(self, outer: UnitOfWork) -> UnitOfWork:
        """Work inside `outer`'s transaction: its session and repositories (what they know of the
        cases locked so far stays true: the locks are held until `outer` commits). No savepoint:
        one costs two statements and a tenth of a request's CPU; a unit that only read may end
        without a commit, and one that wrote is rarely undone (a refusal, a conflict, a failure)."""
        if outer.spoiled:
            raise SpoiledTransaction("the shared transaction was spoiled by an earlier request")
        self.__dict__.update({name: value for name, value in vars(outer).items()
                              if name not in ("_outer", "_committed", "_joined_at", "spoiled", "_writes")})
        self._outer = outer
        self._joined_at = (outer._writes, outer.outbox.waiting())
        return self

    def _wrote(self) -> bool:
        """(A joined unit) did it change anything, sent or still to be sent at the shared commit?"""
        assert self._outer is not None
        session = self.session
        return ((self._outer._writes, self.outbox.waiting()) != self._joined_at
                or bool(session.new or session.dirty or session.deleted))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._outer is None:
            await self.session.close()  # rolls back whatever was not committed
        elif not self._committed and self._wrote():
            self._outer.spoiled = True
            if exc is None:
                raise SpoiledTransaction("a request in a shared transaction was undone")

    async def commit(self) -> None:
        if self._outer is not None:
            try:
                await self.session.flush()  # this request's conflict is its own, not the next one's
            except BaseException:
                self._outer.spoiled = True
                raise
            self._committed = True  # its messages are written when the shared one commits
            return
        await self.outbox.flush()
        self._forget()
        await self.session.commit()

    async def rollback(self) -> None:
        if self._outer is not None:
            if not self._wrote():
                return  # nothing to undo
            self._outer.spoiled = True
            raise SpoiledTransaction("a request in a shared transaction cannot be undone alone")
        self._forget()
        await self.session.rollback()

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """Within it, a unit of work opened on the same database by this task (or a task it
        starts) is part of this one: several requests in one transaction, all written by this
        unit's commit. One that is undone sets `spoiled`: roll this one back, not commit it."""
        connection = self._connection.sync_connection
        assert connection is not None
        event.listen(connection, "before_cursor_execute", self._count_write)
        token = _shared.set(self)
        try:
            yield
        finally:
            _shared.reset(token)
            event.remove(connection, "before_cursor_execute", self._count_write)

    def _count_write(self, _connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Anything but a plain SELECT counts (a WITH may write): a read taken for a write only
        # costs a redo, a write taken for a read would be kept when its request was undone.
        if not statement.lstrip()[:6].upper().startswith("SELECT"):
            self._writes += 1

    def _forget(self) -> None:
        """What the repositories knew in this transaction (read again in the next)."""
        self.tenants.forget()
        self.people.forget()
        self.outbox.forget()
        self.cases.forget()
        self.handover.forget()


# The transaction units of work opened in this context join (UnitOfWork.shared).
_shared: ContextVar[UnitOfWork | None] = ContextVar("shared_unit_of_work", default=None)


def in_shared_transaction() -> bool:
    """Is a unit of work opened here part of a larger transaction (not committed when it commits)?"""
    return _shared.get() is not None
