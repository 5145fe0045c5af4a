"""The chat `company` command: HR sees the company profile card and sets one text field by command
words ("company name_en Acme Ltd", "公司资料 名称 某某公司"); the images are set from the command line."""

from __future__ import annotations

from handlers.casefile import is_hr
from handlers.company import card_fields, profile, set_fields
from handlers.context import Ctx
from handlers.contracts import Reply
from handlers.refusal import Refused
from workflow.company import FIELDS, IMAGE_FIELDS, ProfileError
from workflow.i18n import t

# Field names HR may type in chat, in either language.
FIELD_WORDS: dict[str, str] = {
    **{name: name for name in FIELDS},
    "名称": "name_zh", "中文名称": "name_zh", "英文名称": "name_en", "地址": "address",
    "信用代码": "registration_no", "统一社会信用代码": "registration_no", "hr联系人": "hr_contact",
    "联系人": "hr_contact", "时区": "timezone", "工作时间": "hours", "工会": "union",
}


async def handle(ctx: Ctx) -> Reply:
    """`company`: the profile card. `company <field> <value>`: set one text field (HR only)."""
    if not is_hr(ctx.actor):
        raise Refused("company.only_hr")
    words = ctx.text.split(maxsplit=1)
    loc = ctx.locale
    if words:
        name = FIELD_WORDS.get(words[0].lower())
        if name is None or name in IMAGE_FIELDS:
            raise Refused("company.refuse.chat_field", field=words[0])
        try:
            set_fields(ctx.tenant, {name: words[1] if len(words) > 1 else ""})
        except ProfileError as error:
            raise Refused(error.key, **error.params) from None
    ctx.reply("company", t("company.title", loc), t("company.usage", loc),
              fields=card_fields(profile(ctx.tenant), loc))
    return Reply(ok=True)
