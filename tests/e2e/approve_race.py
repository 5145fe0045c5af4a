"""Subprocess entry: one HR person pressing Approve, released by the parent at an exact moment.

`python -m tests.e2e.approve_race WHO AT` (DATABASE_URL in the environment) connects, prints
"ready", then for every line "REF VERSION" on stdin calls handlers.dispatch.handle(approve) as
console user WHO on a clock fixed at AT (ISO) and prints the Reply as one JSON line, with when the
call began and ended. Two of these given the same line at once race for the same case. EOF ends it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import datetime
from functools import partial

from sqlalchemy import text

from handlers.contracts import Inbound
from handlers.deps import build_deps
from handlers.dispatch import handle
from storage.db import make_engine, make_session_factory
from storage.uow import UnitOfWork
from workflow.clock import ManualClock


async def race(who: str, at: datetime) -> None:
    engine = make_engine(os.environ["DATABASE_URL"])
    uow_factory = partial(UnitOfWork, make_session_factory(engine))
    deps = build_deps(ManualClock(at))
    loop = asyncio.get_running_loop()
    try:
        async with engine.connect() as conn:  # open the pooled connection before the race
            await conn.execute(text("SELECT 1"))
        print("ready", flush=True)
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            ref, version = line.split()
            began = time.monotonic()  # CLOCK_MONOTONIC: comparable between processes on one machine
            reply = await handle(Inbound(platform="console", platform_tenant="local", user_id=who,
                                         name="approve", case_ref=ref, case_version=int(version)),
                                 uow_factory, deps)
            print(json.dumps({"ok": reply.ok, "texts": [str(m.data.get("text", "")) for m in reply.messages],
                              "began": began, "ended": time.monotonic()}, ensure_ascii=False), flush=True)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(race(sys.argv[1], datetime.fromisoformat(sys.argv[2])))
