"""The glossary (workflow/locales/glossary.json) is the catalogues' one word per concept: each term is
used, defined in both languages, and no text of either catalogue says it with a synonym the glossary
rules out (issue 16: "one glossary per language used everywhere")."""

from __future__ import annotations

import json
import re

import pytest

from workflow.i18n import CATALOGUE_DIR, LOCALES, load_catalogues

GLOSSARY = json.loads((CATALOGUE_DIR / "glossary.json").read_text("utf-8"))["concepts"]
CATALOGUES = load_catalogues()


def said(word: str, locale: str) -> re.Pattern[str]:
    """Where `word` is said: as a whole word in English (any case), anywhere in Chinese."""
    if locale == "en":
        return re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE)
    return re.compile(re.escape(word))


# A typed command's verb is syntax, not wording ("/offboard meeting <case>" asks for a talk).
COMMAND = re.compile(r"/offboard [a-z_]+")


def uses(word: str, locale: str, exempt: tuple[str, ...] = ()) -> list[str]:
    pattern = said(word, locale)
    return sorted(key for key, text in CATALOGUES[locale].items()
                  if not key.startswith(exempt) and pattern.search(COMMAND.sub(" ", text)))


@pytest.mark.parametrize("concept", sorted(GLOSSARY))
def test_each_term_is_defined_in_both_languages_and_used(concept: str) -> None:
    entry = GLOSSARY[concept]
    for locale in LOCALES:
        assert entry[locale] and entry["definition"][locale], (concept, locale)
        assert uses(entry[locale], locale), f"{concept}: {entry[locale]!r} is in no {locale} text"


@pytest.mark.parametrize("concept", sorted(GLOSSARY))
def test_no_text_names_a_concept_by_a_ruled_out_synonym(concept: str) -> None:
    entry = GLOSSARY[concept]
    exempt = tuple(entry.get("except", ()))
    found = {f"{locale} {word!r}": uses(word, locale, exempt)
             for locale in LOCALES for word in entry["avoid"][locale] if uses(word, locale, exempt)}
    assert found == {}, f"{concept}: say {entry['en']!r} / {entry['zh-CN']!r} instead"


def test_the_check_sees_a_synonym() -> None:
    assert said("last day", "en").search("The Last Day is near")
    assert not said("last day", "en").search("the last working day")
    assert not said("hand over", "en").search("the hand-over")  # a different spelling, listed apart
    assert said("移交", "zh-CN").search("请移交电脑")
