"""The message catalogue: every user-facing text in zh-CN and en, picked by the reader's locale.

Each area of the code registers its own catalogue (a dict key -> {locale: template}) so texts live
beside the code that uses them; `t()` looks a key up and formats it with str.format parameters.
"""

from __future__ import annotations

from collections.abc import Mapping

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"

_CATALOGUE: dict[str, dict[str, str]] = {}


def register(entries: Mapping[str, Mapping[str, str]]) -> None:
    """Add texts; a key registered twice with different text is a programming error."""
    for key, texts in entries.items():
        missing = [loc for loc in LOCALES if loc not in texts]
        if missing:
            raise ValueError(f"message {key!r} lacks {missing}")
        if key in _CATALOGUE and _CATALOGUE[key] != dict(texts):
            raise ValueError(f"message {key!r} registered twice with different text")
        _CATALOGUE[key] = dict(texts)


def normalise_locale(locale: str | None) -> str:
    """Map 'en', 'en-US', 'zh', 'zh_CN' … onto a supported locale (Chinese by default)."""
    if locale and locale.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def t(key: str, locale: str | None = None, /, **params: object) -> str:
    """The text for `key` in `locale`, formatted with `params`."""
    texts = _CATALOGUE.get(key)
    if texts is None:
        raise KeyError(f"no message {key!r}")
    return texts[normalise_locale(locale)].format(**params)


def has(key: str) -> bool:
    return key in _CATALOGUE
