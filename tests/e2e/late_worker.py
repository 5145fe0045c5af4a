"""Subprocess entry: `python -m bot worker`, restarted as if some time had passed since a crash.

`python -m tests.e2e.late_worker SECONDS` runs the real worker command (settings, migration check,
runtime, worker loop) with the wall clock it reads moved SECONDS ahead. A worker killed mid-batch
leaves its claims leased for a minute (handlers.timers.CLAIM_LEASE); this lets a crash test see
them reclaimed without waiting that minute.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from bot.cli import main
from bot.clock import SystemClock


def run(ahead: timedelta) -> int:
    SystemClock.now = lambda self: datetime.now(UTC) + ahead  # type: ignore[method-assign]
    return main(["worker"])


if __name__ == "__main__":
    raise SystemExit(run(timedelta(seconds=float(sys.argv[1]))))
