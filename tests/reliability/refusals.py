"""Which catalogue text a refusal is: read back from the rendered sentence, for tests to classify it.

A Reply carries text, not codes; every refusal is one catalogue template with its parameters
filled in, so each template becomes a pattern and the sentence is matched against them.
"""

from __future__ import annotations

import re
from functools import cache

from workflow.i18n import LOCALES, t

# Refused because of who asks: not a party, not in the directory, not in this tenant.
WHO = frozenset({
    "machine.refuse.party", "h.unknown_case", "h.unknown_user", "h.only_manager_evidence", "h.facts_only_hr",
    "h.item_not_owner", "h.report.only_hr", "company.only_hr", "h.not_a_manager", "h.self_case", "h.unknown_person",
    "h.own_manager_case",
})
# Refused because of where the case is: nobody could do it now.
STATE = frozenset({"machine.refuse.not_now", "h.evidence_closed", "h.facts_locked", "h.item_unknown",
                   "h.item_already"})
# Guards a person with the right can still trip over (named so the matrix can tell them apart).
GUARDS = frozenset({"machine.refuse.items_open", "h.case_exists"})

_MARK = "\x00param\x00"


@cache
def _pattern(code: str, locale: str) -> re.Pattern[str]:
    """The template with every parameter as a wildcard (parameter names found by trying)."""
    params: dict[str, str] = {}
    while True:
        try:
            text = t(code, locale, **params)
        except KeyError as missing:
            params[str(missing.args[0])] = _MARK
            continue
        break
    parts = [re.escape(part) for part in text.split(_MARK)]
    return re.compile("(?s)" + ".*?".join(parts))


def matches(code: str, text: str) -> bool:
    """Whether `text` is catalogue text `code` (in any language) with its parameters filled in."""
    return any(_pattern(code, locale).fullmatch(text) for locale in LOCALES)


def classify(text: str) -> tuple[str, str] | None:
    """(code, locale) of the known refusal `text` is, or None for any other text."""
    for code in (*sorted(WHO), *sorted(STATE), *sorted(GUARDS)):
        for locale in LOCALES:
            if _pattern(code, locale).fullmatch(text):
                return code, locale
    return None
