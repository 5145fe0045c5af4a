"""The console: speaking as someone, pressing buttons, moving the clock, scripts.

Unit tests drive ConsoleSession over a fake runtime; the end-to-end tests at the bottom run the
real handlers, database and worker.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import workflow.machine  # noqa: F401 - registers the action.* labels, as the handlers do
from bot import cli, directory
from bot.channels.base import ChannelRegistry, DeliveryError
from bot.console import ClockMove, ConsoleSession, ConsoleUser, parse_clock, readable
from handlers.contracts import HR_GROUP, Inbound, Message, Reply, to_payload
from storage.outbox import OutboxItem
from storage.uow import UnitOfWork
from tests.conftest import REDIS_URL, require_services
from workflow.calendar import WorkCalendar
from workflow.clock import ManualClock
from workflow.i18n import t

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 9, 30, 9, 0, tzinfo=SHANGHAI)  # the Tuesday before National Day

USERS = {
    "lee": ConsoleUser("lee", "person:1", "李伟", "zh-CN", frozenset({"manager"})),
    "wangfang": ConsoleUser("wangfang", "person:4", "王芳", "zh-CN", frozenset({"hr"})),
    "emily": ConsoleUser("emily", "person:11", "Emily He", "en", frozenset()),
}


@dataclass
class FakeDeps:
    calendar: WorkCalendar = field(default_factory=WorkCalendar)


class FakeDirectory:
    async def lookup(self, name: str) -> ConsoleUser | None:
        return USERS.get(name)


@dataclass
class FakeServices:
    """What the console uses of bot.bootstrap.Services: channels, deps, and the gateway's accept
    (the inbox) and dispatch."""

    replies: list[Reply] = field(default_factory=list)
    received: list[Inbound] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)
    channels: ChannelRegistry = field(default_factory=ChannelRegistry)
    deps: FakeDeps = field(default_factory=FakeDeps)

    @property
    def gateway(self) -> FakeServices:
        return self

    def uow_factory(self) -> None:
        raise AssertionError("the fake directory answers lookups")

    async def accept(self, channel: str, delivery_id: str, lane: str, body: dict[str, Any]) -> bool:
        assert channel == "console" and delivery_id.startswith("console:")
        self.kept.append(json.loads(json.dumps(body)))  # kept as JSON, like the inbox
        return True

    async def dispatch(self, inbound: Inbound) -> Reply:
        self.received.append(inbound)
        return self.replies.pop(0) if self.replies else Reply(ok=True)


@dataclass
class FakeWorker:
    """Each tick delivers what is queued (through the console channel) and reports the counts."""

    runtime: FakeServices
    queued: list[Message] = field(default_factory=list)
    ticks: int = 0

    async def drain_inbox(self) -> int:
        channel = self.runtime.channels.get("console")
        taken = 0
        while self.runtime.kept:
            await channel.take(self.runtime.kept.pop(0))  # type: ignore[union-attr]
            taken += 1
        return taken

    async def run_once(self) -> tuple[int, int]:
        self.ticks += 1
        channel = self.runtime.channels.get("console")
        assert channel is not None
        sent = 0
        while self.queued:
            message = self.queued.pop(0)
            await channel.deliver(OutboxItem(sent, 1, None, "console", message.recipient,
                                             message.kind, to_payload(message), 0))
            sent += 1
        return 0, sent


def review_card(recipient: str = "person:4", version: int = 3) -> Message:
    return Message(
        kind="hr_review", recipient=recipient, locale="zh-CN", case_ref="C-0001",
        case_version=version, data={"title": "待审核：案件 C-0001", "to": "王芳", "state": "人事审核"},
        actions=("approve", "request_changes", "reject"),
    )


@pytest.fixture
def console() -> tuple[ConsoleSession, FakeServices, FakeWorker, list[str]]:
    runtime = FakeServices()
    worker = FakeWorker(runtime)
    out: list[str] = []
    session = ConsoleSession(runtime, ManualClock(START), out.append,  # type: ignore[arg-type]
                             locale="en", worker=worker, directory=FakeDirectory())
    return session, runtime, worker, out


Console = tuple[ConsoleSession, FakeServices, FakeWorker, list[str]]


async def test_text_is_parsed_and_sent_as_that_console_user(console: Console) -> None:
    session, runtime, _worker, _out = console
    await session.handle_line("as lee: 退工 @alice 不能胜任 绩效差")
    (inbound,) = runtime.received
    assert (inbound.platform, inbound.platform_tenant, inbound.user_id) == ("console", "local", "lee")
    assert (inbound.name, inbound.args) == ("open", {"employee": "alice", "ground": "incompetent",
                                                     "note": "绩效差"})


async def test_unreadable_text_goes_to_the_handlers_as_a_parse_error(console: Console) -> None:
    session, runtime, _worker, out = console
    runtime.replies.append(Reply(ok=False, messages=(Message(
        kind="help", recipient="person:11", locale="en",
        data={"title": "I did not understand that", "text": "..."}),)))
    await session.handle_line("as emily: 驳回 1")
    (inbound,) = runtime.received
    assert inbound.name == "parse_error" and inbound.user_id == "emily"
    assert inbound.args["code"] == "router.missing_arg.reason"
    assert out == ["↩ reply to emily\n■ I did not understand that\n  ..."]


async def test_replies_show_inline_and_the_worker_runs_until_idle(console: Console) -> None:
    session, runtime, worker, out = console
    runtime.replies.append(Reply(ok=True, messages=(Message(
        kind="done", recipient="person:1", locale="zh-CN", data={"title": "已提交 C-0001"}),)))
    worker.queued.append(review_card())
    await session.handle_line("as lee: 提交 1")
    assert out[0].splitlines() == ["↩ reply to lee", "■ 已提交 C-0001"]
    assert out[1].splitlines()[:2] == ["→ 王芳", "■ 待审核：案件 C-0001  〔人事审核〕"]
    assert worker.ticks == 2  # one that delivered, one that found nothing left


async def test_press_n_fires_the_nth_button_of_the_last_card(console: Console) -> None:
    session, runtime, worker, out = console
    worker.queued.append(review_card(version=3))
    await session.handle_line("tick")
    await session.handle_line("as wangfang: press 1")
    await session.handle_line("as wangfang: press 3 证据不足，缺少改进计划")
    approve, reject = runtime.received
    assert (approve.name, approve.case_ref, approve.case_version, approve.args) == (
        "approve", "C-0001", 3, {})
    assert (reject.name, reject.case_ref, reject.case_version, reject.args) == (
        "reject", "C-0001", 3, {"reason": "证据不足，缺少改进计划"})
    assert t("console.pressed", "en", label="驳回",
             confirm=t("card.confirm.reject", "zh-CN", ref="C-0001")) in out


async def test_press_without_the_required_text_asks_for_it(console: Console) -> None:
    session, runtime, worker, out = console
    worker.queued.append(review_card())
    await session.handle_line("tick")
    await session.handle_line("as wangfang: press 3")
    assert runtime.received == []
    assert "原因" in out[-1]  # the one question (tests/bot/test_console_guided.py has the rest)
    await session.handle_line("as wangfang: 证据不足")
    (inbound,) = runtime.received
    assert (inbound.name, inbound.args, inbound.case_version) == ("reject", {"reason": "证据不足"}, 3)


async def test_press_uses_the_most_recent_card_of_that_person(console: Console) -> None:
    session, runtime, worker, _out = console
    worker.queued += [review_card(version=3), review_card(version=4)]
    await session.handle_line("tick")
    await session.handle_line("as wangfang: press 1")
    assert runtime.received[0].case_version == 4


async def test_hr_can_press_cards_sent_to_the_hr_group_and_others_cannot(console: Console) -> None:
    session, runtime, worker, out = console
    worker.queued.append(review_card(recipient=HR_GROUP, version=7))
    await session.handle_line("tick")
    await session.handle_line("as lee: press 1")
    assert runtime.received == []
    assert out[-1] == t("console.no_card", "en", name="lee")
    await session.handle_line("as wangfang: press 1")
    assert runtime.received[0].case_version == 7


async def test_press_out_of_range_or_unknown_user_sends_nothing(console: Console) -> None:
    session, runtime, worker, out = console
    await session.handle_line("as wangfang: press 1")
    assert out[-1] == t("console.no_card", "en", name="wangfang")
    worker.queued.append(review_card())
    await session.handle_line("tick")
    await session.handle_line("as wangfang: press 4")
    assert out[-1] == t("console.no_button", "en", name="wangfang", count=3)
    await session.handle_line("as nobody: press 1")
    assert out[-1] == t("console.unknown_user", "en", name="nobody")
    assert runtime.received == []


async def test_a_handover_card_presses_with_its_item_fixed(console: Console) -> None:
    session, runtime, worker, _out = console
    worker.queued.append(Message(kind="handover_item", recipient="person:1", locale="zh-CN",
                                 case_ref="C-0001", case_version=9,
                                 data={"title": "交接", "item": 5}, actions=("complete_item",)))
    await session.handle_line("tick")
    await session.handle_line("as lee: press 1")
    (inbound,) = runtime.received
    assert (inbound.name, inbound.args, inbound.case_version) == ("complete_item", {"item": 5}, 9)


@pytest.mark.parametrize(("text", "move"), [
    ("+3wd", ClockMove(working_days=3)),
    ("+ 1 wd", ClockMove(working_days=1)),
    ("+24h", ClockMove(delta=timedelta(hours=24))),
    ("+7d", ClockMove(delta=timedelta(days=7))),
    ("+90m", ClockMove(delta=timedelta(minutes=90))),
    ("+0m", ClockMove()),
    ("2025-10-09 09:00", ClockMove(local=datetime(2025, 10, 9, 9, 0))),
    ("2025年10月9日 9点", ClockMove(local=datetime(2025, 10, 9, 9, 0))),
    ("+3", None), ("3wd", None), ("-1d", None), ("+1y", None), ("tomorrow", None), ("", None),
    ("2025-13-01 09:00", None),
])
def test_clock_commands_parse(text: str, move: ClockMove | None) -> None:
    assert parse_clock(text) == move


def test_working_days_follow_the_china_calendar() -> None:
    # 1–8 October 2025 is the National Day holiday: the next working day is the 9th.
    calendar = WorkCalendar()
    now = START.astimezone(ZoneInfo("UTC"))
    assert ClockMove(working_days=1).target(now, calendar) == datetime(2025, 10, 9, 9, 0,
                                                                       tzinfo=SHANGHAI)
    assert ClockMove(local=datetime(2025, 10, 9, 9, 0)).target(now, calendar) == datetime(
        2025, 10, 9, 9, 0, tzinfo=SHANGHAI)


async def test_clock_moves_then_the_worker_catches_up(console: Console) -> None:
    session, _runtime, worker, out = console
    worker.queued.append(Message(kind="reminder", recipient="person:1", locale="zh-CN",
                                 data={"title": "提醒：案件 C-0001", "to": "李伟"}))
    await session.handle_line("clock +1wd")
    assert session.clock.now() == datetime(2025, 10, 9, 9, 0, tzinfo=SHANGHAI)
    assert out[0] == t("console.clock", "en", now="2025-10-09 09:00 Thu", zone="Asia/Shanghai")
    assert out[1].startswith("→ 李伟\n■ 提醒：案件 C-0001")
    assert worker.ticks == 2
    await session.handle_line("clock +90m")
    assert session.clock.now() == datetime(2025, 10, 9, 10, 30, tzinfo=SHANGHAI)


async def test_the_clock_never_runs_backwards(console: Console) -> None:
    session, _runtime, worker, out = console
    await session.handle_line("clock 2025-09-01 09:00")
    assert session.clock.now() == START
    assert out[-1] == t("console.clock_backwards", "en", now="2025-09-30 09:00 Tue")
    await session.handle_line("clock soon")
    assert out[-1] == t("console.bad_clock", "en")
    assert worker.ticks == 0


async def test_scripts_echo_lines_and_comments(console: Console) -> None:
    session, _runtime, _worker, out = console
    await session.handle_line("# the manager opens a case")
    await session.handle_line("")
    assert out == []
    session.echo = True
    await session.handle_line("# the manager opens a case")
    await session.handle_line("tick")
    assert out == ["# the manager opens a case", "» tick",
                   t("console.tick", "en", fired=0, sent=0)]


async def test_help_who_unknown_and_quit(console: Console) -> None:
    session, _runtime, _worker, out = console
    await session.handle_line("help")
    assert out[-1] == t("console.help", "en")
    await session.handle_line("who")
    assert out[-1] == t("console.who_empty", "en")
    await session.handle_line("as lee: 进度")
    await session.handle_line("who")
    assert out[-1] == t("console.who", "en", name="lee", display="李伟", roles="manager",
                        locale="zh-CN")
    await session.handle_line("dance")
    assert out[-1] == t("console.unknown", "en", line="dance")
    assert not session.done
    await session.handle_line("quit")
    assert session.done


async def test_the_console_channel_refuses_an_unreadable_payload(console: Console) -> None:
    session, _runtime, _worker, _out = console
    with pytest.raises(DeliveryError) as caught:
        await session.channel.deliver(OutboxItem(1, 1, None, "console", "person:1", "x", {}, 0))
    assert caught.value.permanent
    reply = await session.channel.deliver(OutboxItem(
        2, 1, None, "console", HR_GROUP, "x", to_payload(review_card(HR_GROUP)), 0))
    assert reply == {"console_seq": 1}


# --- end to end: the real handlers, database and worker -------------------------------------

PEOPLE_CSV = Path(__file__).resolve().parents[2] / "examples" / "people.csv"


async def seed_console_directory(uow_factory: Callable[[], UnitOfWork]) -> None:
    """The example company, as console users of the local workspace."""
    entries = directory.parse(PEOPLE_CSV.read_text(encoding="utf-8"))
    await directory.import_entries(uow_factory, entries, directory.workspace("console"),
                                   timezone="Asia/Shanghai", city="")


@pytest.fixture(params=["memory-redis", "real-redis"])
async def live(request: pytest.FixtureRequest, db_url: str, uow_factory: Callable[[], UnitOfWork]
               ) -> AsyncIterator[tuple[ConsoleSession, list[str]]]:
    """A console over the real runtime, on each database and with each kind of Redis (the
    runtime wakes its workers through Redis after every request)."""
    from bot.bootstrap import bootstrap
    from bot.settings import load_settings

    redis_url = ""
    if request.param == "real-redis":
        require_services(redis=True)
        redis_url = REDIS_URL
    await seed_console_directory(uow_factory)
    clock = ManualClock(START)
    runtime = bootstrap(load_settings(DATABASE_URL=db_url, REDIS_URL=redis_url), clock=clock)
    out: list[str] = []
    try:
        yield ConsoleSession(runtime, clock, out.append, locale="en", echo=False), out
    finally:
        await runtime.close()


async def test_parse_errors_are_answered_in_the_person_language(
    live: tuple[ConsoleSession, list[str]],
) -> None:
    session, out = live
    await session.handle_line("as emily: frobnicate now")
    assert "I do not know “frobnicate”" in out[-1]
    await session.handle_line("as lee: frobnicate now")
    assert "看不懂“frobnicate”" in out[-1]


async def test_a_case_travels_from_typing_to_a_pressed_button(
    live: tuple[ConsoleSession, list[str]],
) -> None:
    session, out = live
    for line in (
        "as lee: 退工 @alice 不能胜任 连续两期绩效不达标",
        "as lee: 证据 1 绩效 2024 下半年 C",
        "as lee: 证据 1 绩效 2025 上半年 C",
        "as lee: 证据 1 改进计划 https://hr.example.com/pip/alice",
        "as lee: 证据 1 改进结果 未达标",
        "as lee: 证据 1 反馈 2025-06-30 面谈记录",
    ):
        await session.handle_line(line)
    assert any("C-0001" in block for block in out)
    out.clear()
    await session.handle_line("as lee: 提交 1")
    to_hr = [block for block in out if block.startswith("→ 王芳")]
    assert to_hr, out
    hr_card = to_hr[-1]
    buttons = hr_card.splitlines()[-1]
    assert "[1]" in buttons
    out.clear()
    # Facts are not confirmed yet: pressing Approve reaches the workflow, which refuses and says why.
    approve = next(n for n, label in enumerate(buttons.split("[")[1:], start=1)
                   if label.startswith(f"{n}] 同意"))
    await session.handle_line(f"as wangfang: press {approve}")
    assert any(t("machine.refuse.facts_unconfirmed", "zh-CN") in block for block in out), out
    out.clear()
    await session.handle_line("clock +1wd")
    assert any(block.startswith("→") for block in out[1:]), out


def test_python_m_bot_console_reads_piped_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command itself, on a migrated database holding the example directory."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    monkeypatch.chdir(tmp_path)  # no developer .env leaks in
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["db", "upgrade"]) == 0
    assert cli.main(["directory", "import", str(PEOPLE_CSV)]) == 0
    assert cli.main(["console", "--script", "missing.txt"]) == 2
    assert "missing.txt" in capsys.readouterr().err

    env = console_env(url, LOG_LEVEL="WARNING", LOCALE="en")
    script = "# a comment\nas lee: 退工 @alice 违纪\nclock +2d\nquit\nas lee: 进度\n"
    done = subprocess.run([sys.executable, "-m", "bot", "console", "--start", "2025-10-09 10:00"],
                          cwd=tmp_path, env=env, input=script, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    log_file = Path(os.environ["DATA_DIR"]) / "console-session.log"
    assert lines[:4] == [t("console.log_file", "en", path=log_file), "# a comment",
                         "» as lee: 退工 @alice 违纪", "↩ reply to lee"]
    assert "■ 已创建案件 C-0001  〔收集证据〕" in lines
    assert t("console.clock", "en", now="2025-10-11 10:00 Sat", zone="Asia/Shanghai") in lines
    assert "» quit" in lines and "» as lee: 进度" not in lines


def console_env(url: str, **settings: str) -> dict[str, str]:
    """The environment of a `python -m bot console` process on the database at `url`."""
    return {**os.environ, "PYTHONPATH": str(PEOPLE_CSV.parents[1]), "LOG_LEVEL": "INFO", "LOCALE": "zh-CN",
            "DATABASE_URL": url, **settings}


def run_console(url: str, cwd: Path, script: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bot", "console", *args], cwd=cwd, env=console_env(url),
                          input=script, capture_output=True, timeout=120)


def test_the_console_survives_a_long_paste_keeps_logs_apart_and_resumes_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 10,000-character Chinese paste with emoji is handled, a paste cut mid-character is
    refused in words; log lines go to DATA_DIR/console-session.log, not into the transcript; `--lang en`
    speaks English; the clock and the last cards come back after a restart, so `press` works, and
    a `--start` before that clock is refused. A new SQLite file is migrated by the console itself."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    long_note = ("连续两期绩效不达标😀" * 1000)[:10_000]
    cut = ("as lee: 进度 " + "中" * 2000).encode()[:4094]  # a terminal's line limit, mid-character
    script = (f"as lee: 退工 @alice 不能胜任 {long_note}\n".encode() + cut + b"\n"
              + "as lee: 进度 🙂🙂\nclock +1d\nquit\n".encode())
    first = run_console(url, tmp_path, script, "--start", "2025-10-09 10:00", "--lang", "en")
    assert first.returncode == 0, first.stderr.decode()
    out = first.stdout.decode()
    assert "已创建案件 C-0001" in out
    assert t("console.unreadable", "en") in out
    assert "Traceback" not in out and first.stderr == b""
    log = (Path(os.environ["DATA_DIR"]) / "console-session.log").read_text(encoding="utf-8")
    assert "console session started" in log, log[:500]
    assert t("console.clock", "en", now="2025-10-10 10:00 Fri", zone="Asia/Shanghai") in out

    second = run_console(url, tmp_path, b"as lee: press 1\nclock +1h\nquit\n")
    assert second.returncode == 0, second.stderr.decode()
    again = second.stdout.decode()
    assert t("console.resumed", "zh-CN") in again
    assert t("console.no_card", "zh-CN", name="lee") not in again
    assert t("console.pressed", "zh-CN", label="", confirm="")[:4] in again  # a button of the kept card
    # The clock went on from where the first session left it.
    assert t("console.clock", "zh-CN", now="2025-10-10 11:00 周五", zone="Asia/Shanghai") in again

    # The case files hold events up to that clock: starting before it is refused, nothing run.
    back = run_console(url, tmp_path, "as lee: 进度\nquit\n".encode(), "--start", "2025-10-09 09:00")
    assert back.returncode == 2
    assert t("console.start_backwards", "zh-CN", start="2025-10-09 09:00 周四",
             now="2025-10-10 11:00 周五", database=url) in back.stdout.decode()
    assert "as lee" not in back.stdout.decode()
    kept = run_console(url, tmp_path, b"clock +0m\nquit\n")
    assert t("console.clock", "zh-CN", now="2025-10-10 11:00 周五", zone="Asia/Shanghai") in kept.stdout.decode()


def test_a_reader_gone_ends_the_session_without_failing_the_request(tmp_path: Path) -> None:
    """`make run | head`, or a pager quit: output the console cannot print is dropped and the
    session stops reading lines (printing to the closed pipe failed the request being answered,
    which a later session took again, and the console exited 2)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    env = console_env(url, DATA_DIR=str(tmp_path / "var"))
    console = subprocess.Popen([sys.executable, "-m", "bot", "console", "--start", "2025-10-09 10:00"],
                               cwd=tmp_path, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert console.stdout is not None
    console.stdout.close()  # the reader is gone before the console prints a thing
    _, errors = console.communicate("as lee: 退工 @alice 不能胜任 连续两期绩效不达标\nas lee: 进度 C-0001\n".encode(),
                                    timeout=120)
    assert console.returncode == 0, errors.decode()
    assert b"BrokenPipe" not in errors and b"Exception ignored" not in errors
    log = (tmp_path / "var" / "console-session.log").read_text(encoding="utf-8")
    assert "console session started" in log and "handling failed" not in log
    with sqlite3.connect(tmp_path / "console.db") as db:
        # Nobody could see a reply: no line was run, and nothing is left to be taken again.
        assert db.execute("SELECT count(*) FROM cases").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM inbox").fetchone() == (0,)


def test_readable_joins_emoji_halves_and_refuses_undecodable_bytes() -> None:
    assert readable("as lee: 进度 \ud83d\ude00") == "as lee: 进度 😀"
    assert readable("进度 😀" * 2000) == "进度 😀" * 2000
    assert readable(b"as lee: \xe4\xb8".decode("utf-8", "surrogateescape")) is None
    assert readable("lone \ud83d half") is None


async def test_a_long_chinese_paste_with_emoji_reaches_the_database_and_a_cut_one_is_refused(
    live: tuple[ConsoleSession, list[str]],
) -> None:
    session, out = live
    note = ("连续两期绩效不达标😀" * 1000)[:10_000]
    await session.handle_line(f"as lee: 退工 @alice 不能胜任 {note}")
    assert any("C-0001" in block for block in out), out[-1][:300]
    out.clear()
    await session.handle_line(("as lee: 进度 " + "中" * 2000).encode()[:4094]
                              .decode("utf-8", "surrogateescape"))
    assert out == [t("console.unreadable", "en")]


def test_typed_lines_are_kept_in_a_readline_history(tmp_path: Path) -> None:
    readline = pytest.importorskip("readline")
    from bot.cli.console import _keep_history

    history = tmp_path / "console_history"
    history.write_text("as lee: 进度\nclock +1wd\n", encoding="utf-8")
    readline.clear_history()
    write = _keep_history(history)
    assert write is not None
    assert [readline.get_history_item(n) for n in (1, 2)] == ["as lee: 进度", "clock +1wd"]
    readline.add_history("as wangfang: press 2")
    write()
    readline.clear_history()
    readline.read_history_file(history)
    assert readline.get_history_item(readline.get_current_history_length()) == "as wangfang: press 2"
