"""Facts as a person reads them: by label and in words, never by key (issue 16: no raw avg_wage)."""

from __future__ import annotations

from workflow.fact_words import fact_names, facts_lines
from workflow.i18n import t

ENTRIES = {"avg_wage": "12000", "pay_in_lieu": True, "protections": ["pregnant", "nursing"],
           "proposed_by": "employer", "last_day": "2024-06-30"}


def test_each_fact_is_its_label_and_its_value_in_words() -> None:
    for locale in ("zh-CN", "en"):
        lines = facts_lines(ENTRIES, locale).splitlines()
        assert lines[0] == t("h.fact_entry", locale, label=t("slack.fact.avg_wage", locale), value="12000")
        text = "\n".join(lines)
        for key in ENTRIES:
            assert key not in text
        for word in ("slack.choice.yes", "slack.protection.pregnant", "slack.protection.nursing",
                     "slack.choice.employer"):
            assert t(word, locale) in text
    assert "True" not in facts_lines(ENTRIES, "en")


def test_missing_facts_are_named_in_the_readers_list() -> None:
    assert fact_names(["hired", "avg_wage"], "zh-CN") == (
        f"{t('slack.fact.hired', 'zh-CN')}、{t('slack.fact.avg_wage', 'zh-CN')}")
    assert fact_names(["hired", "avg_wage"], "en") == (
        f"{t('slack.fact.hired', 'en')}, {t('slack.fact.avg_wage', 'en')}")
