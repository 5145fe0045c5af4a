"""The company profile on a tenant: read it, change fields (every value checked first, nothing kept
on a bad one), store the logo and seal images, and what cards and documents show of it."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from pathlib import Path

from storage.company_files import load_image, save_image
from storage.models import Tenant
from workflow.calendar import WorkCalendar
from workflow.company import (
    FIELDS,
    IMAGE_FIELDS,
    IMAGE_TYPES,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    CompanyProfile,
    ImageRef,
    ProfileError,
    check_value,
    profile_from,
)
from workflow.i18n import t

# The profile card's rows, in order: field -> label key (the images are shown as set / not set).
LABELS: dict[str, str] = {
    "name_zh": "company.field.name_zh", "name_en": "company.field.name_en",
    "address": "company.field.address", "registration_no": "company.field.registration_no",
    "hr_contact": "company.field.hr_contact", "timezone": "company.field.timezone",
    "hours": "company.field.hours", "union": "company.field.union",
    "logo": "company.field.logo", "seal": "company.field.seal",
}
UNION_LABELS = {"yes": "company.union.yes", "no": "company.union.no", None: "company.unset"}



def profile(tenant: Tenant) -> CompanyProfile:
    """The tenant's company profile (its one place: settings and the time zone column)."""
    return profile_from(tenant.settings or {}, tenant.timezone)


def company_calendar(calendar: WorkCalendar, tenant: Tenant) -> WorkCalendar:
    """The working-day calendar in the company's own time zone (its profile's)."""
    return calendar.in_zone(profile(tenant).timezone)


def company_name(tenant: Tenant, locale: str) -> str:
    """The name documents, cards and the signing page show: the profile's, else the workspace's
    own (a Slack team's name, never the internal tenant key), else "" (texts then say "the Company")."""
    return profile(tenant).name(locale) or (tenant.name if tenant.name != tenant.key else "")


def footer(tenant: Tenant, locale: str) -> str:
    """A card's footer: the company's name and HR contact, "" when neither is set."""
    p = profile(tenant)
    name = p.name(locale)
    if name and p.hr_contact:
        return t("company.footer", locale, name=name, contact=p.hr_contact)
    return name


def set_fields(tenant: Tenant, values: Mapping[str, str]) -> CompanyProfile:
    """Check every value, then store them all; one bad value raises ProfileError and changes nothing."""
    checked = {}
    for name, value in values.items():
        if name not in FIELDS or name in IMAGE_FIELDS:
            raise ProfileError("company.refuse.field", field=name)
        checked[name] = check_value(name, value)
    settings = dict(tenant.settings or {})
    company = dict(settings.get("company") or {})
    for name, value in checked.items():
        if name == "timezone":
            tenant.timezone = value
        elif name == "union":
            settings["union"] = value  # the one union setting the assessment reads
        else:
            company[name] = value
    settings["company"] = company
    tenant.settings = settings  # a new dict: the JSON column notices the change
    return profile(tenant)


def check_image(data: bytes) -> ImageRef:
    """A PNG or JPEG file that really decodes, within the size caps; else ProfileError."""
    if not data:
        raise ProfileError("company.refuse.image_empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise ProfileError("company.refuse.image_size", limit=f"{MAX_IMAGE_BYTES // 1024} KiB")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif data.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
    else:
        raise ProfileError("company.refuse.image_type")
    # Pillow loads lazily: importing it only here keeps it off the request path of every handler.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format is None or probe.format.lower() != kind:
                raise ProfileError("company.refuse.image_type")
            width, height = probe.size
            if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
                raise ProfileError("company.refuse.image_pixels", limit=MAX_IMAGE_SIDE)
            probe.load()  # decodes every pixel: a truncated or forged file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ProfileError("company.refuse.image_broken") from None
    return ImageRef(hashlib.sha256(data).hexdigest(), kind, width, height)


def set_image(tenant: Tenant, data_dir: str, name: str, data: bytes) -> ImageRef:
    """Check and store the logo or seal image (under `data_dir`); nothing changes on a bad file."""
    if name not in IMAGE_FIELDS:
        raise ProfileError("company.refuse.field", field=name)
    if not data_dir:
        raise ProfileError("company.refuse.no_storage")
    ref = check_image(data)
    save_image(Path(data_dir), tenant.id, ref.filename, data)
    settings = dict(tenant.settings or {})
    settings["company"] = {**dict(settings.get("company") or {}), name: ref.as_dict()}
    tenant.settings = settings
    return ref


def image(tenant: Tenant, data_dir: str, name: str) -> tuple[ImageRef, bytes] | None:
    """The stored logo or seal with its bytes, when set and still on disk."""
    ref = profile(tenant).images.get(name)
    if ref is None or not data_dir:
        return None
    data = load_image(Path(data_dir), tenant.id, ref.filename)
    return (ref, data) if data is not None else None


def stored_image(tenant_id: int, data_dir: str, sha256: str) -> tuple[str, bytes] | None:
    """An image kept for the tenant, by its SHA-256 (any version, not only the current one):
    its media type and bytes."""
    if not data_dir or len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        return None
    for kind, media_type in IMAGE_TYPES.items():
        ref = ImageRef(sha256, kind, 0, 0)
        data = load_image(Path(data_dir), tenant_id, ref.filename)
        if data is not None and hashlib.sha256(data).hexdigest() == sha256:
            return media_type, data
    return None


def card_fields(p: CompanyProfile, locale: str) -> list[list[str]]:
    unset = t("company.unset", locale)
    values = {
        **{name: getattr(p, name) or unset for name in ("name_zh", "name_en", "address",
                                                       "registration_no", "hr_contact")},
        "timezone": p.timezone, "hours": p.hours_text, "union": t(UNION_LABELS[p.union], locale),
        **{name: t("company.image_set", locale, width=ref.width, height=ref.height)
           if (ref := p.images.get(name)) else unset for name in IMAGE_FIELDS},
    }
    return [[t(LABELS[name], locale), values[name]] for name in FIELDS]
