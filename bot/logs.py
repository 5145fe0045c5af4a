"""Process-wide logging: one plain-text format on stderr, and one filter that keeps secrets (and
salary and protected-status facts) out.

Every logger (ours, slack_sdk, httpx, urllib3, SQLAlchemy, aiosqlite, uvicorn …) propagates to the
root handler, so the redaction filter sits there, once: it masks the configured secrets (see
`Settings.secret_values`) and anything shaped like a token, in the message, its arguments and the
exception text, before any handler formats the record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from storage.private_files import private_file
from workflow.case import LIST_FACT_KEYS, MONEY_FACTS
from workflow.compliance.facts import Protection

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
PAYLOAD = "(payload not logged)"

# Shapes of secrets whatever their value, each masked after the part that says what it was:
# Slack tokens (bot, user, app-level, refresh, …), the signing page's bearer links, Slack's
# incoming-webhook and response_url addresses (whoever has one can post with it), secrets in
# query strings (WeCom's corpsecret and access_token, the group robot's key, OAuth's code and
# state) and in JSON bodies, and Authorization headers.
_SECRET_FIELDS = "access_token|refresh_token|bot_token|client_secret|corpsecret|token|code"
_SECRET_PARAMS = _SECRET_FIELDS + "|key|state"
_TOKEN_SHAPES = (
    (re.compile(r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]+"), MASK),
    (re.compile(r"(/sign/)[^/\s?\"'#<>]+"), rf"\1{MASK}"),
    (re.compile(r"(hooks\.slack\.com/[a-z]+/)[^\s?\"'#<>,]+"), rf"\1{MASK}"),
    (re.compile(rf"([?&](?:{_SECRET_PARAMS})=)[^&\s\"']+"), rf"\1{MASK}"),
    (re.compile(rf"([\"'](?:{_SECRET_FIELDS})[\"']\s*:\s*[\"'])[^\"']+"), rf"\1{MASK}"),
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer\s+|basic\s+)?)[^\"'\s,}]+"),
     rf"\1{MASK}"),
)
# Salary figures and protected statuses (pregnancy, illness …) are personal data no log needs:
# a fact key's value is masked however it is written — `avg_wage=12000`, JSON `"avg_wage": "12000"`,
# a repr's `'avg_wage': Decimal('12000')`, a list or tuple of protections — and a protected status's
# name is masked wherever it stands.
_FACT_KEYS = "|".join((*MONEY_FACTS, *LIST_FACT_KEYS))
_FACT_VALUE = r"(?:Decimal\([^)]*\)|\[[^\]]*\]|\([^)]*\)|\"[^\"]*\"|'[^']*'|[^\s,;&)}\]]+)"
_FACT_SHAPES = (
    (re.compile(rf"([\"']?\b(?:{_FACT_KEYS})\b[\"']?\s*[:=]\s*){_FACT_VALUE}"), rf"\1{MASK}"),
    (re.compile(rf"\b(?:{'|'.join(p.value for p in Protection)})\b", re.IGNORECASE), MASK),
)
# Lines that print a whole HTTP payload: slack_sdk's "Sending a request - url: POST …, params: …,
# json: {the message}" and "Received the following response - status: 200, headers: …, body: {the
# message echoed back}" (Web API and response_url/webhook clients alike). A payload is what people
# were sent — a card with the compensation figure, the HR modal listing protected statuses, a
# signing link — and no filter can tell a salary in a sentence from any other number; what was
# called and how it ended stays.
_PAYLOAD_SHAPES = (
    (re.compile(r"^(Sending a request(?: - url)?: (?:[A-Z]+ )?[^,\s]+).+", re.DOTALL), rf"\1 {PAYLOAD}"),
    (re.compile(r"^(Received the following response - status: [^,\s]+).+", re.DOTALL), rf"\1 {PAYLOAD}"),
)
# Secrets shorter than this are not masked by value: they would mask ordinary words.
_MIN_SECRET = 6


class RedactSecrets(logging.Filter):
    """Masks secrets in a record in place, so every handler after this one sees it masked too."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._values: re.Pattern[str] | None = None

    def add(self, secrets: Iterable[str]) -> None:
        """Mask these values from now on (longest first, so no secret is half-masked)."""
        self._secrets.update(s for s in secrets if s and len(s) >= _MIN_SECRET)
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._values = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def redact(self, text: str) -> str:
        if self._values is not None:
            text = self._values.sub(MASK, text)
        for shape, replacement in (*_PAYLOAD_SHAPES, *_TOKEN_SHAPES, *_FACT_SHAPES):
            text = shape.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # args that do not fit the format: the handler would print both raw
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


# The one filter of the process: configure_logging puts it on the root handler.
REDACTOR = RedactSecrets()


def mask_secrets(secrets: Iterable[str]) -> None:
    """Add the configured secrets' values to what the filter masks."""
    REDACTOR.add(secrets)


# Loggers held at WARNING whatever LOG_LEVEL says. SQLAlchemy's engine (at INFO) and aiosqlite (at
# DEBUG, SQLite's worker thread) print every statement with its bound values: names, wages, the
# facts, every message people are sent. Those belong in no log. Alembic narrates every migration
# check (`db upgrade` prints the result itself); transitions narrates every state callback (the
# audit log is our record of transitions).
QUIET_LOGGERS = ("sqlalchemy.engine", "aiosqlite", "alembic", "transitions")
# Loggers given LOG_LEVEL as their own level. slack_sdk's Web API and webhook clients decide
# whether to write their debug lines from their logger's own level, not the effective one, and an
# unset level (0) passes that test: every call then formats its whole payload into a line nobody
# prints (a tenth of a delivery's CPU).
OWN_LEVEL_LOGGERS = ("slack_sdk.web.async_base_client", "slack_sdk.web.base_client",
                     "slack_sdk.webhook.async_client", "slack_sdk.webhook.client")


def configure_logging(level: str) -> None:
    """Send every logger (uvicorn's too: we start it with log_config=None) to stderr, redacted."""
    logging.basicConfig(level=level, format=FORMAT, force=True)
    for handler in logging.getLogger().handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in OWN_LEVEL_LOGGERS:
        logging.getLogger(name).setLevel(level)


def log_to_file(path: Path) -> None:
    """Send every log line to `path` instead of stderr (the console: a transcript stays clean).
    Owner-only, and so is the directory it makes: the console's log is often the first thing
    in DATA_DIR, which goes on to hold the signing key."""
    private_file(path)
    handler = logging.FileHandler(path, encoding="utf-8", errors="backslashreplace")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
