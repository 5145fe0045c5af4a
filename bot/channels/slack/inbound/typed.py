"""A slash command or a submitted modal, kept in the inbox while its listener runs it at once
(Gateway.handle_now: Slack waits for the answer in the HTTP response). Should a worker take it
meanwhile, `run` does what the listener would and answers where the request came from."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.inbound.answers import Source
from bot.channels.slack.inbound.steps import RequestSteps, refusal
from bot.channels.slack.workspaces import PLATFORM
from handlers.contracts import Inbound
from workflow.i18n import normalise_locale, t

# The inbox body of a typed request: the normalised request, where to answer, and how.
KIND = "typed"


def lane_of(inbound: Inbound) -> str:
    """In order with the presses and messages of the same person on the same case."""
    return f"{PLATFORM}:{inbound.platform_tenant}:{inbound.user_id}:{inbound.case_ref or ''}"


def inbox_body(inbound: Inbound, source: Source, *, action: str, dedup: str) -> dict[str, Any]:
    return {"kind": KIND, "team": inbound.platform_tenant, "inbound": asdict(inbound),
            "source": asdict(source), "action": action, "dedup": dedup}


def _source(kept: dict[str, Any]) -> Source:
    fields = dict(kept["source"])
    return Source(**{**fields, "blocks": tuple(fields.get("blocks") or ())})


async def run(steps: RequestSteps, client: AsyncWebClient, kept: dict[str, Any]) -> None:
    """Run a kept typed request and answer where it came from."""
    inbound = Inbound(**kept["inbound"])
    reply = await steps.dispatch(inbound)
    await steps.answer(_source(kept), reply, action=str(kept["action"]),
                       locale=normalise_locale(inbound.locale), dedup=str(kept["dedup"]))


async def gave_up(steps: RequestSteps, client: AsyncWebClient, kept: dict[str, Any]) -> None:
    """Tell the sender that a kept typed request was never run (the worker gave up on it)."""
    locale = normalise_locale(Inbound(**kept["inbound"]).locale)
    await steps.answer(_source(kept), refusal(t("slack.error", locale), locale),
                       action=str(kept["action"]), locale=locale, dedup=f"{kept['dedup']}:gave-up")
