"""The company profile's checks: each field refuses what it must (naming why) and keeps what is
right; the name falls back across languages; a hand-edited bad value reads as the default."""

from __future__ import annotations

from datetime import time

import pytest

from workflow.company import (
    DEFAULT_HOURS,
    ProfileError,
    check_hours,
    check_registration_no,
    check_timezone,
    check_union,
    check_value,
    profile_from,
)

VALID_USCC = "91350100M000100Y43"  # the standard's worked example (GB 32100-2015)


def refused(key: str, check, value: str) -> None:
    with pytest.raises(ProfileError) as caught:
        check(value)
    assert caught.value.key == key


def test_the_registration_number_needs_18_characters_and_its_check_character() -> None:
    assert check_registration_no(" 91350100m000100y43 ") == VALID_USCC
    refused("company.refuse.registration_check", check_registration_no, VALID_USCC[:-1] + "4")
    refused("company.refuse.registration_no", check_registration_no, VALID_USCC[:-1])
    refused("company.refuse.registration_no", check_registration_no, "9135010OM000100Y43")  # letter O


def test_time_zones_are_iana_names() -> None:
    assert check_timezone("Europe/Berlin") == "Europe/Berlin"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "/Asia/Shanghai", "Asia/Shang hai"):
        refused("company.refuse.timezone", check_timezone, bad)


def test_working_hours_are_a_start_before_an_end() -> None:
    assert check_hours("08:30-17:30") == (time(8, 30), time(17, 30))
    assert check_value("hours", "08:30 - 17:30") == "08:30-17:30"
    for bad in ("9:00-18:00", "09:00-24:00", "0900-1800", "09:00"):
        refused("company.refuse.hours", check_hours, bad)
    refused("company.refuse.hours_order", check_hours, "18:00-09:00")


def test_union_is_yes_or_no_in_either_language() -> None:
    assert [check_union(v) for v in ("yes", "有", "NO", "无")] == ["yes", "yes", "no", "no"]
    refused("company.refuse.union", check_union, "maybe")


def test_text_fields_refuse_empty_overlong_and_control_characters() -> None:
    assert check_value("name_en", "  Acme   Trading  Ltd ") == "Acme Trading Ltd"
    refused("company.refuse.empty", lambda v: check_value("address", v), "   ")
    refused("company.refuse.too_long", lambda v: check_value("name_zh", v), "公" * 101)
    refused("company.refuse.control", lambda v: check_value("hr_contact", v), "HR\x07")
    refused("company.refuse.field", lambda v: check_value("ceo", v), "x")


def test_the_profile_reads_the_one_union_setting_and_names_the_company_per_language() -> None:
    p = profile_from({"union": "no", "company": {"name_zh": "示例科技有限公司", "hours": "25:00-26:00"}},
                     "Asia/Shanghai")
    assert p.union == "no" and p.hours == DEFAULT_HOURS  # a bad stored value: the default
    assert p.name("zh-CN") == p.name("en") == "示例科技有限公司"  # no English name: the Chinese one
    assert profile_from({}, "").timezone == "Asia/Shanghai" and profile_from({}, "").name("en") == ""
