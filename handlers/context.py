"""The per-request context handed to every use case: who asks, in which tenant, at what time."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.company import footer
from handlers.contracts import HR_GROUP, Inbound, Message, to_payload
from handlers.deps import Deps
from storage.models import Person, Tenant
from storage.outbox import Queued
from storage.uow import UnitOfWork
from workflow.availability import zone
from workflow.case import Case
from workflow.i18n import pick_locale, t


def person_recipient(person: Person) -> str:
    return f"person:{person.id}"


def company_locale(tenant: Tenant) -> str:
    """The company's language (Tenant.settings["locale"]): the HR group's, and anyone's whom the
    directory gives none."""
    return pick_locale(tenant.settings.get("locale"))


def person_locale(person: Person | None, tenant: Tenant) -> str:
    """The language to write to `person` unprompted: their directory locale, else the company's."""
    return pick_locale(person.locale if person is not None else None, tenant.settings.get("locale"))


def person_zone(person: Person | None, tenant: Tenant) -> ZoneInfo:
    """The time zone to state times in for `person`: their directory time zone, else the company's
    (the HR group, and anyone the directory gives none or an unknown one, read the company's)."""
    return zone(person.timezone if person is not None else None, tenant.timezone)


def reply_locale(inbound: Inbound, actor: Person | None, tenant: Tenant) -> str:
    """The language to answer the asker in: the one their command was written in, else their
    directory locale, else the platform's idea of it, else the company's."""
    return pick_locale(inbound.written, actor.locale if actor is not None else None, inbound.locale,
                       tenant.settings.get("locale"))


def with_footer(message: Message, tenant: Tenant) -> Message:
    """The card with the company's footer (its name and HR contact) unless it has its own."""
    if message.data.get("footer"):
        return message
    text = footer(tenant, message.locale)
    return replace(message, data={**message.data, "footer": text}) if text else message


def channel_of(tenant: Tenant) -> str:
    """Tenant keys are '<platform>:<id>' (or 'console'); the platform is the delivery channel."""
    return tenant.key.split(":", 1)[0]


@dataclass
class Ctx:
    uow: UnitOfWork
    deps: Deps
    inbound: Inbound
    actor: Person | None  # None for the system (timers)
    tenant: Tenant
    now: datetime
    replies: list[Message] = field(default_factory=list)
    # The people who made the asker their delegate (active now), and the one this request acts for.
    principals: tuple[Person, ...] = ()
    acting_for: Person | None = None

    @property
    def locale(self) -> str:
        """The asker's language for this request (reply_locale); others are told in theirs."""
        return reply_locale(self.inbound, self.actor, self.tenant)

    def locale_of(self, person: Person | None) -> str:
        """`person`'s own language (person_locale): for what they are sent unasked."""
        return person_locale(person, self.tenant)

    def zone_of(self, reader: Person | None) -> ZoneInfo:
        """The time zone `reader` reads times in (person_zone); None is the HR group: the company's."""
        return person_zone(reader, self.tenant)

    @property
    def text(self) -> str:
        """The request's free text: a reason, comment, proof or note, whichever the channel sent
        (typed commands, modals and chat prompts name it differently)."""
        args = self.inbound.args
        for key in ("text", "reason", "comment", "proof", "note"):
            if args.get(key):
                return str(args[key]).strip()[:4000]
        return ""

    def asker_name(self, locale: str) -> str:
        """Who acts, as the audit and the people told read it: "王芳 for 李雷" for a delegate."""
        if self.actor is None:
            return t("h.system", locale)
        if self.acting_for is None:
            return self.actor.name
        return t("h.delegate.acting", locale, delegate=self.actor.name, principal=self.acting_for.name)

    @property
    def actor_identity(self) -> str:
        i = self.inbound
        return f"{i.platform}:{i.platform_tenant}:{i.user_id}"

    def reply(self, kind: str, title: str, text: str = "", *, case: Case | None = None,
              fields: list[list[str]] | None = None, actions: tuple[str, ...] = ()) -> None:
        """An answer shown inline to the asker."""
        self.replies.append(with_footer(Message(
            kind=kind,
            recipient=person_recipient(self.actor) if self.actor else "",
            locale=self.locale,
            case_ref=case.ref if case else None,
            case_version=case.version if case else None,
            data={"title": title, "text": text, "fields": fields or [],
                  **({"state": t(f"state.{case.state}", self.locale)} if case else {})},
            actions=actions,
        ), self.tenant))

    async def send(self, message: Message, *, case: Case | None, dedup_key: str | None = None) -> None:
        """Queue a message in the outbox, in this request's transaction (unless one with its key
        was queued before)."""
        message = with_footer(message, self.tenant)
        key = dedup_key or message.dedup_key or ":".join(
            str(p) for p in (
                self.tenant.id, case.id if case else "-", message.kind, message.recipient,
                message.case_version if message.case_version is not None else "-",
            )
        )
        await self.uow.outbox.enqueue_many([Queued(
            tenant_id=self.tenant.id, case_id=case.id if case else None, channel=channel_of(self.tenant),
            recipient=message.recipient, kind=message.kind, payload=to_payload(message), dedup_key=key,
        )], self.now)


def hr_group_message(kind: str, case: Case, locale: str, title: str, text: str,
                     fields: list[list[str]] | None = None) -> Message:
    """A notice for the HR group: never carries salary, medical or protected-status facts."""
    return Message(
        kind=kind, recipient=HR_GROUP, locale=locale, case_ref=case.ref,
        case_version=case.version,
        data={"title": title, "text": text, "fields": fields or [],
              "state": t(f"state.{case.state}", locale)},
    )
