"""What a WeCom message or card click asks for: a handler request, a dialog step, or a notice.

Typed commands go through bot.router (Chinese and English). Between commands a person may be in
a dialogue (bot.channels.guided, kept by bot.channels.wecom.conversation): the guided evidence
prompts file the next text, link, file or image under the item asked for; a pressed button that
needs words asks for them one question at a time ("上一步" goes back, "取消" stops); an
ambiguous name waits for a choice. Any command ends a dialog. The handlers run inline (a
short local transaction); everything sent to WeCom is queued in the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards.build import action_label
from bot.cards.model import decode_action
from bot.channels import guided
from bot.channels.guided import Dialog, EvidenceDialog, Guided
from bot.channels.wecom.api import ApiError, WeComApi
from bot.channels.wecom.config import WeComConfig
from bot.channels.wecom.conversation import Conversations, PendingChoice
from bot.channels.wecom.events import CardClick, Ignored, Incoming, MediaIn, TextIn, Unsupported
from bot.channels.wecom.outbound import (
    FETCH_MEDIA,
    UPDATE_CARD,
    Outbound,
    Row,
    message_row,
    reply_rows,
    user_recipient,
)
from bot.router import Parsed, ParseError, parse, parse_action, to_inbound, usage
from handlers.contracts import Inbound, Message, Reply, to_payload
from handlers.dispatch import Settled, Then
from handlers.signing.confirm import KIND as CONFIRMATION
from storage.models import Person
from storage.uow import UnitOfWork
from workflow.clock import Clock
from workflow.i18n import has, pick_locale, t

log = logging.getLogger(__name__)

PLATFORM = "wecom"
# The handlers' entry, with a `then` that queues the replies in the request's own transaction.
Dispatch = Callable[[Inbound, Then | None], Awaitable[Reply]]


def _is_command(parsed: Parsed | ParseError) -> bool:
    """Text that starts with a known verb is a command, even when its arguments are wrong."""
    return not (isinstance(parsed, ParseError) and parsed.code == "router.unknown_verb")


class Intake:
    def __init__(
        self,
        config: WeComConfig,
        *,
        dispatch: Dispatch,
        wake: Callable[[], Awaitable[None]],
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        dialogs: Conversations,
        api: WeComApi,
    ) -> None:
        self.config = config
        self.dispatch = dispatch
        self.wake = wake
        self.uow_factory = uow_factory
        self.clock = clock
        self.dialogs = dialogs
        self.api = api
        self.outbound = Outbound(uow_factory, config, clock)

    async def handle(self, incoming: Incoming) -> None:
        match incoming:
            case TextIn():
                await self._text(incoming)
            case MediaIn():
                await self._media(incoming)
            case CardClick():
                await self._click(incoming)
            case Unsupported():
                await self._notice(incoming.user_id, incoming.delivery_id, "wecom.unsupported")
            case _:
                return

    async def gave_up(self, incoming: Incoming) -> None:
        """Tell the member that what they sent was never handled (the worker gave up on it)."""
        if not isinstance(incoming, Ignored):
            await self._notice(incoming.user_id, f"{incoming.delivery_id}:gave-up", "wecom.gave_up")

    # -- typed text ---------------------------------------------------------------------------

    async def _text(self, msg: TextIn) -> None:
        parsed = parse(msg.text)
        dialog = await self.dialogs.get(msg.user_id)
        if dialog is None and not _is_command(parsed) and not self.dialogs.available:
            # It may answer a question whose dialog is out of reach: say so, not "unknown command".
            locale = self._locale(await self._person(msg.user_id))
            await self._say(msg.user_id, msg.delivery_id, locale,
                            t("wecom.dialog_unavailable", locale, usage=usage("evidence", locale)))
            return
        if dialog is not None and guided.is_answer(dialog, parsed) and await self._answer(dialog, msg):
            return
        # A command ends whatever dialog was going on.
        await self._run(self._inbound(parsed, msg.user_id, msg.delivery_id), msg.user_id,
                        ends_dialog=dialog is not None)

    async def _answer(self, dialog: Dialog, msg: TextIn) -> bool:
        """Handle `msg` as the next step of `dialog`; False when it is not one (the evidence
        asked for is no longer wanted)."""
        locale = self._locale(await self._person(msg.user_id))
        if guided.control(msg.text) == "cancel":
            turn = guided.cancelled(dialog, locale, msg.text)
        elif isinstance(dialog, EvidenceDialog):
            item = await guided.next_item(self.uow_factory, self.config.tenant_key, dialog.case_ref)
            if item is None:
                return False
            turn = guided.evidence_answer(dialog, item, msg.text, locale)
        else:
            turn = guided.answer(dialog, msg.text, locale)
        if turn.request is not None:
            if turn.dialog is None:
                await self.dialogs.clear(msg.user_id)
            pressed = (dialog.card, dialog.action) if isinstance(dialog, Guided) else None
            version = dialog.case_version if isinstance(dialog, Guided) else None
            await self._run(self._inbound(turn.request, msg.user_id, msg.delivery_id, version),
                            msg.user_id, pressed=pressed)
            return True
        if turn.dialog is None:
            await self.dialogs.clear(msg.user_id)
        elif turn.dialog != dialog:
            await self.dialogs.put(msg.user_id, turn.dialog)
        await self._say(msg.user_id, msg.delivery_id, locale, turn.text,
                        title=self._title(turn.dialog or dialog, locale))
        return True

    def _title(self, dialog: Dialog, locale: str) -> str:
        action = dialog.action if isinstance(dialog, Guided) else "evidence"
        return t("wecom.prompt.title", locale, action=action_label(action, locale),
                 ref=dialog.case_ref or "—")

    # -- files and images ---------------------------------------------------------------------

    async def _media(self, msg: MediaIn) -> None:
        dialog = await self.dialogs.get(msg.user_id)
        if isinstance(dialog, EvidenceDialog):
            item = await guided.next_item(self.uow_factory, self.config.tenant_key, dialog.case_ref)
            if item is not None:
                kind = guided.filed_as(item.requirement, msg.filename)
                payload = {"media_id": msg.media_id, "media_kind": msg.media_kind,
                           "filename": msg.filename, "case_ref": dialog.case_ref, "kind": kind,
                           "user_id": msg.user_id, "delivery_id": msg.delivery_id}
                await self.outbound.queue([Row(user_recipient(msg.user_id), FETCH_MEDIA, payload,
                                               f"wecom:media:{msg.delivery_id}")])
                await self.wake()
                return
        await self._notice(msg.user_id, msg.delivery_id, "wecom.file_unexpected")

    async def fetch_media(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The outbox job for a file sent as evidence: media/get, then file it. ApiError when
        WeCom should be asked again; a file WeCom no longer has is reported to the sender."""
        user_id = str(payload["user_id"])
        try:
            media = await self.api.media(str(payload["media_id"]))
        except ApiError as error:
            if error.transient:
                raise
            person = await self._person(user_id)
            locale = self._locale(person)
            await self._say(user_id, str(payload["delivery_id"]), locale,
                            t("wecom.media_failed", locale, reason=error.errmsg or error.errcode))
            return {"media_id": payload["media_id"], "error": error.errcode}
        filename = str(payload.get("filename") or media.filename)
        inbound = Inbound(
            platform=PLATFORM, platform_tenant=self.config.corp_id, user_id=user_id,
            name="evidence", case_ref=str(payload["case_ref"]),
            args={"kind": payload["kind"], "content": filename,
                  "file": {"filename": filename, "media_type": media.media_type,
                           "data": media.data}},
            delivery_id=str(payload["delivery_id"]),
        )
        await self._run(inbound, user_id)
        return {"media_id": payload["media_id"], "size": len(media.data)}

    # -- card clicks --------------------------------------------------------------------------

    async def _click(self, msg: CardClick) -> None:
        ref = decode_action(msg.key)
        if ref is None:
            log.info("WeCom click with a key we did not draw; ignored")
            await self._notice(msg.user_id, msg.delivery_id, "wecom.unsupported")
            return
        pressed = (msg.response_code, ref.action)
        if ref.action == "open" and ref.case_ref is None:
            await self._choose(msg, ref.arg)
            return
        dialog: Dialog | None = guided.start(ref.action, ref.case_ref, ref.case_version, ref.arg,
                                             msg.response_code)
        if ref.action == "evidence" and ref.case_ref:
            dialog = EvidenceDialog(ref.case_ref)
        if dialog is not None:
            await self._ask(msg, dialog)
            return
        parsed = parse_action(ref.action, ref.case_ref, "", arg=ref.arg)
        inbound = self._inbound(parsed, msg.user_id, msg.delivery_id, ref.case_version)
        # Pressing a button ends any dialog.
        await self._run(inbound, msg.user_id, pressed=pressed, ends_dialog=True)

    async def _ask(self, msg: CardClick, dialog: Dialog) -> None:
        """A press that needs words: keep the dialogue and ask its first question."""
        locale = self._locale(await self._person(msg.user_id))
        if isinstance(dialog, EvidenceDialog):
            item = await guided.next_item(self.uow_factory, self.config.tenant_key, dialog.case_ref)
            text = guided.ask_item(item, dialog.case_ref, locale) if item else guided.no_item(dialog.case_ref, locale)
            action, case_version = "evidence", None
        else:
            item, text = None, guided.opening(dialog, locale)
            action, case_version = dialog.action, dialog.case_version
        waits = isinstance(dialog, Guided) or item is not None
        if waits and not await self.dialogs.put(msg.user_id, dialog):
            # No dialogue to wait in: the reply would be read as a command.
            unkept = t("wecom.prompt.unkept", locale, usage=usage(action, locale))
            sure = guided.confirmation(dialog, locale) if isinstance(dialog, Guided) else ""
            text = "\n".join(line for line in (sure, unkept) if line)
        await self._say(msg.user_id, msg.delivery_id, locale, text, title=self._title(dialog, locale),
                        case_ref=dialog.case_ref, case_version=case_version)

    async def _choose(self, msg: CardClick, arg: str | None) -> None:
        """A person picked on a choice card: the open command goes ahead with them."""
        choice = await self.dialogs.get_choice(msg.user_id)
        index = int(arg) - 1 if arg and arg.isdigit() else -1
        if choice is None or not 0 <= index < len(choice.employees):
            await self._notice(msg.user_id, msg.delivery_id, "wecom.choice_expired")
            return
        parsed = Parsed("open", None, {"employee": choice.employees[index],
                                       "ground": choice.ground, "note": choice.note})
        await self._run(self._inbound(parsed, msg.user_id, msg.delivery_id), msg.user_id,
                        pressed=(msg.response_code, "open"), ends_dialog=True)

    # -- running a request ----------------------------------------------------------------------

    def _inbound(self, parsed: Parsed | ParseError, user_id: str, delivery_id: str,
                 case_version: int | None = None) -> Inbound:
        return to_inbound(parsed, platform=PLATFORM, platform_tenant=self.config.corp_id,
                          user_id=user_id, delivery_id=delivery_id, case_version=case_version)

    async def _run(self, inbound: Inbound, user_id: str, *,
                   pressed: tuple[str, str] | None = None, ends_dialog: bool = False) -> Reply:
        """Dispatch, queue the replies (and the pressed card's update), move the dialog on.

        `ends_dialog` clears the person's dialog once the request is handled: not before (a
        request that fails leaves it for the retry), and not for a retry of a request already
        handled (that would end the dialog the first attempt started).

        The rows are written in the request's own transaction (kept exactly when its outcome is);
        only when the handlers ended without one (a conflict) in a transaction of their own."""
        assert inbound.delivery_id is not None
        delivery_id = inbound.delivery_id
        written: list[bool] = []  # `then` ran: the rows are in the transaction

        def rows_for(reply: Reply, person: Person | None) -> list[Row]:
            rows = reply_rows(reply, user_id, delivery_id)
            # A confirmation step did nothing yet: the pressed card keeps its buttons.
            done = reply.ok and not any(m.kind == CONFIRMATION for m in reply.messages)
            if done and pressed is not None and pressed[0]:
                rows.append(self._card_update(person, user_id, inbound, *pressed))
            return rows

        async def then(settled: Settled) -> None:
            await self.outbound.write(settled.uow, rows_for(settled.reply, settled.actor), settled.tenant)
            written.append(True)

        reply = await self.dispatch(inbound, then)
        if reply.duplicate:
            return reply
        if ends_dialog:
            await self.dialogs.clear(user_id)
        if not written:
            await self.outbound.queue(rows_for(reply, await self._person(user_id)))
        await self._follow(user_id, inbound, reply)
        await self.wake()
        return reply

    async def _follow(self, user_id: str, inbound: Inbound, reply: Reply) -> None:
        """The dialog a reply starts: a choice between people, or the next evidence prompt."""
        for message in reply.messages:
            choices = message.data.get("choices") if isinstance(message.data, dict) else None
            if choices and inbound.name == "open":
                await self.dialogs.put_choice(user_id, PendingChoice(
                    tuple(str(c[0]) for c in choices), str(inbound.args.get("ground", "")),
                    str(inbound.args.get("note", "")),
                ))
                return
        current = await self.dialogs.get(user_id)
        following = guided.after(reply, current)
        if following is None and current is not None:
            await self.dialogs.clear(user_id)  # the evidence is complete
        elif following is not None and following != current:
            await self.dialogs.put(user_id, following)

    def _card_update(self, person: Person | None, user_id: str, inbound: Inbound, response_code: str,
                     action: str) -> Row:
        """Rewrite the pressed card's buttons: "已同意 · 王芳 11-21 10:02"."""
        locale = self._locale(person)
        when = self.clock.now().astimezone(ZoneInfo(self.config.timezone))
        key = f"wecom.done.{action}"
        label = t(key if has(key) else "wecom.done.other", locale)
        replace_name = t("wecom.pressed", locale, label=label,
                         name=person.name if person else user_id, when=f"{when:%m-%d %H:%M}")
        # Shown as a new card when WeCom no longer accepts the code (used, or over 72 h old).
        fallback = Message(
            kind="card_update", recipient=user_recipient(user_id), locale=locale,
            case_ref=inbound.case_ref,
            data={"title": f"{inbound.case_ref} · {label}" if inbound.case_ref else label,
                  "text": replace_name, "fields": []},
        )
        payload = {"response_code": response_code, "replace_name": replace_name,
                   "user_id": user_id, "fallback": to_payload(fallback)}
        return Row(user_recipient(user_id), UPDATE_CARD, payload,
                   f"wecom:update:{inbound.delivery_id}")

    # -- small helpers -------------------------------------------------------------------------

    async def _person(self, user_id: str) -> Person | None:
        async with self.uow_factory() as uow:
            return await uow.people.by_identity(PLATFORM, self.config.corp_id, user_id)

    def _locale(self, person: Person | None) -> str:
        return pick_locale(person.locale if person else None, self.config.locale)

    async def _notice(self, user_id: str, delivery_id: str, key: str) -> None:
        locale = self._locale(await self._person(user_id))
        await self._say(user_id, delivery_id, locale, t(key, locale))

    async def _say(self, user_id: str, delivery_id: str, locale: str, text: str, *,
                   title: str = "", case_ref: str | None = None,
                   case_version: int | None = None) -> None:
        """A note from the channel itself to the member who wrote, queued like any reply."""
        message = Message(
            kind="wecom_note", recipient=user_recipient(user_id), locale=locale,
            case_ref=case_ref, case_version=case_version,
            data={"title": title or t("wecom.source", locale), "text": text, "fields": []},
        )
        await self.outbound.queue([message_row(message, message.recipient,
                                               f"wecom:note:{delivery_id}")])
        await self.wake()
