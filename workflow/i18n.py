"""The message catalogues: every user-facing text in zh-CN and en, picked by the reader's locale.

The texts live in one file per locale, workflow/locales/<locale>.json (key -> str.format template),
read once when this module is first imported; `t()` looks a key up and formats it.
"""

from __future__ import annotations

import json
from pathlib import Path

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
CATALOGUE_DIR = Path(__file__).with_name("locales")


def load_catalogues(folder: Path = CATALOGUE_DIR) -> dict[str, dict[str, str]]:
    """Every locale's catalogue, keyed by locale. Fails (at start-up) when a file is missing, is not
    a flat map of texts, or lacks a key another locale has."""
    catalogues: dict[str, dict[str, str]] = {}
    for locale in LOCALES:
        texts = json.loads((folder / f"{locale}.json").read_text("utf-8"))
        if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
            raise ValueError(f"{folder / locale}.json must map each key to a text")
        catalogues[locale] = texts
    every_key = set().union(*catalogues.values())
    for locale, texts in catalogues.items():
        if lacking := sorted(every_key - set(texts)):
            raise ValueError(f"{folder / locale}.json lacks {lacking}")
    return catalogues


_CATALOGUES = load_catalogues()


def normalise_locale(locale: str | None) -> str:
    """Map 'en', 'en-US', 'zh', 'zh_CN' … onto a supported locale (Chinese by default)."""
    if locale and locale.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def pick_locale(*named: str | None) -> str:
    """The language rule in one place: the first language named among `named`, given in the rule's
    order (what the person typed, their directory locale, the platform's idea, the company's), as a
    supported locale; Chinese when none names one. An empty value names none."""
    return normalise_locale(next((choice for choice in named if choice), None))


def t(key: str, locale: str | None = None, /, **params: object) -> str:
    """The text for `key` in `locale`, formatted with `params`."""
    text = _CATALOGUES[normalise_locale(locale)].get(key)
    if text is None:
        raise KeyError(f"no message {key!r}")
    return text.format(**params)


def has(key: str) -> bool:
    return key in _CATALOGUES[DEFAULT_LOCALE]


def keys(prefix: str = "") -> frozenset[str]:
    """Every key of the catalogue that starts with `prefix`."""
    return frozenset(key for key in _CATALOGUES[DEFAULT_LOCALE] if key.startswith(prefix))
