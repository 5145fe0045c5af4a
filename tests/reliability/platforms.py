"""The platform requests the fault tests send through the real app, and what they may change.

`footprint` is every table's row count plus each case's state and version: equal before and
after means a request left nothing behind. `slack_requests` builds three signed Slack requests
on a case in hr_review (HR's Approve press, a slash command opening a second case, a DM event
filing evidence on it) so that each can be sent, failed, and re-sent as Slack would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import make_engine
from storage.models import AuditEvent, Base, Case
from tests.e2e.slack_support import Sent, Stack, add_people, drive

Footprint = dict[str, Any]
TRACEBACK_MARKERS = ("Traceback", 'File "', "Error:")


async def row_counts(conn: AsyncConnection) -> dict[str, int]:
    """Every table's row count, in one query."""
    counts = select(*(select(func.count()).select_from(table).scalar_subquery().label(table.name)
                      for table in Base.metadata.sorted_tables))
    return dict((await conn.execute(counts)).mappings().one())


async def footprint(database_url: str) -> Footprint:
    """Row counts of every table, and (state, version) of every case."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            counts: Footprint = dict(await row_counts(conn))
            cases = await conn.execute(select(Case.ref, Case.state, Case.version).order_by(Case.id))
            counts["cases_by_ref"] = {ref: (state, version) for ref, state, version in cases}
            counts["audit_actions"] = sorted((await conn.execute(select(AuditEvent.action))).scalars())
        return counts
    finally:
        await engine.dispose()


def assert_no_traceback(response: httpx.Response) -> None:
    body = response.text
    assert not any(marker in body for marker in TRACEBACK_MARKERS), body[:500]


@dataclass(frozen=True)
class SlackRequests:
    """Three requests as Slack sends them, each re-sendable byte for byte."""

    press: Sent  # wangfang presses Approve on C-0001's review card
    command: Sent  # lee types /offboard @bob incompetent: C-0002
    event: Sent  # lee files evidence on C-0002 in the bot's DM (an Events API delivery)

    def all(self) -> tuple[tuple[str, Sent], ...]:
        return (("command", self.command), ("press", self.press), ("event", self.event))


async def slack_in_hr_review(stack: Stack) -> SlackRequests:
    """T1's people imported, C-0001 waiting for HR; the requests that act on it."""
    add_people(stack.fake, "T1", "example.com")
    await stack.import_directory("T1")
    await drive(stack, "hr_review")
    t1 = stack.workspace("T1")
    review = t1.latest_with("wangfang", "approve")
    press = t1.press_request("wangfang", review.blocks, "approve", channel=review.channel, ts=review.ts)
    command = t1.command_request("lee", f"<@{t1.uid('bob')}> incompetent")
    event = t1.event_request({"type": "message", "channel": "D" + t1.uid("lee")[1:], "channel_type": "im",
                              "user": t1.uid("lee"), "text": "evidence C-0002 performance 2023H2: C",
                              "ts": "1717376400.000100"})
    return SlackRequests(press=press, command=command, event=event)


def slack_effects(before: Footprint, after: Footprint) -> None:
    """What the three requests must have done, once each: C-0001 approved, C-0002 opened with one
    evidence item."""
    state, version = before["cases_by_ref"]["C-0001"]
    assert state == "hr_review"
    assert after["cases_by_ref"]["C-0001"] == ("scheduling_talk", version + 1)
    assert after["cases_by_ref"]["C-0002"][0] == "collecting_evidence"
    assert len(after["cases_by_ref"]) == len(before["cases_by_ref"]) + 1
    assert after["evidence"] == before["evidence"] + 1
    added = list(after["audit_actions"])
    for action in before["audit_actions"]:
        added.remove(action)
    assert sorted(added) == ["approve", "evidence", "open"], added
    assert after["inbound_deliveries"] == before["inbound_deliveries"] + 3
