"""Multi-step dialogs in WeCom, kept in Redis with a TTL (the in-process stand-in without Redis).

A person is in at most one dialog: answering the guided evidence prompts, or typing what a
pressed button needs (a reason, a time). Separately, a choice card (several people share a name)
remembers the open command it completes until it expires, so a retried click finds it again.
Losing the state loses nothing recorded: the next message is then read as an ordinary command.
While Redis is unreachable nothing can be kept: `put` says so, and `available` tells a reader
that a missing dialog may only be out of reach.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

from storage.cache import Cache
from storage.uow import UnitOfWork
from workflow.evidence import Requirement, all_kinds, missing, parse_kind
from workflow.model import Ground, State

log = logging.getLogger(__name__)

TTL = timedelta(hours=2)


@dataclass(frozen=True)
class EvidenceDialog:
    """The bot asked this manager for the next evidence item of `case_ref`."""

    case_ref: str


@dataclass(frozen=True)
class PendingInput:
    """A pressed button waits for the text it needs (or a "yes" when nothing is required)."""

    action: str
    case_ref: str | None
    case_version: int | None
    arg: str | None
    response_code: str  # to rewrite the pressed card once the action went through
    required: bool  # False: a "yes" will do (the button only wanted a confirmation)


@dataclass(frozen=True)
class PendingChoice:
    """Several people matched a name: the open command waits for the one chosen."""

    employees: tuple[str, ...]  # employee numbers, in button order
    ground: str
    note: str


Dialog = EvidenceDialog | PendingInput
_KINDS: dict[str, type[Dialog | PendingChoice]] = {
    "evidence": EvidenceDialog, "input": PendingInput, "choice": PendingChoice,
}


class Conversations:
    def __init__(self, cache: Cache, corp_id: str, ttl: timedelta = TTL) -> None:
        self.cache = cache
        self.corp_id = corp_id
        self.ttl = ttl

    def _key(self, slot: str, user_id: str) -> str:
        return f"wecom:{slot}:{self.corp_id}:{user_id}"

    async def get(self, user_id: str) -> Dialog | None:
        state = await self._read(self._key("dialog", user_id))
        return state if isinstance(state, EvidenceDialog | PendingInput) else None

    async def put(self, user_id: str, dialog: Dialog) -> bool:
        """False when the dialog could not be kept (Redis unreachable)."""
        return await self._write(self._key("dialog", user_id), dialog)

    @property
    def available(self) -> bool:
        return self.cache.available

    async def clear(self, user_id: str) -> None:
        await self.cache.delete(self._key("dialog", user_id))

    async def get_choice(self, user_id: str) -> PendingChoice | None:
        state = await self._read(self._key("choice", user_id))
        return state if isinstance(state, PendingChoice) else None

    async def put_choice(self, user_id: str, choice: PendingChoice) -> bool:
        return await self._write(self._key("choice", user_id), choice)

    async def _read(self, key: str) -> Dialog | PendingChoice | None:
        raw = await self.cache.get(key)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            kind = _KINDS[data.pop("kind")]
            if kind is PendingChoice:
                data["employees"] = tuple(data["employees"])
            return kind(**data)
        except (ValueError, KeyError, TypeError):
            log.warning("dropping an unreadable WeCom dialog state")
            return None

    async def _write(self, key: str, state: Dialog | PendingChoice) -> bool:
        kind = next(name for name, cls in _KINDS.items() if isinstance(state, cls))
        value = json.dumps({"kind": kind, **asdict(state)}, ensure_ascii=False)
        return await self.cache.set(key, value, ex=self.ttl)


async def next_requirement(
    uow_factory: Callable[[], UnitOfWork], tenant_key: str, case_ref: str
) -> Requirement | None:
    """The first evidence item `case_ref` still lacks, or None when none is asked for now."""
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key(tenant_key)
        case = await uow.cases.by_ref(tenant.id, case_ref) if tenant else None
        if case is None or case.state != State.COLLECTING_EVIDENCE:
            return None
        kinds = [item.kind for item in await uow.evidence.for_case(case.id)]
    gaps = missing(Ground(case.ground), kinds)
    return gaps[0] if gaps else None


def filed_as(requirement: Requirement, text: str) -> str:
    """The evidence kind of an answer to `requirement`: the kind its first word names when the
    item accepts that kind ("培训 …" files a training record), else the first kind it accepts."""
    named = parse_kind(text.strip().partition(" ")[0])
    if named in requirement.accepts:
        return named
    return next(kind for kind in all_kinds() if kind in requirement.accepts)
