"""`python -m bot company show|set`: the company profile documents, cards and the signing page use
(names, address, registration number, logo and seal, HR contact, time zone, working hours, union).

Every value is checked before anything is stored: one bad value refuses the whole command, in
both languages, and changes nothing."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from bot.bootstrap import bootstrap
from bot.cli import CommandError
from bot.cli.workspace import migrated, tenant_named
from bot.directory import workspace
from bot.settings import Settings
from handlers.company import card_fields, check_image, profile, set_fields, set_image
from workflow.company import FIELDS, IMAGE_FIELDS, MAX_IMAGE_BYTES, CompanyProfile, ProfileError
from workflow.i18n import LOCALES, t

TEXT_OPTIONS = tuple(name for name in FIELDS if name not in IMAGE_FIELDS)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("company", help="the company profile on documents, cards and the signing page")
    actions = parser.add_subparsers(dest="company_command", metavar="action", required=True)
    show = actions.add_parser("show", help="print the profile")
    show.add_argument("--json", action="store_true", help="one JSON object")
    change = actions.add_parser("set", help="set one or more fields (all checked first; a bad one changes nothing)")
    helps = {
        "name_zh": "the company's name in Chinese (as registered)",
        "name_en": "the company's name in English",
        "address": "the registered address",
        "registration_no": "统一社会信用代码 (18 characters, check character verified)",
        "hr_contact": "who employees ask, e.g. 'Wang Fang, hr@example.com'",
        "timezone": "IANA time zone, e.g. Asia/Shanghai (talks and dates are in it)",
        "hours": "working hours HH:MM-HH:MM, e.g. 09:00-18:00 (talks are held within them)",
        "union": "whether the company has a union: yes or no (LCL Art. 43)",
    }
    for name in TEXT_OPTIONS:
        change.add_argument(f"--{name.replace('_', '-')}", dest=name, help=helps[name])
    for name in IMAGE_FIELDS:
        change.add_argument(f"--{name}", dest=name, type=Path, metavar="FILE",
                            help=f"the {name} image: PNG or JPEG, at most {MAX_IMAGE_BYTES // 1024} KiB")
    for action in (show, change):
        action.add_argument("--tenant", default="console", help="workspace key (default: console)")
    parser.set_defaults(func=run)


def _refusal(error: ProfileError) -> CommandError:
    return CommandError(" / ".join(t(error.key, loc, **error.params) for loc in LOCALES))


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:  # refused before it is read into memory
            raise _refusal(ProfileError("company.refuse.image_size", limit=f"{MAX_IMAGE_BYTES // 1024} KiB"))
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from None


def run(args: argparse.Namespace) -> int:
    try:
        key = workspace(args.tenant).key
    except ValueError as error:
        raise CommandError(str(error)) from None
    if args.company_command == "set":
        values = {name: getattr(args, name) for name in TEXT_OPTIONS if getattr(args, name) is not None}
        images = {name: _read(getattr(args, name)) for name in IMAGE_FIELDS if getattr(args, name)}
        if not values and not images:
            raise CommandError("nothing to set: give at least one option (see `company set --help`)")
        try:
            for data in images.values():
                check_image(data)  # every file checked before anything is stored
        except ProfileError as error:
            raise _refusal(error) from None
        shown = asyncio.run(_set(args.settings, key, values, images))
    else:
        shown = asyncio.run(_show(args.settings, key))
    if args.company_command == "show" and args.json:
        print(json.dumps(_as_dict(shown), ensure_ascii=False, indent=2))
    else:
        print("\n".join(f"{label}: {value}" for label, value in card_fields(shown, "en")))
    return 0


async def _set(settings: Settings, key: str, values: dict[str, str],
               images: dict[str, bytes]) -> CompanyProfile:
    services = bootstrap(settings)
    try:
        await services.ensure_migrated()
        async with services.uow_factory() as uow:
            tenant = await uow.tenants.get_or_create(key, timezone=settings.TIMEZONE, city=settings.CITY)
            try:
                set_fields(tenant, values)
                for name, data in images.items():
                    set_image(tenant, settings.DATA_DIR, name, data)
            except ProfileError as error:
                await uow.rollback()
                raise _refusal(error) from None
            await uow.commit()
            return profile(tenant)
    finally:
        await services.close()


async def _show(settings: Settings, key: str) -> CompanyProfile:
    async with migrated(settings) as services, services.uow_factory() as uow:
        return profile(await tenant_named(uow, key))


def _as_dict(p: CompanyProfile) -> dict[str, object]:
    return {
        "name_zh": p.name_zh, "name_en": p.name_en, "address": p.address,
        "registration_no": p.registration_no, "hr_contact": p.hr_contact, "timezone": p.timezone,
        "hours": p.hours_text, "union": p.union,
        **{name: ref.as_dict() if (ref := p.images.get(name)) else None for name in IMAGE_FIELDS},
    }
