"""Signed-request rules of the Slack endpoint, through real HTTP and the real bolt app:

bad signatures and replays are refused with nothing recorded; Slack's retries and double clicks
make one transition; people without the right, and people of another workspace, are refused
with no transition; a press on an out-of-date card redraws it as the current card; a person the
directory does not know is answered in their language and HR hears of them once.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.slack.blocks import render_message
from bot.channels.slack.inbound import typed
from bot.channels.slack.inbound.answers import Source
from handlers.contracts import Inbound, Message
from storage.models import AuditEvent, Case, InboundDelivery, OutboxMessage
from tests.e2e.slack_support import (
    HR_CHANNEL,
    Stack,
    add_people,
    case_state,
    drive,
    has_button,
    slack_stack,
    text_of,
)


async def _count(stack: Stack, model: type, *where: object) -> int:
    async with stack.runtime.uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)))


async def _actions(stack: Stack) -> list[str]:
    async with stack.runtime.uow_factory() as uow:
        return list((await uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))).all())


@pytest.fixture
async def stack(db_url: str, engine: AsyncEngine):
    async with slack_stack(db_url) as stack:
        add_people(stack.fake, "T1", "example.com")
        await stack.import_directory("T1")
        yield stack


async def test_bad_signatures_and_replays_get_401_and_change_nothing(stack: Stack) -> None:
    t1 = stack.workspace("T1")
    request = t1.command_request("lee", "<@UT1ALICE> incompetent")
    assert (await t1.post(request, secret="not-the-secret")).status_code == 401
    assert (await t1.post(request, timestamp=int(time.time()) - 301)).status_code == 401
    garbage = t1.form({"payload": "{not json"})
    assert (await t1.post(garbage, secret="wrong")).status_code == 401
    response = await t1.post(garbage)  # signed, but not a payload: refused, never a 5xx
    assert response.status_code == 400
    assert await _count(stack, InboundDelivery) == 0
    assert await _count(stack, Case) == 0
    assert stack.fake.calls == []  # not even auth.test: bolt never ran


async def test_retries_and_double_clicks_make_one_transition(stack: Stack) -> None:
    t1 = stack.workspace("T1")
    opening = t1.command_request("lee", "<@UT1ALICE> incompetent 两期不达标")
    first = await t1.post(opening)
    assert first.status_code == 200 and "C-0001" in first.text
    for retry in (1, 2, 3):
        again = await t1.post(opening, retry=retry)
        assert again.status_code == 200 and again.text == ""
    assert await _count(stack, Case) == 1
    # An event re-sent by Slack (here: evidence typed in the bot's DM) is handled once.
    dm = t1.event_request({"type": "message", "channel": "DT1LEE", "channel_type": "im",
                           "user": t1.uid("lee"), "text": "evidence C-0001 绩效 2023H2: C",
                           "ts": "1.1"})
    for retry in (None, 1, 2, 3):
        assert (await t1.post(dm, retry=retry)).status_code == 200
    assert (await _actions(stack)).count("evidence") == 1

    await drive(stack, "hr_review")
    card = t1.latest_with("wangfang", "approve")
    press = t1.press_request("wangfang", card.blocks, "approve", channel=card.channel, ts=card.ts)
    for retry in (None, 1, 2, 3):
        assert (await t1.post(press, retry=retry)).status_code == 200
    double = t1.press_request("wangfang", card.blocks, "approve", channel=card.channel, ts=card.ts)
    assert (await t1.post(double)).status_code == 200  # the second click of a double click
    await stack.settle()
    assert (await _actions(stack)).count("approve") == 1
    assert (await case_state(stack))[0] == "scheduling_talk"
    # The card was updated once for the press and redrawn once for the late second click.
    updates = [c for c in stack.fake.to("chat.update") if c.args["ts"] == card.ts]
    assert len(updates) == 2
    assert stack.fake.problems == []


async def _press_current(stack: Stack, handle: str, action: str, *, team: str = "T1",
                         drawn_for: str = "T1") -> None:
    """`handle` presses a button for `action` drawn for the case as it is now."""
    _, version = await case_state(stack)
    message = Message(kind="case", recipient="", locale="en", case_ref="C-0001",
                      case_version=version, actions=(action,), data={"title": "C-0001"})
    blocks = render_message(message, drawn_for).blocks
    workspace = stack.workspace(team)
    response = await workspace.post(workspace.press_request(
        handle, blocks, action, channel="D" + workspace.uid(handle)[1:], ts="1700000000.000001"))
    assert response.status_code == 200
    await stack.settle()


async def test_people_without_the_right_are_refused_and_nothing_moves(stack: Stack) -> None:
    await drive(stack, "hr_review")
    before = await case_state(stack)
    await _press_current(stack, "alice", "approve")  # the employee, not yet invited to the talk
    assert await case_state(stack) == before
    [refusal] = [c for c in stack.fake.to("chat.postEphemeral") if c.args["user"] == "UT1ALICE"]
    # Before the talk the case does not exist for the employee: the bot must not break the news.
    assert "找不到案件 C-0001" in text_of(refusal.args["blocks"])

    # A member of another workspace, pressing a card drawn for this one: there is no tenant
    # to queue the answer for, so it goes straight back on the press's response_url.
    await _press_current(stack, "wangfang", "approve", team="T2")
    assert await case_state(stack) == before
    assert "another Slack workspace" in text_of(stack.fake.responses[-1]) or \
        "另一个 Slack 工作区" in text_of(stack.fake.responses[-1])

    await drive(stack, "awaiting_employee")
    before = await case_state(stack)
    await _press_current(stack, "lee", "sign")  # the manager, signing for the employee
    assert await case_state(stack) == before
    actions = await _actions(stack)
    assert "refused:approve" in actions and "refused:sign" in actions
    assert "approve" in actions and "sign" not in actions
    assert stack.fake.problems == []


async def test_a_press_on_an_out_of_date_card_gets_the_current_card(stack: Stack) -> None:
    t1 = stack.workspace("T1")
    await drive(stack, "hr_review")
    old = t1.latest_with("wangfang", "approve")
    # Someone else records a fact meanwhile: the card above is now out of date.
    response = await t1.command("zhao", "facts C-0001 min_wage=2690")
    assert response.status_code == 200
    state, version = await case_state(stack)
    assert (await t1.press("wangfang", old, "approve")).status_code == 200
    await stack.settle()
    assert await case_state(stack) == (state, version)  # nothing happened
    [redrawn] = [c for c in stack.fake.to("chat.update") if c.args["ts"] == old.ts]
    shown = text_of(redrawn.args["blocks"])
    assert "已过期" in shown  # "this card is out of date", in the reader's language
    assert has_button(redrawn.args["blocks"], "approve")
    assert f"|C-0001|approve|{version}" in shown  # the buttons of the current version


async def test_someone_not_in_the_directory_hears_why_and_hr_is_told_once(stack: Stack) -> None:
    stack.fake.add_person("T1", "UT1STRANGER", "stranger@elsewhere.com", "Stranger", "en-GB")
    t1 = stack.workspace("T1")
    for _ in range(2):
        response = await t1.command("stranger", "status")
        assert response.status_code == 200
        assert "not in the company directory" in response.json()["text"]
    await stack.settle()
    told = [c for c in stack.fake.to("chat.postMessage")
            if c.args["channel"] == HR_CHANNEL["T1"] and "stranger@elsewhere.com" in text_of(c.args["blocks"])]
    assert len(told) == 1


async def test_a_failing_listener_tells_the_person(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("database went away")

    monkeypatch.setattr(stack.runtime.gateway, "dispatch", broken)
    t1 = stack.workspace("T1")
    response = await t1.command("lee", "status")
    assert response.status_code == 200
    assert "Something went wrong" in response.json()["text"]
    # A DM is kept in the inbox before Slack hears anything: when it cannot be kept, Slack is
    # answered 503 and sends the event again later.
    monkeypatch.setattr(stack.runtime.gateway, "accept", broken)
    event = await t1.dm("lee", "status")
    assert event.status_code == 503
    assert await _count(stack, OutboxMessage) == 0


async def test_a_command_a_worker_takes_from_the_inbox_is_answered_on_its_response_url(stack: Stack) -> None:
    """A slash command is kept in the inbox while its listener runs it; a worker that takes it
    meanwhile (or after the listener died) runs it the same way and answers on the command's
    response_url; taken again, it is a duplicate that changes nothing and says nothing."""
    t1 = stack.workspace("T1")
    delivery = "slack:T1:cmd:trigger.kept"
    inbound = Inbound(platform="slack", platform_tenant="T1", user_id=t1.uid("lee"), name="status",
                      delivery_id=delivery, locale="en")
    source = Source("T1", t1.uid("lee"), ephemeral=True, response_url=stack.fake.response_url("kept"))
    kept = typed.inbox_body(inbound, source, action="status", dedup=delivery)
    for _ in range(2):
        assert await stack.runtime.gateway.accept("slack", delivery, typed.lane_of(inbound), kept)
        await stack.settle()
    [answer] = [r for r in stack.fake.responses if r["key"] == "kept"]
    assert answer["response_type"] == "ephemeral" and answer.get("blocks")
    assert await _count(stack, InboundDelivery, InboundDelivery.delivery_id == delivery) == 1
    async with stack.runtime.uow_factory() as uow:
        assert await uow.inbox.waiting() == 0
