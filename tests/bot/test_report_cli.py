"""`python -m bot report --json` on SQLite and PostgreSQL: the storage query over the seeded history of
tests/unit/test_report_figures.py gives the same hand-computed figures as the in-memory lane."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.uow import UnitOfWork
from tests.bot.services_support import in_process_cli
from tests.handlers.conftest import START, make_world
from tests.unit.test_report_figures import STAGES, seed
from workflow.clock import ManualClock


async def test_report_json_over_the_seeded_history(
    db_url: str, uow_factory: Callable[[], UnitOfWork], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    await seed(await make_world(uow_factory, ManualClock(START)))
    cli = in_process_cli(monkeypatch, tmp_path, db_url)
    capsys.readouterr()
    assert await cli("report", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["cases"], data["closed"], data["by_outcome"]) == (4, 2, {"open": 2, "withdrawn": 2})
    assert data["stages"] == STAGES and data["slowest_stage"] == "employee_response"
    assert data["disputed"] == data["escalated"] == data["notice_served"] == {"cases": 1, "of": 3, "rate": 0.3333}
    assert set(data["response_by_channel"]) == {"console", "page"}
    assert sum(data["overdue_by_owner"].values()) == 14  # the wall clock is long past every due date

    assert await cli("report", "--json", "--department", "R&D", "--from", "2024-06-03", "--to", "2024-06-03") == 0
    narrowed = json.loads(capsys.readouterr().out)
    assert (narrowed["cases"], narrowed["period_from"], narrowed["department"]) == (2, "2024-06-03", "R&D")
    assert await cli("report", "--json", "--from", "2024-06-04") == 0
    assert json.loads(capsys.readouterr().out)["cases"] == 0

    assert await cli("report", "--csv") == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "section,key,figure,value" and "rate,disputed,of,3" in rows
    assert await cli("report", "--from", "2024-06-05", "--to", "2024-06-01") == 2
    assert "is after --to" in capsys.readouterr().err
