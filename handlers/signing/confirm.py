"""The chat confirmation step before a signature: what a bare Sign press (or a typed `sign`) gets
instead of signing — the document's title, version and full SHA-256, the intention statement the
record will hold, a signing link to read the files, and one button that names the hash it showed.

So a chat signature is as strong as the page's: the signer was shown the same statement and hash,
and only an affirmative second act (pressing "I have read and agree — sign") signs.
"""

from __future__ import annotations

from handlers.context import Ctx
from handlers.contracts import Message
from handlers.signing.record import intention_for
from handlers.transition import audit
from handlers.views import link_fields, message_for, title_for
from workflow.actions import Action
from workflow.case import Case
from workflow.i18n import t

# A further step of the pressed action: the pressed card stays as it was (nothing was done yet),
# the step is shown to the presser alone.
KIND = "sign_confirm"


async def offer_confirmation(ctx: Ctx, case: Case, action: Action) -> None:
    """Answer the asker with the confirmation step for `action` on the case's current document,
    and note in the audit log which statement and hash they were shown."""
    assert ctx.actor is not None
    document = case.record.document
    assert document is not None  # the sign action's guard: a document was issued
    locale = ctx.locale
    intention = intention_for(case, locale)
    fields = [
        [t("signing.confirm.document", locale),
         t("signing.confirm.version", locale, title=title_for(document, locale) or case.ref,
           version=document.version)],
        [t("signing.confirm.hash", locale), document.sha256],
        *await link_fields(ctx, case, ctx.actor, locale),
    ]
    message: Message = message_for(
        case, ctx.actor, KIND, t("signing.confirm.title", locale, ref=case.ref),
        t("signing.confirm.text", locale, intention=intention), fields, (action.name,), locale=locale)
    message.data["document_hash"] = document.sha256  # the confirmation button names it
    ctx.replies.append(message)
    await audit(ctx, case, "signing_confirmation_shown", payload={
        "document_version": document.version, "document_sha256": document.sha256,
        "intention": intention, "locale": locale,
    })
