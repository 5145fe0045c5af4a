"""Help: the commands the asker may use, and the answer to input the router could not read."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.contracts import Reply
from workflow.command_texts import help_text
from workflow.i18n import has, t


async def handle(ctx: Ctx) -> Reply:
    roles = ctx.actor.role_set if ctx.actor else frozenset()
    ctx.reply("help", t("h.help.title", ctx.locale), help_text(ctx.locale, roles))
    return Reply(ok=True)


async def parse_error(ctx: Ctx) -> Reply:
    """The router could not read the text: say what was wrong, in the asker's language, and how."""
    code = str(ctx.inbound.args.get("code", ""))
    params = dict(ctx.inbound.args.get("params") or {})
    what = t(code, ctx.locale, **params) if has(code) else t("h.unknown_action", ctx.locale, action=code)
    usage = str(ctx.inbound.args.get("usage_key", ""))
    if usage != "router.usage.help" and has(usage):
        # The command was recognised: its own form, not every command's (a wall of text on a
        # phone for each typo), and where the rest are.
        how = f"{what}\n{t(usage, ctx.locale)}\n{t('h.parse_error.more', ctx.locale)}"
    else:
        roles = ctx.actor.role_set if ctx.actor else frozenset()
        how = f"{what}\n\n{help_text(ctx.locale, roles)}"
    ctx.reply("help", t("h.parse_error.title", ctx.locale), how)
    return Reply(ok=False)
