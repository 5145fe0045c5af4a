"""One question at a time in the console: a button that needs words asks for them, "back" and
"cancel" work in both languages, a bad answer is asked again and sends nothing, and the guided
evidence dialogue files each answer. The first tests drive the console over the fake runtime of
test_console.py; the last ones run the real handlers, database and worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import update

from bot.channels import guided
from bot.channels.guided import EvidenceDialog, Guided
from bot.console import ConsoleSession, ConsoleUser
from handlers.contracts import HR_GROUP, Message
from storage.console_state import ConsoleStore
from storage.models import Person
from storage.uow import UnitOfWork
from tests.bot.test_console import (
    START,
    USERS,
    Console,
    FakeDirectory,
    FakeServices,
    FakeWorker,
    review_card,
    seed_console_directory,
)
from workflow.clock import ManualClock
from workflow.evidence import requirement_label
from workflow.i18n import t

# An English-speaking HR member next to the Chinese-speaking one of test_console.py.
HR_EN = ConsoleUser("ruth", "person:12", "Ruth Lin", "en", frozenset({"hr"}))
# (console id, the language their questions are asked in, cancel, back) for each language.
SPEAKERS = [("wangfang", "zh-CN", "取消", "上一步"), ("ruth", "en", "cancel", "back")]


class Directory(FakeDirectory):
    async def lookup(self, name: str) -> ConsoleUser | None:
        return HR_EN if name == "ruth" else USERS.get(name)


@pytest.fixture
def console() -> Console:
    runtime = FakeServices()
    worker = FakeWorker(runtime)
    out: list[str] = []
    session = ConsoleSession(runtime, ManualClock(START), out.append,  # type: ignore[arg-type]
                             locale="en", worker=worker, directory=Directory())
    return session, runtime, worker, out


def scheduling_card(version: int = 5) -> Message:
    return Message(kind="hr_review", recipient=HR_GROUP, locale="zh-CN", case_ref="C-0001",
                   case_version=version, data={"title": "安排面谈：案件 C-0001"}, actions=("schedule",))


async def test_a_button_that_needs_words_asks_the_one_question_not_the_help(console: Console) -> None:
    session, runtime, worker, out = console
    worker.queued.append(review_card(HR_GROUP))
    await session.handle_line("tick")
    out.clear()
    await session.handle_line("as wangfang: press 3")
    assert runtime.received == []  # nothing runs before the answer
    asked = out[-1]
    assert asked.splitlines()[0] == t("console.reply", "en", name="wangfang")
    assert t("card.confirm.reject", "zh-CN", ref="C-0001") in asked
    assert "第 1/1 问：原因" in asked and len(asked.splitlines()) <= 4
    assert t("router.usage.help", "zh-CN") not in asked and "帮助" not in asked

    await session.handle_line("as wangfang: 证据不足，缺少改进计划")
    (inbound,) = runtime.received
    assert (inbound.name, inbound.case_ref, inbound.case_version, inbound.args) == (
        "reject", "C-0001", 3, {"reason": "证据不足，缺少改进计划"})
    assert "wangfang" not in session.dialogs


@pytest.mark.parametrize(("name", "locale", "cancel", "back"), SPEAKERS)
async def test_back_and_cancel_at_the_question_in_each_language(
    console: Console, name: str, locale: str, cancel: str, back: str
) -> None:
    session, runtime, worker, out = console
    worker.queued.append(scheduling_card())
    await session.handle_line("tick")
    await session.handle_line(f"as {name}: press 1")
    dialog = session.dialogs[name]
    ask = guided.question(dialog, locale)  # type: ignore[arg-type]
    assert out[-1].endswith(ask)
    assert t("card.input.talk_at", locale) in ask

    await session.handle_line(f"as {name}: {back}")  # nothing before the first question
    assert out[-1].endswith(t("guided.first", locale) + "\n" + ask)
    assert session.dialogs[name] == dialog

    await session.handle_line(f"as {name}: {cancel}")
    assert out[-1].endswith(t("guided.cancelled", locale, action=t("action.schedule", locale)))
    assert name not in session.dialogs
    await session.handle_line(f"as {name}: 2025-10-09 10:00")  # no longer an answer: read as a command
    (inbound,) = runtime.received
    assert (inbound.name, inbound.args["code"]) == ("parse_error", "router.unknown_verb")


@pytest.mark.parametrize(("name", "locale", "cancel", "back"), SPEAKERS)
async def test_a_bad_answer_is_asked_again_with_the_reason_and_sends_nothing(
    console: Console, name: str, locale: str, cancel: str, back: str
) -> None:
    session, runtime, worker, out = console
    worker.queued.append(scheduling_card(version=5))
    await session.handle_line("tick")
    await session.handle_line(f"as {name}: press 1")
    ask = guided.question(session.dialogs[name], locale)  # type: ignore[arg-type]
    await session.handle_line(f"as {name}: next tuesday")
    assert runtime.received == []
    reason = t("router.bad_time", locale, value="next tuesday")
    assert out[-1].endswith(f"{reason}\n{ask}")
    await session.handle_line(f"as {name}: 2025年10月9日 10点")
    (inbound,) = runtime.received
    assert (inbound.name, inbound.case_version, inbound.args) == (
        "schedule", 5, {"talk_at": "2025-10-09 10:00"})


async def test_the_control_words_answer_in_the_language_they_were_typed_in(console: Console) -> None:
    session, _runtime, worker, out = console
    worker.queued.append(scheduling_card())
    await session.handle_line("tick")
    await session.handle_line("as ruth: press 1")
    await session.handle_line("as ruth: 取消")
    assert out[-1].endswith(t("guided.cancelled", "zh-CN", action=t("action.schedule", "zh-CN")))


async def test_a_reason_typed_with_the_press_and_a_command_inside_the_dialogue(console: Console) -> None:
    session, runtime, worker, _out = console
    worker.queued.append(review_card(HR_GROUP))
    await session.handle_line("tick")
    await session.handle_line("as wangfang: press 3 ")  # nothing typed along: asked
    assert runtime.received == []
    await session.handle_line("as wangfang: 进度太慢，改进计划未完成")  # a reason, though it starts like 进度
    assert runtime.received[-1].args == {"reason": "进度太慢，改进计划未完成"}
    await session.handle_line("as wangfang: press 3")
    await session.handle_line("as wangfang: 进度 C-0001")  # a whole command: the dialogue ends
    assert runtime.received[-1].name == "status"
    assert "wangfang" not in session.dialogs


def test_back_goes_to_the_previous_question_and_each_answer_is_checked() -> None:
    """A dialogue of several questions (opening a case: employee, ground, an optional note)."""
    dialog = guided.start("open", None, None)
    assert dialog is not None and [f.name for f in dialog.fields] == ["employee", "ground", "note"]
    turn = guided.answer(dialog, "@alice", "en")
    assert isinstance(turn.dialog, Guided) and turn.dialog.answers == ("@alice",)
    assert "question 2 of 3: Ground" in turn.text
    turn = guided.answer(turn.dialog, "back", "en")
    assert isinstance(turn.dialog, Guided) and turn.dialog.answers == ()
    assert "question 1 of 3: Employee" in turn.text
    turn = guided.answer(turn.dialog, "@bob", "en")
    assert isinstance(turn.dialog, Guided)
    bad = guided.answer(turn.dialog, "lazy", "zh-CN")
    assert bad.dialog == turn.dialog and bad.request is None
    assert bad.text.startswith(t("router.bad_ground", "zh-CN", value="lazy"))
    turn = guided.answer(turn.dialog, "不能胜任", "zh-CN")
    assert isinstance(turn.dialog, Guided) and "跳过" in turn.text  # the note may be left out
    done = guided.answer(turn.dialog, "跳过", "zh-CN")
    assert done.dialog is None and done.request is not None
    assert (done.request.name, done.request.args) == (
        "open", {"employee": "bob", "ground": "incompetent", "note": ""})


def test_a_press_that_needs_nothing_runs_at_once_and_states_survive_json() -> None:
    assert guided.start("approve", "C-0001", 3) is None
    assert guided.start("record_talk", "C-0001", 3) is None  # an optional reason, no confirmation
    assert guided.start("complete_item", "C-0001", 3, arg="2") is None  # the card fixed the item
    proceed = guided.start("proceed_unilateral", "C-0001", 3)  # asks to confirm: the proof is optional
    assert proceed is not None
    assert t("card.confirm.proceed_unilateral", "en", ref="C-0001") in guided.opening(proceed, "en")
    for dialog in (proceed, Guided("reject", "C-0001", 3, None, ("a",), "rc"), EvidenceDialog("C-0002")):
        assert guided.from_json(guided.to_json(dialog)) == dialog
    assert guided.from_json({"kind": "input", "action": "reject"}) is None


# --- end to end: the real handlers, database and worker -------------------------------------


@pytest.fixture
async def live(db_url: str, uow_factory: Callable[[], UnitOfWork]
               ) -> AsyncIterator[tuple[ConsoleSession, list[str], Callable[[], UnitOfWork]]]:
    from bot.bootstrap import bootstrap
    from bot.settings import load_settings

    await seed_console_directory(uow_factory)
    clock = ManualClock(START)
    runtime = bootstrap(load_settings(DATABASE_URL=db_url, REDIS_URL=""), clock=clock)
    out: list[str] = []
    try:
        yield (ConsoleSession(runtime, clock, out.append, locale="en",
                              store=ConsoleStore(runtime.uow_factory)), out, runtime.uow_factory)
    finally:
        await runtime.close()


async def _evidence(uow_factory: Callable[[], UnitOfWork]) -> list[tuple[str, str]]:
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        case = await uow.cases.by_ref(tenant.id, "C-0001")
        return [(e.kind, e.content) for e in await uow.evidence.for_case(case.id)]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_the_guided_evidence_dialogue_end_to_end(
    live: tuple[ConsoleSession, list[str], Callable[[], UnitOfWork]], locale: str
) -> None:
    session, out, uow_factory = live
    async with uow_factory() as uow:
        await uow.session.execute(update(Person).where(Person.email == "lee@example.com").values(locale=locale))
        await uow.commit()
    await session.handle_line("as lee: 退工 @alice 不能胜任 连续两期绩效不达标")
    assert session.dialogs["lee"] == EvidenceDialog("C-0001")
    assert t("console.evidence_dialog", "en", name="lee") in out

    # The prompt's button asks for the item the case lacks; back and cancel change nothing.
    await session.handle_line("as lee: press 1")
    item = await guided.next_item(uow_factory, "console:local", "C-0001")
    assert item is not None
    assert out[-2].endswith(guided.ask_item(item, "C-0001", locale))
    back, cancel = ("上一步", "取消") if locale == "zh-CN" else ("back", "cancel")
    await session.handle_line(f"as lee: {back}")
    assert t("guided.evidence_back", locale) in out[-1]
    await session.handle_line(f"as lee: {cancel}")
    assert out[-1].endswith(t("guided.cancelled", locale, action=t("action.evidence", locale)))
    await session.handle_line("as lee: 2024H2 考核 C")  # no longer an answer: not filed
    assert await _evidence(uow_factory) == []

    # Typing the evidence command starts the prompts again; each answer is filed under the item asked.
    await session.handle_line("as lee: 证据 1 绩效 2024H2 考核 C")
    # One of the two review periods is in: the reply's prompt and its button's question say so.
    label = requirement_label("performance_records", locale)
    typed = requirement_label("performance_records", "zh-CN")  # the command was typed in Chinese
    assert any(t("h.prompt_next_partial", "zh-CN", n=1, label=typed, have=1, need=2, ref="C-0001") in block
               for block in out[-3:])
    await session.handle_line("as lee: press 1")
    assert out[-2].endswith(t("guided.evidence_next_partial", locale, n=1, label=label, have=1, need=2,
                              ref="C-0001"))
    answers = ["2025H1 考核 C", "PIP https://hr.example.com/pip/alice", "2025-06-30 改进期满仍未达标",
               "2025-06-30 面谈记录", "2025-07-01 书面说明"]
    for answer in answers:
        if "lee" not in session.dialogs:
            break
        await session.handle_line(f"as lee: {answer}")
    filed = await _evidence(uow_factory)
    assert filed[:3] == [("performance", "2024H2 考核 C"), ("performance", "2025H1 考核 C"),
                         ("improvement_plan", "PIP https://hr.example.com/pip/alice")]
    assert "lee" not in session.dialogs  # the evidence is complete: the dialogue ended
    assert any(t("h.evidence_complete", locale, ref="C-0001") in block for block in out)


async def test_a_question_waits_across_a_restart_and_nothing_changes_until_answered(
    live: tuple[ConsoleSession, list[str], Callable[[], UnitOfWork]],
) -> None:
    session, out, uow_factory = live
    await session.handle_line("as lee: 退工 @alice 不能胜任")
    await session.handle_line("as lee: 进度 C-0001")  # a command: the evidence dialogue ends
    assert "lee" not in session.dialogs
    await session.handle_line("as lee: press 2")  # the status card's 撤回: asks for the reason
    asked = session.dialogs["lee"]
    assert isinstance(asked, Guided) and asked.action == "withdraw"

    again = ConsoleSession(session.services, session.clock, out.append, locale="en",
                           store=ConsoleStore(uow_factory))
    await again.restore()
    assert again.dialogs == {"lee": asked}
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        assert (await uow.cases.by_ref(tenant.id, "C-0001")).state == "collecting_evidence"
    await again.handle_line("as lee: 已与员工协商一致")
    async with uow_factory() as uow:
        case = await uow.cases.by_ref(tenant.id, "C-0001")
    assert (case.state, case.outcome) == ("closed", "withdrawn")
    assert again.kept["dialog:lee"] == {}  # an ended dialogue is not resumed next time
    third = ConsoleSession(session.services, session.clock, out.append, locale="en",
                           store=ConsoleStore(uow_factory))
    await third.restore()
    assert third.dialogs == {}
