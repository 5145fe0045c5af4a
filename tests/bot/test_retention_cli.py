"""`python -m bot retention run`: prunes, purges past retention, and logs each prune with its count."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from storage.models import InboundDelivery
from storage.retention import log
from tests.bot.services_support import Cli, in_process_cli
from tests.bot.signing_support import Site, site_fixture  # noqa: F401
from tests.bot.test_archive import closed_case


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, site: Site) -> Cli:
    settings = site.runtime.settings
    monkeypatch.setenv("SIGNING_KEY_PATH", settings.SIGNING_KEY_PATH)
    monkeypatch.setenv("ARCHIVE_DIR", settings.ARCHIVE_DIR)
    return in_process_cli(monkeypatch, tmp_path, settings.DATABASE_URL)


async def test_retention_run_prunes_purges_and_logs(site: Site, cli: Cli,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    await closed_case(site)
    case = await site.world.case()
    async with site.world.uow_factory() as uow:
        old = await uow.cases.get(case.id, for_update=True)
        old.retain_until = date(2000, 1, 1)
        uow.session.add(InboundDelivery(delivery_id="ancient", received_at=old.opened_at - timedelta(days=400)))
        await uow.commit()
    capsys.readouterr()
    assert await cli("retention", "run") == 0
    out = capsys.readouterr().out
    assert "1 inbound_deliveries" in out and "C-0001" in out
    async with site.world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        assert await uow.cases.by_ref(tenant.id, "C-0001") is None
        logged = {(r.what, r.count) for r in await log(uow.session)}
        assert ("inbound_deliveries", 1) in logged and ("case", 1) in logged
