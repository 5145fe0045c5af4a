"""The interactive console: play every person of a case from one terminal, with a clock you move.

`as lee: 退工 @alice 不能胜任` speaks as a directory person (their console id), `as alice: press 2`
taps a button of the last card alice got, `clock +3wd` moves time and lets timers fire. After every
line the worker runs until idle, so what the handlers queued shows up at once.

A line goes the way a Slack or WeCom request goes: kept in the inbox (Gateway.accept), handed by
the worker to the console channel (`ConsoleDesk.take`), run through dispatch; its reply is shown
then, before what the outbox delivers.

A press that needs words asks for them one question at a time (bot.channels.guided, as in WeCom):
the person's next lines answer it ("back"/"上一步", "cancel"/"取消"), and only the last answer
sends the request; an evidence prompt lets the manager answer with the item itself.

With a state store (the database), the clock, each person's last card and open dialogue are kept
after every line, so `press 2` and the time of day survive a restart. A line that is not proper text (a
terminal that cut a long paste mid-character hands over undecodable bytes) is refused, not sent.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from bot.bootstrap import Services
from bot.cards.model import decode_action, encode_action
from bot.channels import guided
from bot.channels.console import ConsoleChannel
from bot.channels.guided import Dialog, EvidenceDialog, Guided
from bot.directory import workspace
from bot.errors import safe_url
from bot.gateway import Gateway
from bot.router import Parsed, ParseError, parse, parse_action, to_inbound
from bot.router.readers import fold, local_time
from bot.worker import Worker
from handlers.context import person_recipient
from handlers.contracts import HR_GROUP, Inbound, Reply
from storage.uow import UnitOfWork
from workflow.calendar import WorkCalendar
from workflow.clock import ManualClock
from workflow.commands import HR_ROLES
from workflow.i18n import normalise_locale, t

PLATFORM = "console"
PLATFORM_TENANT = "local"
# A timer that arms another due one is fine; a loop that never settles is a bug worth stopping.
MAX_WORKER_ROUNDS = 50

_AS = re.compile(r"as\s+([^\s:：]+)\s*[:：]\s*(.*)", re.DOTALL)
_PRESS = re.compile(r"(?:press|按)\s*(\d{1,3})(?:\s+(.*))?", re.DOTALL | re.ASCII)
_MOVE = re.compile(r"\+\s*(\d{1,5})\s*(wd|d|h|m)", re.ASCII)
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
CLOCK_KEY = "clock"
CARD_KEY = "card:"
DIALOG_KEY = "dialog:"


def readable(line: str) -> str | None:
    """`line` as proper Unicode text, or None when part of it is not text at all.

    Standard input decoded with surrogateescape turns bytes that are not UTF-8 (a paste cut
    mid-character) into lone surrogates, which no output or database can encode; a UTF-16 source
    may hand an emoji over as its two halves, which are joined here.
    """
    try:
        line = line.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return None
    return None if _LONE_SURROGATE.search(line) else line


@dataclass(frozen=True)
class ConsoleUser:
    name: str  # the console id typed after "as"
    recipient: str  # how the outbox addresses them: "person:<id>"
    display: str
    locale: str
    roles: frozenset[str]

    @property
    def recipients(self) -> tuple[str, ...]:
        """Where cards for this person arrive: to them, and to the HR group if they are HR."""
        return (self.recipient, HR_GROUP) if self.roles & HR_ROLES else (self.recipient,)


class ConsoleDirectory(Protocol):
    """Who a console id is (None: not in the directory)."""

    async def lookup(self, name: str) -> ConsoleUser | None: ...


class StorageDirectory:
    """Console users from the people directory (their console identities)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self.uow_factory = uow_factory

    async def lookup(self, name: str) -> ConsoleUser | None:
        async with self.uow_factory() as uow:
            person = await uow.people.by_identity(PLATFORM, PLATFORM_TENANT, name)
            if person is None:
                return None
            return ConsoleUser(name, person_recipient(person), person.name,
                               normalise_locale(person.locale), person.role_set)


class StateStore(Protocol):
    """Named JSON values that outlive the process (storage.console_state.ConsoleStore)."""

    async def load(self) -> dict[str, dict[str, Any]]: ...

    async def save(self, key: str, value: dict[str, Any]) -> None: ...


class Ticker(Protocol):
    """The worker as the console drives it (bot.worker.Worker): the inbox, then one tick of
    timers and outbox -> (fired, sent)."""

    async def drain_inbox(self) -> int: ...

    async def run_once(self) -> tuple[int, int]: ...


