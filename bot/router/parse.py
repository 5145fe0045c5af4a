"""Chat text → a named request (`Parsed`) or a reason it could not be read (`ParseError`).

No I/O and no exceptions: whatever a person types, the answer is one of the two, and a
`ParseError` names a catalogue text (router.*) plus the usage line of the command meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from bot.router import readers
from handlers.contracts import Inbound
from workflow.case import LAYOFF_ROUND_FACTS
from workflow.commands import (
    BY_NAME,
    BY_VERB,
    COMMAND_WORDS,
    GLUED_COMMAND_WORDS,
    GLUED_VERBS,
    Command,
    Rest,
    written_in,
)
from workflow.model import Ground

# Words are separated by any Unicode space (the ideographic "　" too) and zero-width characters
# that copy-paste from WeCom leaves behind.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_WORD = re.compile(rf"[^\s{_ZERO_WIDTH}]+")
# How much of a wrong word an error message quotes back.
_QUOTE = 40


@dataclass(frozen=True)
class Parsed:
    """A request: `name` is the Inbound name, `args` JSON-safe readers."""

    name: str
    case_ref: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    # The language of the words recognised ("en", "zh-CN"), if any; not part of what was asked.
    written: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ParseError:
    """Why text could not be read: `code` is a catalogue key formatted with `params`."""

    code: str
    params: dict[str, str] = field(default_factory=dict)
    usage_key: str = "router.usage.help"
    # The language of the command's verb, when it was recognised and what followed was not.
    written: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _Word:
    raw: str
    start: int
    end: int

    @property
    def folded(self) -> str:
        return readers.fold(self.raw) if len(self.raw) <= readers.MAX_WORD else ""


class _Words:
    """A cursor over the words of a text; the remainder keeps the person's own spacing."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> _Word | None:
        match = _WORD.search(self.text, self.pos)
        return None if match is None else _Word(match.group(), match.start(), match.end())

    def take(self) -> _Word | None:
        word = self.peek()
        if word is not None:
            self.pos = word.end
        return word

    def take_prefix(self, word: _Word, length: int) -> None:
        """Consume only the first `length` characters of `word` (a verb glued to its argument)."""
        self.pos = word.start + length

    def rest(self) -> str:
        text = self.text[self.pos:]
        previous = None
        while text != previous:
            previous, text = text, text.strip().strip(_ZERO_WIDTH)
        return text


def _quote(text: str) -> str:
    return text if len(text) <= _QUOTE else text[: _QUOTE - 1] + "…"


def _error(code: str, command: Command | None = None, **params: str) -> ParseError:
    usage = f"router.usage.{command.name}" if command else "router.usage.help"
    return ParseError(code, params, usage)


def _match_glued(words: _Words, word: _Word, vocabulary: tuple[str, ...]) -> str | None:
    """A Chinese word typed without a space after it ("提交7"): consume it, leave the rest."""
    for prefix in vocabulary:
        if word.raw.startswith(prefix) and len(word.raw) > len(prefix):
            words.take_prefix(word, len(prefix))
            return prefix
    return None


def parse(text: str) -> Parsed | ParseError:
    """Read one chat message. Never raises."""
    words = _Words(text if isinstance(text, str) else "")
    first = words.peek()
    if first is None:
        return Parsed("help")
    introduced = first.folded in COMMAND_WORDS
    said = None  # the language of the command word, then of the verb
    if introduced:
        said = written_in(first.folded)
        words.take()
    elif glued_word := _match_glued(words, first, GLUED_COMMAND_WORDS):
        introduced, said = True, written_in(glued_word)
    verb = words.peek()
    if verb is None:
        return Parsed("help", written=said)
    if readers.is_mention(verb.raw):
        return _read(BY_NAME["open"], words, None, said)
    command = BY_VERB.get(verb.folded)
    if command is not None:
        said = written_in(verb.folded) or said
        words.take()
    else:
        glued = _match_glued(words, verb, GLUED_VERBS)
        command = BY_VERB.get(glued) if glued else None
        said = written_in(glued) if glued else said
    if command is None:
        if introduced and _names_ground_next(words, verb):
            return _read(BY_NAME["open"], words, None, said)
        return _error("router.unknown_verb", value=_quote(verb.raw))
    return _read(command, words, None, said)


