"""The company profile: its fields, how each is checked, and how documents, cards and the signing
page name the company. Pure: the shell stores it (Tenant.settings["company"], the tenant's time
zone, Tenant.settings["union"]) and checks image files itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflow.compliance.facts import UNION_STATUSES

# The text fields and their longest accepted value (a printed letterhead line, not an essay).
TEXT_LIMITS: dict[str, int] = {"name_zh": 100, "name_en": 150, "address": 200, "hr_contact": 120}
IMAGE_FIELDS = ("logo", "seal")
FIELDS: tuple[str, ...] = ("name_zh", "name_en", "address", "registration_no", "hr_contact",
                           "timezone", "hours", "union", *IMAGE_FIELDS)
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_HOURS = (time(9, 0), time(18, 0))
# An image on a document is a stamp or a letterhead mark: 1 MiB is generous for either.
MAX_IMAGE_BYTES = 1024 * 1024
MAX_IMAGE_SIDE = 4000
IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg"}

# 统一社会信用代码 (GB 32100-2015): 18 characters from this alphabet, the last a check character.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)$")
_YES = frozenset({"yes", "y", "true", "1", "有", "是"})
_NO = frozenset({"no", "n", "false", "0", "无", "没有", "否"})


class ProfileError(ValueError):
    """A value the profile refuses: the catalogue key of the reason and its parameters."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class ImageRef:
    """A stored image: its SHA-256 names the file, so a new image is a new file."""

    sha256: str
    kind: str  # png | jpeg
    width: int
    height: int

    @property
    def media_type(self) -> str:
        return IMAGE_TYPES[self.kind]

    @property
    def filename(self) -> str:
        return f"{self.sha256}.{'jpg' if self.kind == 'jpeg' else 'png'}"

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "kind": self.kind, "width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, raw: object) -> ImageRef | None:
        if not isinstance(raw, Mapping) or raw.get("kind") not in IMAGE_TYPES:
            return None
        return cls(str(raw.get("sha256", "")), str(raw["kind"]), int(raw.get("width", 0)),
                   int(raw.get("height", 0)))


@dataclass(frozen=True)
class CompanyProfile:
    name_zh: str = ""
    name_en: str = ""
    address: str = ""
    registration_no: str = ""
    hr_contact: str = ""
    timezone: str = DEFAULT_TIMEZONE
    hours: tuple[time, time] = DEFAULT_HOURS
    union: str | None = None  # "yes" | "no" | None (not said yet)
    images: Mapping[str, ImageRef] = field(default_factory=dict)  # logo, seal

    def name(self, locale: str) -> str:
        """The company's name in `locale`, else in the other language, else ""."""
        first, second = (self.name_en, self.name_zh) if locale == "en" else (self.name_zh, self.name_en)
        return first or second

    @property
    def seal(self) -> ImageRef | None:
        return self.images.get("seal")

    @property
    def logo(self) -> ImageRef | None:
        return self.images.get("logo")

    @property
    def hours_text(self) -> str:
        return f"{self.hours[0]:%H:%M}-{self.hours[1]:%H:%M}"


def profile_from(settings: Mapping[str, Any], timezone: str) -> CompanyProfile:
    """The profile kept in a tenant's settings (`company`, `union`) and time zone column."""
    raw = settings.get("company")
    raw = raw if isinstance(raw, Mapping) else {}
    hours = DEFAULT_HOURS
    if isinstance(raw.get("hours"), str):
        with suppress(ProfileError):  # stored by hand and wrong: the default, never a crash
            hours = check_hours(raw["hours"])
    images = {name: ref for name in IMAGE_FIELDS if (ref := ImageRef.from_dict(raw.get(name)))}
    union = settings.get("union")
    return CompanyProfile(
        **{name: str(raw.get(name) or "") for name in (*TEXT_LIMITS, "registration_no")},
        timezone=timezone or DEFAULT_TIMEZONE, hours=hours,
        union=union if union in UNION_STATUSES else None, images=images,
    )


def check_text(name: str, value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ProfileError("company.refuse.empty")
    if len(cleaned) > TEXT_LIMITS[name]:
        raise ProfileError("company.refuse.too_long", limit=TEXT_LIMITS[name])
    if any(not ch.isprintable() for ch in cleaned):
        raise ProfileError("company.refuse.control")
    return cleaned


def check_registration_no(value: str) -> str:
    """A 统一社会信用代码: 18 characters and a correct check character."""
    code = value.strip().upper()
    if len(code) != 18 or any(ch not in _USCC_ALPHABET for ch in code):
        raise ProfileError("company.refuse.registration_no")
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    if _USCC_ALPHABET[(31 - total % 31) % 31] != code[17]:
        raise ProfileError("company.refuse.registration_check")
    return code


def check_timezone(value: str) -> str:
    name = value.strip()
    try:
        if not name or name != name.strip("/") or ".." in name:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProfileError("company.refuse.timezone", value=name) from None
    return name


def check_hours(value: str) -> tuple[time, time]:
    match = _HOURS.match(value.strip())
    if match is None:
        raise ProfileError("company.refuse.hours")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = time(h1, m1), time(h2, m2)
    if start >= end:
        raise ProfileError("company.refuse.hours_order")
    return start, end


def check_union(value: str) -> str:
    word = value.strip().lower()
    if word in _YES:
        return "yes"
    if word in _NO:
        return "no"
    raise ProfileError("company.refuse.union")


def check_value(name: str, value: str) -> str:
    """The stored form of text field `name` (images are checked by the shell), or ProfileError."""
    if name in TEXT_LIMITS:
        return check_text(name, value)
    if name == "registration_no":
        return check_registration_no(value)
    if name == "timezone":
        return check_timezone(value)
    if name == "hours":
        start, end = check_hours(value)
        return f"{start:%H:%M}-{end:%H:%M}"
    if name == "union":
        return check_union(value)
    raise ProfileError("company.refuse.field", field=name)
