"""Keep WeCom secrets out of the HTTP libraries' logs.

WeCom puts them in query strings: `gettoken?corpsecret=…`, `?access_token=…` on every call, and
the robot webhook's `?key=…`. requests (urllib3, at DEBUG) and httpx (at INFO) log request URLs;
this filter blanks those values before any handler sees the record.
"""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"((?:corpsecret|access_token|key)=)[^&\s\"']+")
_LOGGERS = ("urllib3.connectionpool", "httpx")


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install() -> None:
    """Attach the filter to the loggers that print request URLs (once)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
