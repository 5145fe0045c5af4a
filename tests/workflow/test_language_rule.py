"""The language rule, in the one function that holds it: the first language named wins — what was
typed, then the directory's, then the platform's, then the company's; Chinese when none is named."""

from __future__ import annotations

from workflow.i18n import pick_locale


def test_the_first_named_language_wins_and_empties_name_none() -> None:
    assert pick_locale("en", "zh-CN", "zh-CN", "zh-CN") == "en"  # typed English beats everything
    assert pick_locale(None, "zh_CN", "en", "en") == "zh-CN"  # then the directory
    assert pick_locale(None, "", "en-US", "zh-CN") == "en"  # no directory language: the platform's
    assert pick_locale(None, "", None, "en") == "en"  # then the company's
    assert pick_locale(None, "", None, None) == "zh-CN"  # nothing named: the default
    assert pick_locale() == "zh-CN"
