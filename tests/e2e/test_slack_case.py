"""A whole case driven only through signed Slack requests to the real app, against the fake Slack.

Slash commands, button presses (block_actions), modal submissions (view_submission), a file
shared in the bot's DM, and the Home tab (app_home_opened): each press is built from the message
the fake recorded for that person, as Slack would send it. The test checks the Web API calls the
app made, the case's final state and its audit trail.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.audit import verify
from tests.e2e.slack_support import HR_CHANNEL, Stack, Workspace, add_people, has_button, slack_stack, text_of

EVIDENCE = [
    ("绩效", "2023 年下半年考核：C（https://hr.example.com/perf/2023H2）"),
    ("改进计划", "2024-03-01 至 2024-04-30 PIP，目标与衡量标准见链接"),
    ("改进结果", "PIP 结束评估：三项目标均未达成"),
    ("反馈面谈", "2024-04-30 反馈面谈记录，员工签字确认"),
]
FILE = b"%PDF-1.4 performance review 2024H1: C\n"


async def _case(stack: Stack) -> tuple[str, int, str | None]:
    async with stack.runtime.uow_factory() as uow:
        tenant = await uow.tenants.by_key("slack:T1")
        assert tenant is not None
        case = await uow.cases.by_ref(tenant.id, "C-0001")
        assert case is not None
        return case.state, case.version, case.outcome


async def _open_by_modal(stack: Stack, t1: Workspace) -> None:
    response = await t1.command("lee")
    assert response.status_code == 200 and response.text == ""
    opened = t1.opened()
    assert opened.args["trigger_id"].startswith("trigger.")
    response = await t1.submit("lee", opened, {
        "employee": t1.uid("alice"), "ground": "incompetent",
        "note": "连续两个考核期绩效不达标，培训及改进计划后仍不能胜任"})
    assert response.status_code == 200 and response.text == ""  # the modal closes
    await stack.settle()
    hr_posts = [c for c in stack.fake.to("chat.postMessage") if c.args["channel"] == HR_CHANNEL["T1"]]
    assert hr_posts and "C-0001" in text_of(hr_posts[-1].args["blocks"])
    assert "C-0001" in text_of(t1.inbox("lee")[-1].blocks)


async def _evidence(stack: Stack, t1: Workspace) -> None:
    # A form: "/offboard evidence C-0001" opens the evidence modal for the case.
    assert (await t1.command("lee", "evidence C-0001")).text == ""
    response = await t1.submit("lee", t1.opened(), {
        "kind": "performance", "content": "2023 年上半年考核：C（https://hr.example.com/perf/2023H1）"})
    assert response.status_code == 200
    # A file shared in the bot's DM, fetched with the bot token.
    stack.fake.files["review.pdf"] = FILE
    response = await t1.dm("lee", "C-0001 绩效 2024 上半年考核表", files=[{
        "id": "F1", "name": "review.pdf", "mimetype": "application/pdf", "size": len(FILE),
        "url_private_download": stack.fake.file_url("review.pdf")}])
    assert response.status_code == 200
    [fetch] = stack.fake.to("file")
    assert fetch.token == "xoxb-T1"
    # Typed commands: answered in the command's own (ephemeral) response.
    for kind, content in EVIDENCE:
        response = await t1.command("lee", f"evidence C-0001 {kind} {content}")
        assert response.status_code == 200
        answer = response.json()
        assert answer["response_type"] == "ephemeral"
    async with stack.runtime.uow_factory() as uow:
        tenant = await uow.tenants.by_key("slack:T1")
        case = await uow.cases.by_ref(tenant.id, "C-0001")
        items = await uow.evidence.for_case(case.id)
    assert len(items) == 6
    assert any(i.sha256 == hashlib.sha256(FILE).hexdigest() and i.filename == "review.pdf"
               for i in items)
    # The last command's answer says the evidence is complete, with a Submit button.
    assert has_button(answer["blocks"], "submit")
    await stack.settle()
    stack.last_answer = answer  # type: ignore[attr-defined]


async def _submit_on_ephemeral(stack: Stack, t1: Workspace, answer: dict) -> None:
    """Submit is pressed on the command's ephemeral answer: updated through its response_url."""
    response = await t1.post(t1.press_request("lee", answer["blocks"], "submit",
                                              channel="CGENERAL", ephemeral=True))
    assert response.status_code == 200
    await stack.settle()
    assert (await _case(stack))[0] == "hr_review"
    replaced = [r for r in stack.fake.responses if r.get("replace_original")]
    assert replaced and not has_button(replaced[-1]["blocks"], "submit")


