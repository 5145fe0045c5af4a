"""Command texts (zh-CN and en): what was wrong with a command, its usage line, the help listing.

The texts are catalogue entries: router.form.<command> and router.about.<command> make the help
listing, router.usage.<command> is the "usage:" line shown after an error (tests keep them in step).
"""

from __future__ import annotations

from collections.abc import Iterable

from workflow.commands import BY_NAME, COMMANDS, audiences_for
from workflow.i18n import t


def usage(name: str, locale: str | None) -> str:
    """The usage line of command `name` (the help line when there is no such command)."""
    return t(f"router.usage.{name if name in BY_NAME else 'help'}", locale)


def _lines(commands: Iterable[str], locale: str | None) -> list[str]:
    return [f"• {t(f'router.form.{n}', locale)} — {t(f'router.about.{n}', locale)}"
            for n in commands]


def help_text(locale: str | None, roles: frozenset[str]) -> str:
    """The commands a person with `roles` may use, grouped for employees, managers and HR."""
    out = [t("router.help.title", locale)]
    for audience in audiences_for(roles):
        out.append("")
        out.append(t(f"router.help.{audience.value}", locale))
        out.extend(_lines((c.name for c in COMMANDS if c.audience is audience), locale))
    out.append("")
    out.append(t("router.help.footer", locale))
    return "\n".join(out)
