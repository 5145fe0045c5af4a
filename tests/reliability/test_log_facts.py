"""Salary and protected-status facts never reach a log line: HR enters them with a facts command
while every logger runs at DEBUG — SQLAlchemy's too, which prints each statement's bound values
(the case's facts JSON among them) — and a library or our own code logs them in any shape."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.channels.console import ConsoleChannel
from bot.settings import Settings
from storage.uow import UnitOfWork
from tests.reliability.authz_world import OPENED, seed
from tests.reliability.secrets_world import FACTS, PROTECTED_MARKS, SALARY_MARKS
from tests.reliability.test_privacy import CaseRun
from workflow.clock import ManualClock


def _logged(debug_logs: pytest.LogCaptureFixture) -> str:
    return "\n".join(debug_logs.handler.format(record) for record in debug_logs.records)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_facts_command_at_debug_logs_no_salary_or_protection(
    db_url: str, engine: AsyncEngine, uow_factory: Callable[[], UnitOfWork], tmp_path: object,
    debug_logs: pytest.LogCaptureFixture
) -> None:
    await seed(uow_factory)
    # An operator chasing a problem turns SQL logging on: the statements carry the facts JSON.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    clock = ManualClock(OPENED)
    settings = Settings(_env_file=None, DATABASE_URL=db_url, REDIS_URL=None,
                        SIGNING_KEY_PATH=f"{tmp_path}/signing-key.pem", ARCHIVE_DIR=f"{tmp_path}/archive")
    runtime = bootstrap(settings, clock=clock, channels=[lambda _core: ConsoleChannel(sink=lambda _t: None)])
    run = CaseRun(runtime, clock, relay=False)
    try:
        await run.act("lee", "open", None, employee="@alice", ground="mutual", note="协商一致解除")
        await run.act("wangfang", "facts", facts=FACTS)
    finally:
        await runtime.close()

    logged = _logged(debug_logs)
    assert "avg_wage" in logged and "protections" in logged, "the facts never reached a log line"
    assert [m for m in (*SALARY_MARKS, *PROTECTED_MARKS) if m in logged] == []


@pytest.mark.parametrize("line, args", [
    ("facts changed: avg_wage=%s prev_wage=%s", ("12000", "11500.50")),
    ("payload %s", ('{"avg_wage": 12000, "min_wage": "2690", "protections": ["pregnant", "nursing"]}',)),
    ("facts %r", ({"local_avg": 9800, "protections": ("medical_period",)},)),
    ("employee is %s", ("Maternity",)),
])
def test_fact_values_are_masked_in_any_shape(
        line: str, args: tuple[object, ...], debug_logs: pytest.LogCaptureFixture) -> None:
    logging.getLogger("slack_bolt.App").debug(line, *args)
    logged = _logged(debug_logs)
    assert "***" in logged
    for secret in ("12000", "11500", "2690", "9800", "pregnant", "nursing", "medical_period", "Maternity"):
        assert secret not in logged, logged
