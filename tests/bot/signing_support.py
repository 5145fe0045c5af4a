"""A Services with PDFs and a key file on a test database, cases waiting for their employees, and
the links on their cards: what the signing page and archive tests start from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from bot.bootstrap import Services, bootstrap
from handlers.contracts import from_payload
from handlers.signing.links import resolve_links
from tests.bot.services_support import settings_for
from tests.handlers.conftest import SHANGHAI, START, World, make_world
from tests.handlers.test_documents import link_in
from tests.handlers.test_flow import T1_FACTS, supply_evidence, to_employee
from workflow.clock import ManualClock


@dataclass
class Site:
    runtime: Services
    world: World
    key_path: Path


@pytest.fixture(name="site")
async def site_fixture(db_url: str, uow_factory: object, tmp_path: Path) -> AsyncIterator[Site]:
    """The `site` fixture (import `site_fixture` to use it); `uow_factory` is asked for so that
    `db_url` is a migrated database."""
    clock = ManualClock(START)
    key_path = tmp_path / "keys" / "signing-key.pem"
    runtime = bootstrap(settings_for(db_url, SIGNING_KEY_PATH=str(key_path),
                                   ARCHIVE_DIR=str(tmp_path / "archive"),
                                   PUBLIC_BASE_URL="https://offboard.example.com"), clock=clock)
    world = await make_world(runtime.uow_factory, clock)
    world.deps = runtime.deps  # the PDF renderer and the key-file signer
    yield Site(runtime, world, key_path)
    await runtime.close()


async def bob_to_employee(world: World) -> None:
    """A second case, C-0002, for Bob (English), waiting for him after the talk on 5 June."""
    assert (await world.act("lee", "open", None, employee="@bob", ground="incompetent",
                            note="targets missed twice")).ok
    await supply_evidence(world, ref="C-0002")
    facts = {**T1_FACTS, "confirm": "yes"}
    for who, action, args in (("lee", "submit", {}), ("wangfang", "facts", {"facts": facts}),
                              ("wangfang", "approve", {}),
                              ("wangfang", "schedule", {"when": "2024-06-05 10:00"}),
                              ("lee", "confirm_attendance", {})):
        assert (await world.act(who, action, "C-0002", **args)).ok, action
    world.clock.set(datetime(2024, 6, 5, 11, 0, tzinfo=SHANGHAI))
    assert (await world.act("wangfang", "record_talk", "C-0002")).ok


async def latest_link(world: World, who: str, ref: str = "C-0001") -> str:
    """The token on the newest employee card of case `ref` sent to `who`."""
    case = await world.case(ref)
    async with world.uow_factory() as uow:
        person = await uow.people.by_identity("console", "local", who)
        assert person is not None
        cards = [from_payload(resolve_links(m.payload, world.deps)) for m in await uow.outbox.for_case(case.id)
                 if m.recipient == f"person:{person.id}" and m.kind == "employee_decision"]
    return link_in(cards[-1])


__all__ = ["Site", "bob_to_employee", "latest_link", "site_fixture", "to_employee"]
