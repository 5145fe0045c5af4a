"""The steps of a Slack request that every listener shares: the core, the workspaces, who asks,
the handlers, and showing the answer where the person is."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.model import ActionRef
from bot.channels.memo import ExpiringMemo
from bot.channels.slack.inbound.answers import Plan, Source, answer_directly, plan_answer, queue, slack_date, write
from bot.channels.slack.inbound.home import home_view, notice_home
from bot.channels.slack.inbound.modals import Origin, form_view
from bot.channels.slack.inbound.people import Asker, handle_for, resolve
from bot.channels.slack.workspaces import PLATFORM, Workspaces
from bot.router import usage
from handlers.contracts import Inbound, Message, Reply
from handlers.dispatch import Settled
from handlers.home import home
from workflow.commands import BY_VERB
from workflow.i18n import t

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

# Where listeners find the steps: bolt's per-request context (set by a global middleware).
CONTEXT_KEY = "offboard"
# How long a known member's account → person (and language) is reused without asking the
# database: a person pressing card after card is looked up once. The handlers still check every
# request against the directory; only the answer's language can lag a directory change this long.
ASKER_SECONDS = 60.0


def steps_of(context: Mapping[str, Any]) -> RequestSteps:
    return context[CONTEXT_KEY]


def refusal(text: str, locale: str) -> Reply:
    """A refusal the Slack layer itself gives (before any handler runs)."""
    return Reply(ok=False, messages=(Message(
        kind="refusal", recipient="", locale=locale,
        data={"title": t("h.refused", locale), "text": text, "fields": []},
    ),))


def form_failed(action: str, error: str, locale: str) -> Reply:
    """A modal that did not open: say so, and how to type the same thing."""
    command = BY_VERB.get(action)
    typed = usage(command.name, locale) if command else ""
    return refusal(t("slack.modal_failed", locale, error=error, usage=typed), locale)


@dataclass
class Answering:
    """Shows a request's reply where it happened, written in the request's own transaction (the
    handlers' `then`): one transaction for both, and the answer is kept exactly when the change is."""

    steps: RequestSteps
    source: Source
    action: str
    locale: str
    dedup: str
    written: bool = False  # the answer is in the transaction (the reply returned is a copy of it)

    async def __call__(self, settled: Settled) -> None:
        if settled.tenant is None:
            return  # nothing can be queued for a workspace we do not know (answered directly)
        plan = plan_answer(self.source, settled.reply, action=self.action, locale=self.locale,
                           when=self.steps.when())
        await write(settled.uow, settled.tenant.id, plan, self.dedup, self.steps.core.clock.now())
        self.written = True


class RequestSteps:
    def __init__(self, core: Core, workspaces: Workspaces) -> None:
        self.core = core
        self.workspaces = workspaces
        self._askers: ExpiringMemo[tuple[str, str], Asker] = ExpiringMemo(ASKER_SECONDS)

    async def asker(self, client: AsyncWebClient, team_id: str, user_id: str) -> Asker:
        known = self._askers.get((team_id, user_id))
        if known is not None:
            return known
        asker = await resolve(self.core, client, team_id, user_id,
                              default_locale=self.core.settings.LOCALE)
        if asker.member is not None:  # strangers are looked up again: they may be linked by then
            self._askers.put((team_id, user_id), asker)
        return asker

    async def handle_for(self, client: AsyncWebClient, team_id: str, user_id: str) -> str:
        return await handle_for(self.core, client, team_id, user_id)

    async def dispatch(self, inbound: Inbound) -> Reply:
        return await self.core.gateway.dispatch(inbound)

    async def dispatch_and_answer(self, inbound: Inbound, source: Source, *, action: str, locale: str,
                                  dedup: str) -> Reply:
        """Run `inbound` and show its reply where `source` happened, both in one transaction;
        the answer goes its own way when the handlers ended without one (a conflict)."""
        answering = Answering(self, source, action, locale, dedup)
        reply = await self.core.gateway.dispatch(inbound, then=answering)
        if not answering.written:
            await self.answer(source, reply, action=action, locale=locale, dedup=dedup)
        return reply

    def when(self) -> str:
        return slack_date(self.core.clock.now(), self.core.settings.TIMEZONE)

    async def answer(self, source: Source, reply: Reply, *, action: str, locale: str,
                     dedup: str) -> None:
        """Show `reply` where `source` happened (through the outbox)."""
        plan = plan_answer(source, reply, action=action, locale=locale, when=self.when())
        if not await queue(self.core, source, plan, dedup):
            url = source.response_url
            if url and self.workspaces.trusted_host(url):
                await answer_directly(source, reply)

    async def open_form(self, client: AsyncWebClient, trigger_id: str, ref: ActionRef,
                        locale: str, origin: Origin) -> str | None:
        """Open the modal for `ref` now (a trigger_id lives 3 s); the error when it did not."""
        try:
            await client.views_open(trigger_id=trigger_id, view=form_view(ref, locale, origin))
        except SlackApiError as error:
            return str(error.response.get("error") or error)
        except Exception as error:  # the network: the person is told and can type instead
            log.warning("views.open failed: %s: %s", type(error).__name__, error)
            return type(error).__name__
        return None

    async def publish_home(self, asker: Asker, dedup: str) -> None:
        """Queue a fresh Home tab for the asker."""
        team, user = asker.team_id, asker.user_id
        entries = await home(self.core.uow_factory, self.core.deps, PLATFORM, team, user)
        if entries is None:
            view = notice_home(t("h.refused", asker.locale),
                               t("h.unknown_user", asker.locale, identity=f"{PLATFORM}:{user}"))
        else:
            view = home_view(entries, team, asker.locale)
        plan = Plan()
        plan.add("views.publish", {"user_id": user, "view": view}, user, None)
        await queue(self.core, Source(team, user), plan, dedup)