async def _review(stack: Stack, t1: Workspace) -> None:
    card = t1.latest_with("wangfang", "confirm_facts")
    # The facts modal: one field per fact the law needs.
    assert (await t1.press("wangfang", card, "confirm_facts")).status_code == 200
    opened = t1.opened()
    response = await t1.submit("wangfang", opened, {
        "fact.last_day": "2024-06-30", "fact.avg_wage": "12000", "fact.prev_wage": "12500",
        "fact.local_avg": "10000", "fact.pay_in_lieu": "yes", "fact.union_notified": "yes",
        "fact.written_reasons": "yes", "confirm": ["yes"]})
    assert response.status_code == 200 and response.text == ""
    await stack.settle()
    # The pressed card lost its buttons and says who did it; a fresh review card came.
    assert not has_button(stack.fake.messages[(card.channel, card.ts)].blocks, "confirm_facts")
    review = t1.latest_with("wangfang", "approve")
    assert "12000" in text_of(review.blocks)
    assert (await t1.press("wangfang", review, "approve")).status_code == 200
    await stack.settle()
    assert (await _case(stack))[0] == "scheduling_talk"
    [update] = [c for c in stack.fake.to("chat.update") if c.args["ts"] == review.ts]
    assert not has_button(update.args["blocks"], "approve")
    assert f"<@{t1.uid('wangfang')}>" in text_of(update.args["blocks"])


async def _talk(stack: Stack, t1: Workspace) -> None:
    prompt = t1.latest_with("wangfang", "schedule")
    await t1.press("wangfang", prompt, "schedule")
    opened = t1.opened()
    kinds = {b["block_id"]: b["element"]["type"] for b in opened.args["view"]["blocks"]
             if b["type"] == "input"}
    assert kinds == {"talk_at.date": "datepicker", "talk_at.time": "timepicker"}
    response = await t1.submit("wangfang", opened, {"talk_at.date": "2024-06-04",
                                                    "talk_at.time": "10:00"})
    assert response.status_code == 200 and response.text == ""
    await stack.settle()
    assert (await _case(stack))[0] == "talk_scheduled"
    await t1.press("lee", t1.latest_with("lee", "confirm_attendance"), "confirm_attendance")
    stack.clock.set(stack.clock.now() + timedelta(days=1, hours=2))  # the talk took place
    response = await t1.command("wangfang", "talked C-0001")
    assert response.status_code == 200
    await stack.settle()
    assert (await _case(stack))[0] == "awaiting_employee"


async def _employee_and_handover(stack: Stack, t1: Workspace) -> None:
    card = t1.latest_with("alice", "sign")  # the decision card, in the employee's DM
    assert {"acknowledge", "dispute", "ask_meeting"} <= {
        a for a in ("acknowledge", "dispute", "ask_meeting") if has_button(card.blocks, a)}
    assert (await t1.press("alice", card, "sign")).status_code == 200
    await stack.settle()
    assert (await _case(stack))[0] == "handover"
    owners = [h for h in ("lee", "sun", "zhou", "wu", "wangfang", "zhao")
              for m in t1.inbox(h) if has_button(m.blocks, "complete_item")]
    assert owners
    while True:
        pending = [(h, m) for h in set(owners) for m in t1.inbox(h)
                   if has_button(m.blocks, "complete_item")]
        if not pending:
            break
        handle, message = pending[0]
        assert (await t1.press(handle, message, "complete_item")).status_code == 200
        await stack.settle()
    # Everything was done before the last day (2024-06-30): the worker closes the case at its end.
    assert (await _case(stack))[0] == "handover"
    stack.clock.set(datetime(2024, 6, 30, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    await stack.settle()
    assert await _case(stack) == ("closed", (await _case(stack))[1], "completed")


async def test_a_whole_case_through_slack(db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url) as stack:
        add_people(stack.fake, "T1", "example.com")
        await stack.import_directory("T1")
        t1 = stack.workspace("T1")
        await _open_by_modal(stack, t1)
        await _evidence(stack, t1)
        await _submit_on_ephemeral(stack, t1, stack.last_answer)  # type: ignore[attr-defined]
        await _review(stack, t1)
        await _talk(stack, t1)
        await _employee_and_handover(stack, t1)

        # The Home tab, refreshed when opened.
        assert (await t1.open_home("wangfang")).status_code == 200
        await stack.settle()
        [home] = [c for c in stack.fake.to("views.publish") if c.args["user_id"] == t1.uid("wangfang")]
        assert home.args["view"]["type"] == "home"

        # Only the employee's own DM carries the decision card; the HR channel saw no money.
        assert [c for c in stack.fake.to("chat.postMessage") if c.args["channel"] == t1.uid("alice")]
        for post in stack.fake.to("chat.postMessage"):
            if post.args["channel"] == HR_CHANNEL["T1"]:
                assert "12000" not in text_of(post.args["blocks"])

        async with stack.runtime.uow_factory() as uow:
            tenant = await uow.tenants.by_key("slack:T1")
            case = await uow.cases.by_ref(tenant.id, "C-0001")
            events = await uow.audit.for_case(case.id)
            problems = await verify(uow.session, case.id)
        actions = [e.action for e in events]
        assert problems == []
        for step in ("open", "evidence", "submit", "facts", "approve", "schedule",
                     "confirm_attendance", "record_talk", "sign", "complete_item", "finish"):
            assert step in actions, step
        assert all(e.actor_identity.startswith("slack:T1:") for e in events
                   if e.action in ("open", "approve", "sign"))
        assert stack.fake.problems == []
