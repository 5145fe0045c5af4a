"""How a case fact is named and its value shown to a person, wholly in their language.

The fact keys (avg_wage, last_day …) are the typed command's syntax, never a label: a card names a
fact by its catalogue label (the same one the Slack facts form shows) and a value by its word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from workflow.i18n import has, t


def fact_label(key: str, locale: str) -> str:
    """The fact's name in `locale`; a key no catalogue names (an old record's) is shown as stored."""
    name = f"slack.fact.{key}"
    return t(name, locale) if has(name) else key


def fact_value(value: object, locale: str) -> str:
    """A fact's value as a person reads it: yes/no, choices and protections in words."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("slack.choice.yes" if value else "slack.choice.no", locale)
    if isinstance(value, list | tuple):
        words = [t(f"slack.protection.{v}", locale) if has(f"slack.protection.{v}") else str(v)
                 for v in value]
        return listing(words, locale) or t("h.none", locale)
    if isinstance(value, str) and has(f"slack.choice.{value}"):
        return t(f"slack.choice.{value}", locale)
    return str(value)


def listing(words: Iterable[str], locale: str) -> str:
    """Words run together the way `locale` lists them ("a, b" / "a、b")."""
    return t("h.list_separator", locale).join(words)


def fact_names(keys: Iterable[str], locale: str) -> str:
    """Missing or changed facts, named."""
    return listing((fact_label(k, locale) for k in keys), locale)


def facts_lines(entries: Mapping[str, object], locale: str) -> str:
    """Every fact entered, one "name: value" a line, in key order (stable between cards)."""
    return "\n".join(t("h.fact_entry", locale, label=fact_label(k, locale), value=fact_value(v, locale))
                     for k, v in sorted(entries.items()))
