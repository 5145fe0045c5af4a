"""What one HR approval costs the database, counted as the driver is handed the statements: the
worker's round for a kept Slack press (claim, the action, its answer and notices) stays within the
budget the README states, with one INSERT for all the messages it queues. A change that reads the
same row twice, or writes a message in a statement of its own, fails here before it shows in a
benchmark."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.worker import Worker
from tests.e2e.slack_support import case_state, slack_stack
from tests.reliability.platforms import slack_in_hr_review

# The README's Performance section states this figure (statements per approval). SQLite moves the
# audit chain's head in a statement of its own (no INSERT or UPDATE inside WITH there).
APPROVAL_STATEMENTS = {"postgresql": 12, "sqlite": 13}


def _table(statement: str) -> str:
    """The verb and the table a statement acts on: "INSERT outbox", "SELECT cases", …"""
    words = statement.split()
    verb = words[0].upper()
    if verb in ("INSERT", "DELETE"):
        return f"{verb} {words[2]}"
    if verb == "UPDATE":
        return f"UPDATE {words[1]}"
    depth, at = 0, 0
    for n, word in enumerate(words):  # the first FROM outside parentheses
        depth += word.count("(") - word.count(")")
        if word.upper() == "FROM" and depth == 0:
            at = n
            break
    return f"SELECT {words[at + 1]}" if at else verb


async def test_one_approval_stays_within_its_statement_budget(db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url, take_inbox=False) as stack:
        press = (await slack_in_hr_review(stack)).press
        t1 = stack.workspace("T1")
        worker = Worker(stack.runtime)
        # She has written to the bot a moment before: who she is (and her language) is known in
        # this process, as for anyone pressing card after card.
        await t1.dm("wangfang", "help")
        assert await worker.drain_inbox() == 1
        assert (await t1.post(press)).status_code == 200

        seen: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "PRAGMA")):
                seen.append(" ".join(statement.split()))

        event.listen(stack.runtime.engine.sync_engine, "before_cursor_execute", count)
        try:
            assert await worker.inbox.run_once() == 1
            assert await worker.inbox.run_once() == 0  # forgets the handled press, takes nothing
        finally:
            event.remove(stack.runtime.engine.sync_engine, "before_cursor_execute", count)
        assert (await case_state(stack))[0] == "scheduling_talk"

        kinds = Counter(_table(s) for s in seen)
        # The second round: its claim, and the handled press forgotten in the same transaction.
        assert kinds["UPDATE inbox"] == 2 and kinds["DELETE inbox"] == 1
        approval = len(seen) - 1  # the second round's claim is not the approval's
        assert approval <= APPROVAL_STATEMENTS[engine.dialect.name], "\n".join(seen)
        # Every message of the approval (the pressed card's update, the notices) in one INSERT.
        assert kinds["INSERT outbox"] == 1, kinds
        # No row read twice: the tenant and the case once each.
        assert kinds["SELECT tenants"] == 1 and kinds["SELECT cases"] == 1, kinds
        assert kinds["SELECT audit_events"] == 0, kinds  # the chain's head comes with the case
