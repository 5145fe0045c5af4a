"""Process-wide logging: one plain-text format on stderr for the bot, uvicorn and SQLAlchemy."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Send every logger (uvicorn's too: we start it with log_config=None) to stderr."""
    logging.basicConfig(level=level, format=FORMAT, force=True)
    # SQLAlchemy logs every statement with its bound values (names, wages) when its logger is
    # enabled for INFO; those belong in no log.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    # Alembic narrates every migration check at INFO; `db upgrade` prints the result itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # transitions narrates every state callback; the audit log is our record of transitions.
    logging.getLogger("transitions").setLevel(logging.WARNING)