class ConsoleDesk(ConsoleChannel):
    """The console channel of a session: delivers like any console channel, and takes the lines
    the session kept in the inbox, showing each reply to the one who typed the line."""

    def __init__(self, sink: Callable[[str], None], gateway: Gateway, locale: str,
                 replied: Callable[[str, Reply], None] | None = None, *,
                 charts: Path | None = None, font: str | None = None) -> None:
        super().__init__(sink, charts=charts, font=font)
        self.gateway = gateway
        self.locale = locale  # the session's language
        self.replied = replied  # told of each reply after it was shown (the dialogue it starts)

    async def take(self, kept: dict[str, Any]) -> None:
        name = str(kept["name"])
        reply = await self.gateway.dispatch(Inbound(**kept["inbound"]))
        for message in reply.messages:
            # Replies to someone not in the directory carry no recipient.
            self.show(t("console.reply", self.locale, name=name), message,
                      recipient=message.recipient or f"{PLATFORM}:{name}")
        if self.replied is not None and not reply.duplicate:
            self.replied(name, reply)

    async def gave_up(self, kept: dict[str, Any]) -> None:
        self.sink(t("console.gave_up", self.locale, name=str(kept["name"])))

    def origin(self, kept: dict[str, Any]) -> tuple[str, str]:
        """Every console line comes from the local workspace."""
        return PLATFORM, PLATFORM_TENANT


@dataclass(frozen=True)
class ClockMove:
    """A `clock` command: forward by working days or a duration, or to a local wall time."""

    working_days: int = 0
    delta: timedelta = timedelta(0)
    local: datetime | None = None  # naive, in the tenant's time zone

    def target(self, now: datetime, calendar: WorkCalendar) -> datetime:
        if self.local is not None:
            return calendar.local_instant(self.local.date(), self.local.time())
        if self.working_days:
            return calendar.add_working_days(now, self.working_days)
        return now + self.delta


def parse_clock(text: str) -> ClockMove | None:
    """'+3wd' (working days), '+7d', '+24h', '+90m', or 'YYYY-MM-DD HH:MM' local; else None."""
    folded = fold(text).strip()
    move = _MOVE.fullmatch(folded)
    if move is not None:
        amount, unit = int(move.group(1)), move.group(2)
        if unit == "wd":
            return ClockMove(working_days=amount)
        return ClockMove(delta=timedelta(**{_UNITS[unit]: amount}))
    at = local_time(folded)
    return ClockMove(local=datetime.strptime(at, "%Y-%m-%d %H:%M")) if at else None


