"""Repositories for what a case's signing produces: document versions, signing tokens, signatures."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEvent,
    Case,
    Document,
    EvidenceItem,
    HandoverItem,
    OutboxMessage,
    Signature,
    SigningToken,
    Timer,
)

# Every table whose rows belong to one case, children before the case row itself.
_CASE_TABLES = (
    Signature, SigningToken, Document, EvidenceItem, HandoverItem, AuditEvent, Timer, OutboxMessage,
)


class Documents:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, document: Document) -> Document:
        self.session.add(document)
        await self.session.flush()
        return document

    async def get(self, document_id: int) -> Document | None:
        return await self.session.get(Document, document_id)

    async def latest_version(self, case_id: int) -> int:
        """The highest version the case has (0 before its first document)."""
        query = select(func.max(Document.version)).where(Document.case_id == case_id)
        return int(await self.session.scalar(query) or 0)

    async def for_case(self, case_id: int, version: int | None = None) -> list[Document]:
        """Every document of the case (or of one version), by version, then in issue order."""
        query = select(Document).where(Document.case_id == case_id)
        if version is not None:
            query = query.where(Document.version == version)
        return list((await self.session.scalars(query.order_by(Document.version, Document.id))).all())


class SigningTokens:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, token: SigningToken) -> SigningToken:
        self.session.add(token)
        await self.session.flush()
        return token

    async def by_hash(self, token_hash: str, *, for_update: bool = False) -> SigningToken | None:
        query = select(SigningToken).where(SigningToken.token_hash == token_hash)
        if for_update:
            # Two submissions of one link race for this row: the second waits, then sees it used.
            query = query.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(query)

    async def for_case(self, case_id: int) -> list[SigningToken]:
        query = select(SigningToken).where(SigningToken.case_id == case_id)
        return list((await self.session.scalars(query.order_by(SigningToken.id))).all())


class Signatures:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, signature: Signature) -> Signature:
        self.session.add(signature)
        await self.session.flush()
        return signature

    async def for_case(self, case_id: int) -> list[Signature]:
        query = select(Signature).where(Signature.case_id == case_id)
        return list((await self.session.scalars(query.order_by(Signature.id))).all())


async def past_retention(session: AsyncSession, today: date) -> list[Case]:
    """Closed cases whose retain-until date is before `today` (the date itself is still kept)."""
    query = select(Case).where(
        Case.closed_at.is_not(None), Case.retain_until.is_not(None), Case.retain_until < today
    )
    return list((await session.scalars(query.order_by(Case.id))).all())


async def purge_case(session: AsyncSession, case_id: int) -> dict[str, int]:
    """Delete a case and everything recorded for it; returns the rows deleted per table."""
    deleted: dict[str, int] = {}
    for model in (*_CASE_TABLES, Case):
        column = model.id if model is Case else model.case_id
        result = await session.execute(delete(model).where(column == case_id))
        deleted[model.__tablename__] = result.rowcount or 0
    return deleted
