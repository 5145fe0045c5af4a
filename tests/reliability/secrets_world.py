"""What the privacy tests configure and look for: every secret setting with a unique real-looking
value, a case's salary figures and protected status, and the marks none of them may leave in a log.

RELIABILITY.md §6. The case is a mutual separation (allowed while pregnant, LCL Art. 36/42) with
salary figures that appear nowhere else.
"""

from __future__ import annotations

import base64
import os
import re
import uuid

from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.settings import Settings
from tests.bot.services_support import closed_port

DB_PASSWORD = "Pg-" + uuid.uuid4().hex  # trust auth on the test server: sent, never checked
AVG_WAGE, PREV_WAGE = "23456.78", "24680"
COMPENSATION = "129012.29"  # 5.5 months (2019-03-15 .. 2024-06-30) x 23456.78
SALARY_MARKS = ("23456", "23,456", "24680", "24,680", "129012", "129,012")
PROTECTED_MARKS = ("pregnant", "Pregnant", "PREGNANT", "孕")
FACTS = {"hired": "2019-03-15", "last_day": "2024-06-30", "avg_wage": AVG_WAGE, "prev_wage": PREV_WAGE,
         "proposed_by": "employer", "protections": "pregnant", "confirm": "yes"}
# Shapes of secrets whatever their value: Slack tokens, and a signing link whose token is not masked.
TOKEN_SHAPES = {r"\bxox[a-z]-": "a Slack token", r"\bxapp-": "a Slack app-level token",
                r"/sign/(?!\*\*\*|static/)[A-Za-z0-9_-]": "a raw signing link"}


def _secret_value(name: str) -> str:
    """A value shaped like the real thing, unique to this run."""
    unique = uuid.uuid4().hex
    if name == "WECOM_AES_KEY":
        return base64.b64encode(os.urandom(32)).decode().rstrip("=")  # 43 characters
    if name == "WECOM_HR_WEBHOOK":
        return f"http://127.0.0.1:{closed_port()}/cgi-bin/webhook/send?key={uuid.uuid4()}"
    if name == "SLACK_BOT_TOKEN":
        return f"xoxb-1234567890-{unique}"
    if name == "SLACK_APP_TOKEN":
        return f"xapp-1-A0123-{unique}"
    if name in ("SLACK_TOKEN_KEYS", "SECRET_KEYS"):
        return ",".join(Fernet.generate_key().decode() for _ in range(2))
    return f"{name.lower()}-{unique}"


# Every SecretStr setting.
SECRET_NAMES = frozenset(name for name, field in Settings.model_fields.items()
                         if SecretStr in getattr(field.annotation, "__args__", (field.annotation,)))


def secret_settings() -> dict[str, str]:
    """Every SecretStr setting, with what the validators want beside them; platform APIs point at
    a closed local port, so nothing leaves the machine."""
    secrets = {name: _secret_value(name) for name in SECRET_NAMES}
    assert secrets, "no SecretStr settings found: what would this test protect?"
    companions = {"SLACK_CLIENT_ID": "1234567890.0987654321", "WECOM_CORP_ID": "ww" + uuid.uuid4().hex[:16],
                  "WECOM_AGENT_ID": "1000002", "SLACK_API_URL": f"http://127.0.0.1:{closed_port()}/api/",
                  "WECOM_API_URL": f"http://127.0.0.1:{closed_port()}/cgi-bin/"}
    return {**{k: v for k, v in companions.items() if k in Settings.model_fields}, **secrets}


def with_password(url: str) -> str:
    return make_url(url).set(password=DB_PASSWORD).render_as_string(hide_password=False)


def forbidden(secrets: dict[str, str]) -> dict[str, str]:
    """What must appear in no log and no group message, each with why (the ids beside the secrets,
    such as the public SLACK_CLIENT_ID, may)."""
    secrets = {name: value for name, value in secrets.items() if name in SECRET_NAMES}
    marks = {value: f"secret {name}" for name, value in secrets.items()}
    marks.update({part: f"secret {name}" for name, value in secrets.items() for part in value.split(",")})
    marks.update({secrets[name].rsplit("key=", 1)[-1]: f"secret {name}"
                  for name in secrets if name.endswith("WEBHOOK")})
    marks[DB_PASSWORD] = "the database password"
    marks.update({mark: "a salary figure" for mark in SALARY_MARKS})
    marks.update({mark: "a protected-status fact" for mark in PROTECTED_MARKS})
    return marks


def _pattern(mark: str) -> str:
    # A figure counts standing alone (¥23,456.78, "avg_wage": 23456.78, 23456元), not as a run of
    # digits inside a hash, a ciphertext or an id, where any five digits turn up by chance.
    if mark.replace(",", "").isdigit():
        return rf"(?<![0-9A-Za-z]){re.escape(mark)}(?![0-9A-Za-z])"
    return re.escape(mark)


def leaking_lines(text: str, marks: dict[str, str]) -> list[str]:
    """The lines of `text` carrying any of the marks."""
    found = re.compile("|".join(map(_pattern, marks)))
    return [line for line in text.splitlines() if found.search(line)]


def leaks(text: str, marks: dict[str, str]) -> list[str]:
    return [f"{why} ({mark!r})" for mark, why in marks.items() if re.search(_pattern(mark), text)]


def shaped_leaks(text: str) -> list[str]:
    """Secrets recognised by their shape (a token the test did not configure, a signing link)."""
    return [f"{why}: {match.group(0)!r}" for shape, why in TOKEN_SHAPES.items()
            for match in re.finditer(rf"{shape}\S{{0,40}}", text)]
