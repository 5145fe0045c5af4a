"""A company profile for tests: the names, address and registration number, and a drawn seal."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageDraw

from handlers.company import set_fields, set_image
from storage.uow import UnitOfWork

NAME_ZH = "上海示例信息科技有限公司"
NAME_EN = "Shanghai Example Information Technology Co., Ltd."
ADDRESS = "上海市浦东新区世纪大道100号"
USCC = "91350100M000100Y43"
PROFILE = {"name_zh": NAME_ZH, "name_en": NAME_EN, "address": ADDRESS, "registration_no": USCC,
           "hr_contact": "王芳 hr@example.com", "timezone": "Asia/Shanghai", "hours": "09:00-18:00",
           "union": "yes"}


def seal_image(kind: str = "PNG", size: int = 240) -> bytes:
    """A red ring with a star: what a company seal looks like, in `kind` (PNG or JPEG)."""
    picture = Image.new("RGB" if kind == "JPEG" else "RGBA", (size, size),
                        "white" if kind == "JPEG" else (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((8, 8, size - 8, size - 8), outline=(200, 0, 0), width=10)
    draw.regular_polygon((size / 2, size / 2, size / 5), 5, fill=(200, 0, 0))
    out = io.BytesIO()
    picture.save(out, kind)
    return out.getvalue()


def logo_image() -> bytes:
    picture = Image.new("RGB", (300, 90), (0, 90, 160))
    out = io.BytesIO()
    picture.save(out, "JPEG")
    return out.getvalue()


async def give_profile(uow_factory: Callable[[], UnitOfWork], data_dir: str, *, seal: bool = True,
                       logo: bool = False, key: str = "console:local") -> None:
    """The full profile (and the seal, when `seal`; a 300 × 90 logo, when `logo`) on the tenant `key`."""
    async with uow_factory() as uow:
        tenant = await uow.tenants.by_key(key)
        assert tenant is not None
        set_fields(tenant, PROFILE)
        if seal:
            set_image(tenant, data_dir, "seal", seal_image())
        if logo:
            set_image(tenant, data_dir, "logo", logo_image())
        await uow.commit()