class ConsoleSession:
    """One console conversation over a Services whose clock is `clock`; output goes to `out`."""

    def __init__(
        self,
        services: Services,
        clock: ManualClock,
        out: Callable[[str], None] = print,
        *,
        locale: str | None = None,
        echo: bool = False,
        worker: Ticker | None = None,
        directory: ConsoleDirectory | None = None,
        store: StateStore | None = None,
        charts: Path | None = None,
        font: str | None = None,
    ) -> None:
        """`charts`: where the weekly digest's chart is written (None: a temporary directory);
        `font`: the font it is drawn with (DOCUMENT_FONT)."""
        self.services = services
        self.clock = clock
        self.out = out
        self.locale = normalise_locale(locale)
        self.echo = echo  # scripts: show each line before what it caused
        self.channel = ConsoleDesk(out, services.gateway, self.locale, self._follow, charts=charts, font=font)
        services.channels.register(self.channel)
        self.worker = worker or Worker(services)
        self.directory = directory or StorageDirectory(services.uow_factory)
        self.store = store
        self.kept: dict[str, dict[str, Any]] = {}  # what the store holds, to write only changes
        self.kept_now: datetime | None = None  # the clock a previous session kept
        self.met: dict[str, ConsoleUser] = {}
        self.dialogs: dict[str, Dialog] = {}  # console id -> the dialogue they are in
        self.done = False

    async def restore(self, *, clock: bool = True) -> None:
        """Take back the last cards (and, if `clock`, the time) a previous session kept."""
        if self.store is None:
            return
        self.kept = await self.store.load()
        for key, value in self.kept.items():
            if key.startswith(CARD_KEY):
                self.channel.recall(key.removeprefix(CARD_KEY), value)
            elif key.startswith(DIALOG_KEY) and (dialog := guided.from_json(value)) is not None:
                self.dialogs[key.removeprefix(DIALOG_KEY)] = dialog
        saved = self.kept.get(CLOCK_KEY, {}).get("now")
        if isinstance(saved, str):
            with contextlib.suppress(ValueError):  # unreadable: start from the time given
                kept = datetime.fromisoformat(saved)
                self.kept_now = kept if kept.tzinfo is not None else None  # no zone: unreadable too
        if clock and self.kept_now is not None:
            self.clock.set(self.kept_now)

    def refuse_start_before_kept_clock(self) -> bool:
        """Say so and return True when the time given to start at lies before the clock a
        previous session kept: the case files already hold later events, and the clock only
        moves forward (as `clock` refuses a time in the past)."""
        if self.kept_now is None or self.clock.now() >= self.kept_now:
            return False
        self.say("console.start_backwards", start=self._local(self.clock.now()), now=self._local(self.kept_now),
                 database=safe_url(self.services.settings.DATABASE_URL))
        return True

    async def keep(self) -> None:
        """Write the clock and the cards that changed since the last write."""
        if self.store is None:
            return
        now = {CLOCK_KEY: {"now": self.clock.now().isoformat()}}
        cards = {CARD_KEY + recipient: value for recipient, value in self.channel.shown_cards().items()}
        # An ended dialogue is written as {} (the store only adds and replaces).
        dialogs = {key: {} for key in self.kept if key.startswith(DIALOG_KEY)}
        dialogs.update({DIALOG_KEY + name: guided.to_json(d) for name, d in self.dialogs.items()})
        for key, value in {**now, **cards, **dialogs}.items():
            if self.kept.get(key) != value:
                await self.store.save(key, value)
                self.kept[key] = value

    def say(self, key: str, **params: object) -> None:
        self.out(t(key, self.locale, **params))

    async def handle_line(self, line: str) -> None:
        text = readable(line)
        if text is None:
            self.say("console.unreadable")
            return
        stripped = text.strip()
        if not stripped:
            return
        if stripped.startswith("#"):
            if self.echo:
                self.out(stripped)
            return
        if self.echo:
            self.out(f"» {stripped}")
        as_match = _AS.fullmatch(stripped)
        word, _, rest = stripped.partition(" ")
        word = word.lower()
        if as_match is not None:
            await self.speak(as_match.group(1), as_match.group(2).strip())
        elif word == "clock":
            await self.move_clock(rest)
        elif word == "tick" and not rest:
            fired, sent = await self.worker.run_once()
            self.say("console.tick", fired=fired, sent=sent)
            await self.keep()
        elif word == "who" and not rest:
            self.who()
        elif word in ("help", "?") and not rest:
            self.say("console.help")
        elif word in ("quit", "exit") and not rest:
            self.done = True
        else:
            self.say("console.unknown", line=stripped[:60])

    async def speak(self, name: str, text: str) -> None:
        """Send `text` as console user `name` (or answer the dialogue they are in), show the reply,
        then let the worker deliver."""
        user = await self.directory.lookup(name)
        if user is not None:
            self.met[name] = user
        locale = user.locale if user else self.locale
        press = _PRESS.fullmatch(text)
        dialog = self.dialogs.get(name)
        if press:
            self.dialogs.pop(name, None)  # pressing a button ends any dialogue
            await self._press(name, user, int(press.group(1)), press.group(2) or "", locale)
        elif dialog is not None and guided.is_answer(dialog, parse(text)):
            await self._answer(name, dialog, text, locale)
        else:
            self.dialogs.pop(name, None)  # a command ends whatever dialogue was going on
            await self._send(name, self._inbound(name, parse(text)))
        await self.keep()

    async def _send(self, name: str, inbound: Inbound) -> None:
        await self.services.gateway.accept(
            PLATFORM, f"{PLATFORM}:{uuid.uuid4().hex}", f"{PLATFORM}:{PLATFORM_TENANT}:{name}",
            {"name": name, "inbound": asdict(inbound)})
        await self.settle()

    def _inbound(
        self, name: str, parsed: Parsed | ParseError, case_version: int | None = None
    ) -> Inbound:
        return to_inbound(parsed, platform=PLATFORM, platform_tenant=PLATFORM_TENANT,
                          user_id=name, case_version=case_version)

    async def _press(self, name: str, user: ConsoleUser | None, number: int, text: str,
                     locale: str) -> None:
        if user is None:
            self.say("console.unknown_user", name=name)
            return
        card = self.channel.last_card(user.recipients)
        if card is None:
            self.say("console.no_card", name=name)
            return
        if not 1 <= number <= len(card.actions):
            self.say("console.no_button", name=name, count=len(card.actions))
            return
        button = card.actions[number - 1]
        # Through the same compact value a Slack or WeCom button carries.
        ref = decode_action(encode_action(button))
        assert ref is not None
        asks = ref.action == "evidence" and ref.case_ref and not text
        dialog = None if asks else guided.start(ref.action, ref.case_ref, ref.case_version, ref.arg)
        # The confirmation shows with the press, unless the first question is asked with it.
        shown = "" if asks or (dialog is not None and not text) else button.confirm or ""
        self.out(t("console.pressed", self.locale, label=button.label, confirm=shown).rstrip())
        if asks:
            await self._ask_item(name, EvidenceDialog(str(ref.case_ref)), locale, started=True)
            return
        if dialog is None:
            parsed = parse_action(ref.action, ref.case_ref, text, arg=ref.arg)
            await self._send(name, self._inbound(name, parsed, ref.case_version))
            return
        if text:  # typed along with the press: the answer to the first question
            await self._answer(name, dialog, text, locale)
            return
        self.dialogs[name] = dialog
        self._tell(name, guided.opening(dialog, locale))

    async def _answer(self, name: str, dialog: Dialog, text: str, locale: str) -> None:
        """One step of `name`'s dialogue: ask the next question, again, or send the request."""
        if guided.control(text) == "cancel":
            turn = guided.cancelled(dialog, locale, text)
        elif isinstance(dialog, EvidenceDialog):
            item = await guided.next_item(self.services.uow_factory, workspace(PLATFORM).key,
                                          dialog.case_ref)
            if item is None:  # no evidence is asked for any more: the line is a command
                self.dialogs.pop(name, None)
                await self._send(name, self._inbound(name, parse(text)))
                return
            turn = guided.evidence_answer(dialog, item, text, locale)
        else:
            turn = guided.answer(dialog, text, locale)
        if turn.dialog is None:
            self.dialogs.pop(name, None)
        else:
            self.dialogs[name] = turn.dialog
        if turn.request is None:
            self._tell(name, turn.text)
            return
        version = dialog.case_version if isinstance(dialog, Guided) else None
        await self._send(name, self._inbound(name, turn.request, version))

    async def _ask_item(self, name: str, dialog: EvidenceDialog, locale: str, *, started: bool) -> None:
        item = await guided.next_item(self.services.uow_factory, workspace(PLATFORM).key, dialog.case_ref)
        if item is None:
            self.dialogs.pop(name, None)
            self._tell(name, guided.no_item(dialog.case_ref, locale))
            return
        self.dialogs[name] = dialog
        self._tell(name, guided.ask_item(item, dialog.case_ref, locale))
        if started:
            self.say("console.evidence_dialog", name=name)

    def _tell(self, name: str, text: str) -> None:
        """A question or note of the dialogue, shown like a reply to `name`."""
        self.out(f"{t('console.reply', self.locale, name=name)}\n{text}")

    def _follow(self, name: str, reply: Reply) -> None:
        """A reply may start the guided evidence dialogue (an evidence prompt) or end it."""
        current = self.dialogs.get(name)
        following = guided.after(reply, current)
        if following is None:
            self.dialogs.pop(name, None)
            return
        self.dialogs[name] = following
        if following != current:
            self.say("console.evidence_dialog", name=name)

    async def settle(self) -> None:
        """Run the worker (kept lines, due timers, the outbox) until it has nothing left to do."""
        for _ in range(MAX_WORKER_ROUNDS):
            taken = await self.worker.drain_inbox()
            fired, sent = await self.worker.run_once()
            if not taken and not fired and not sent:
                return

    async def move_clock(self, text: str) -> None:
        calendar = self.services.deps.calendar
        move = parse_clock(text)
        if move is None:
            self.say("console.bad_clock")
            return
        now = self.clock.now()
        target = move.target(now, calendar)
        if target < now:
            self.say("console.clock_backwards", now=self._local(now))
            return
        self.clock.set(target)
        self.show_clock()
        await self.settle()
        await self.keep()

    def show_clock(self) -> None:
        self.say("console.clock", now=self._local(self.clock.now()),
                 zone=self.services.deps.calendar.tz.key)

    def _local(self, instant: datetime) -> str:
        local = instant.astimezone(self.services.deps.calendar.tz)
        weekday = t("console.weekdays", self.locale).split(",")[local.weekday()]
        return f"{local:%Y-%m-%d %H:%M} {weekday}"

    def who(self) -> None:
        if not self.met:
            self.say("console.who_empty")
        for user in self.met.values():
            self.say("console.who", name=user.name, display=user.display,
                     roles=", ".join(sorted(user.roles)) or "—", locale=user.locale)