def parse_action(
    action: str, case_ref: str | None, text: str = "", *, arg: str | None = None
) -> Parsed | ParseError:
    """A button press (`action` drawn on a card for `case_ref`), with any text typed along with it.

    The action is read like a typed verb, so 'reject' needs its reason here as when typed; `arg`
    is a value the card fixed (a handover item id), read as the first word.
    """
    command = BY_VERB.get(action)
    if command is None:
        return _error("router.unknown_verb", value=_quote(action))
    typed = text if isinstance(text, str) else ""
    return _read(command, _Words(f"{arg} {typed}" if arg else typed), case_ref)


def _names_ground_next(words: _Words, word: _Word) -> bool:
    """'退工 张三 不能胜任': an employee named without '@' followed by a ground."""
    after = _Words(words.text)
    after.pos = word.end
    following = after.peek()
    return following is not None and readers.ground(following.raw) is not None


def _read(
    command: Command, words: _Words, case_ref: str | None, said: str | None = None
) -> Parsed | ParseError:
    read = _read_args(command, words, case_ref, said)
    return replace(read, written=said) if isinstance(read, ParseError) else read


def _read_args(
    command: Command, words: _Words, case_ref: str | None, said: str | None
) -> Parsed | ParseError:
    if case_ref is None and command.case != "none":
        word = words.peek()
        if word is not None:
            case_ref = readers.case_ref(word.raw)
            if case_ref is None:
                return _error("router.bad_case_ref", command, value=_quote(word.raw))
            words.take()
        elif command.case == "required":
            return _error("router.missing_arg.case", command)
    args = _READERS[command.rest](command, words)
    if isinstance(args, ParseError):
        return args
    if said is None and command.name == "open":
        said = args.pop("written", None)  # "@alice incompetent": the ground's language
    else:
        args.pop("written", None)
    return Parsed(command.name, case_ref, args, said)


Args = dict[str, Any] | ParseError


def _note(words: _Words, key: str = "note") -> dict[str, Any]:
    rest = words.rest()
    return {key: rest} if rest else {}


def _read_nothing(command: Command, words: _Words) -> Args:
    return _note(words)


def _read_text(command: Command, words: _Words) -> Args:
    args = _note(words, command.key)
    if command.required and not args:
        return _error(f"router.missing_arg.{command.key}", command)
    return args


def _read_time(command: Command, words: _Words) -> Args:
    first = words.take()
    if first is None:
        return _error("router.missing_arg.talk_at", command)
    second = words.peek()
    if second is not None:
        at = readers.local_time(f"{first.raw} {second.raw}")
        if at is not None:
            words.take()
            return {"talk_at": at, **_note(words)}
    at = readers.local_time(first.raw)
    if at is None:
        return _error("router.bad_time", command, value=_quote(words.text[first.start:].strip()))
    return {"talk_at": at, **_note(words)}


def _read_item(command: Command, words: _Words) -> Args:
    word = words.take()
    if word is None:
        return _error("router.missing_arg.item", command)
    item = readers.item_id(word.raw)
    if item is None:
        return _error("router.bad_item", command, value=_quote(word.raw))
    return {"item": item, **_note(words)}


def _read_hash(command: Command, words: _Words) -> Args:
    """'sign C-0001 <sha256>': the hash a confirmation showed; anything else is only a note (the
    request then brings the confirmation step, it does not sign)."""
    word = words.peek()
    found = readers.document_hash(word.raw) if word is not None else None
    if found is None:
        return _note(words)
    words.take()
    return {"document_hash": found, **_note(words)}


def _read_facts(command: Command, words: _Words) -> Args:
    facts: dict[str, str] = {}
    while (word := words.take()) is not None:
        pair = readers.fact(word.raw)
        if pair is None:
            return _error("router.bad_fact", command, value=_quote(word.raw))
        key, value = pair
        facts[key] = value
    if command.rest is Rest.CONFIRM_FACTS:
        facts.setdefault("confirm", "yes")
    if not facts:
        return _error("router.missing_arg.facts", command)
    return {"facts": facts}


