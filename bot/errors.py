"""Failures an operator can fix: their message says what is wrong and which command helps."""

from __future__ import annotations

from sqlalchemy.engine import make_url

UPGRADE_COMMAND = "python -m bot db upgrade"


class OperatorError(Exception):
    """Shown to the operator as one line (the CLI exits 2), never as a traceback."""


class NotMigrated(OperatorError):
    """The database schema is missing or older than the code."""


class DatabaseUnavailable(OperatorError):
    """The database did not answer (wrong URL, server down, bad credentials)."""


def safe_url(url: str) -> str:
    """A database or Redis URL fit for messages and logs: the password is masked."""
    return make_url(url).render_as_string(hide_password=True)


def not_migrated(url: str) -> NotMigrated:
    return NotMigrated(
        f"the database {safe_url(url)} is not migrated to this version; "
        f"run `{UPGRADE_COMMAND}` first"
    )


def unreachable(url: str, error: BaseException) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"cannot reach the database {safe_url(url)}: {type(error).__name__}: {error}"
    )
