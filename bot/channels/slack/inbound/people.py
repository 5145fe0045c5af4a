"""Slack accounts → directory people: by the account already linked, else by the e-mail Slack
has for it (users.info), linking it on first contact; an account nobody knows is reported to HR
once and answered in the language its Slack profile uses.

Only a full member of this workspace is linked by e-mail: a guest, an external (Slack Connect)
user or a member of another workspace may carry a colleague's address, and linking it would let
them act — and sign — as that colleague. The account linked is the identity that person acts
and signs with from then on."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.accounts import unlinkable
from bot.channels.slack.workspaces import PLATFORM
from handlers import identity
from handlers.identity import Member
from workflow.i18n import normalise_locale

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asker:
    """The person behind a request, as far as we know them."""

    team_id: str
    user_id: str
    locale: str
    member: Member | None


async def _profile(client: AsyncWebClient, user_id: str) -> dict[str, Any] | None:
    """users.info (with the locale); None when Slack could not say."""
    try:
        response = await client.users_info(user=user_id, include_locale=True)
    except SlackApiError as error:
        log.warning("users.info %s failed: %s", user_id, error.response.get("error"))
        return None
    except Exception as error:  # the network: treat as "could not say", never as "unknown"
        log.warning("users.info %s failed: %s: %s", user_id, type(error).__name__, error)
        return None
    user = response.get("user")
    return user if isinstance(user, dict) else None


async def _link_by_email(core: Core, team_id: str, user_id: str, user: dict[str, Any]) -> Member | None:
    """Link the account to the directory person with its e-mail, if it is one of ours."""
    if (why := unlinkable(user, team_id)) is not None:
        log.warning("not linking Slack account %s in team %s by e-mail: %s", user_id, team_id, why)
        return None
    return await identity.link_by_email(core.uow_factory, PLATFORM, team_id, user_id, _email(user))


def _email(user: dict[str, Any]) -> str:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    return str(profile.get("email") or "")


async def resolve(core: Core, client: AsyncWebClient, team_id: str, user_id: str,
                  *, default_locale: str) -> Asker:
    """Who `user_id` is; on first contact looks them up and links them by e-mail."""
    uow_factory = core.uow_factory
    known = await identity.member(uow_factory, PLATFORM, team_id, user_id)
    if known is not None:
        return Asker(team_id, user_id, known.locale, known)
    user = await _profile(client, user_id)
    if user is None:
        return Asker(team_id, user_id, normalise_locale(default_locale), None)
    locale = normalise_locale(str(user.get("locale") or default_locale))
    email = _email(user)
    linked = await _link_by_email(core, team_id, user_id, user)
    if linked is not None:
        return Asker(team_id, user_id, linked.locale, linked)
    if not user.get("is_bot"):
        name = str(user.get("real_name") or user.get("name") or "")
        await identity.report_unknown(uow_factory, core.clock.now(), PLATFORM, team_id,
                                      user_id, name=name, email=email)
    return Asker(team_id, user_id, locale, None)


async def handle_for(core: Core, client: AsyncWebClient, team_id: str, user_id: str) -> str:
    """How the handlers should look up a person picked or @mentioned in Slack: their account
    once linked (by e-mail if need be), else their e-mail, so a refusal names someone readable."""
    uow_factory = core.uow_factory
    if await identity.member(uow_factory, PLATFORM, team_id, user_id) is not None:
        return user_id
    user = await _profile(client, user_id)
    email = _email(user) if user is not None else ""
    if email and user is not None and await _link_by_email(core, team_id, user_id, user):
        return user_id
    return email or user_id