def _read_open(command: Command, words: _Words) -> Args:
    word = words.take()
    if word is None:
        return _error("router.missing_arg.employee", command)
    employee = readers.mention(word.raw) if readers.is_mention(word.raw) else word.raw
    if not employee:
        return _error("router.missing_arg.employee", command)
    next_word = words.peek()
    ground = readers.ground(next_word.raw) if next_word is not None else None
    written = written_in(readers.fold(next_word.raw)) if next_word is not None else None
    if ground is not None:
        words.take()
    else:
        glued = readers.split_glued_ground(employee)
        if glued is not None:
            employee, ground = glued
        elif next_word is None:
            return _error("router.missing_arg.ground", command)
        else:
            return _error("router.bad_ground", command, value=_quote(next_word.raw))
    language = {"written": written} if written else {}
    if ground is Ground.LAYOFF:
        return {"employee": employee, "ground": ground.value, **_layoff_round(words), **language}
    return {"employee": employee, "ground": ground.value, "note": words.rest(), **language}


def _layoff_round(words: _Words) -> dict[str, Any]:
    """'headcount=100 reduced=12' (职工总数=100 裁减=12) anywhere after a layoff: the round's
    numbers as typed, for the handler to judge; the other words stay the note."""
    numbers: dict[str, str] = {}
    note: list[str] = []
    while (word := words.take()) is not None:
        pair = readers.fact(word.raw)
        if pair is not None and pair[0] in LAYOFF_ROUND_FACTS:
            numbers[pair[0]] = pair[1]
        else:
            note.append(word.raw)
    return {"note": " ".join(note), **({"facts": numbers} if numbers else {})}


def _read_evidence(command: Command, words: _Words) -> Args:
    kind = words.take()
    if kind is None:
        return _error("router.missing_arg.kind", command)
    content = words.rest()
    if not content:
        return _error("router.missing_arg.content", command)
    return {"kind": kind.raw, "content": content}


def _read_delegate(command: Command, words: _Words) -> Args:
    """'@wang until 2027-01-10' (the 'until' word may be left out), or 'off'."""
    word = words.take()
    if word is None:
        return _error("router.missing_arg.delegate", command)
    if word.folded in readers.DELEGATION_OFF:
        return {"off": True}
    who = readers.mention(word.raw) if readers.is_mention(word.raw) else word.raw
    if not who:
        return _error("router.missing_arg.delegate", command)
    last = words.take()
    if last is not None and last.folded in readers.UNTIL_WORDS:
        last = words.take()
    if last is None:
        return _error("router.missing_arg.until", command)
    until = readers.local_date(last.raw)
    if until is None:
        return _error("router.bad_date", command, value=_quote(last.raw))
    return {"delegate": who, "until": until}


def _read_snooze(command: Command, words: _Words) -> Args:
    """An optional length ('2d', '4h', '3天'); without one the default applies."""
    word = words.take()
    if word is None:
        return {}
    minutes = readers.duration(word.raw)
    if minutes is None:
        return _error("router.bad_duration", command, value=_quote(word.raw))
    return {"minutes": minutes}


_READERS = {
    Rest.NOTHING: _read_nothing,
    Rest.TEXT: _read_text,
    Rest.TIME: _read_time,
    Rest.ITEM: _read_item,
    Rest.FACTS: _read_facts,
    Rest.CONFIRM_FACTS: _read_facts,
    Rest.OPEN: _read_open,
    Rest.EVIDENCE: _read_evidence,
    Rest.HASH: _read_hash,
    Rest.DELEGATE: _read_delegate,
    Rest.SNOOZE: _read_snooze,
}


def to_inbound(
    parsed: Parsed | ParseError,
    *,
    platform: str,
    platform_tenant: str,
    user_id: str,
    delivery_id: str | None = None,
    locale: str | None = None,
    case_version: int | None = None,
) -> Inbound:
    """The normalised request for the handlers; an unreadable text becomes name "parse_error"
    so the handlers answer it in the person's own language."""
    if isinstance(parsed, ParseError):
        name, case_ref = "parse_error", None
        args: dict[str, Any] = {
            "code": parsed.code, "params": dict(parsed.params), "usage_key": parsed.usage_key,
        }
    else:
        name, case_ref, args = parsed.name, parsed.case_ref, dict(parsed.args)
    return Inbound(
        platform=platform,
        platform_tenant=platform_tenant,
        user_id=user_id,
        name=name,
        case_ref=case_ref,
        case_version=case_version,
        args=args,
        delivery_id=delivery_id,
        locale=locale,
        written=parsed.written,
    )
