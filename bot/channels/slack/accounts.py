"""Which Slack accounts may stand for a directory person: only full members of the workspace.
A guest, an external (Slack Connect) user or a member of another workspace may carry a
colleague's e-mail address; linked to that colleague, they would act, be sent signing links and
sign as them."""

from __future__ import annotations

from typing import Any


def unlinkable(user: dict[str, Any], team_id: str) -> str | None:
    """Why this Slack account may not be linked to a directory person by e-mail; None: it may.
    From users.info: guests are is_restricted (multi-channel) or is_ultra_restricted (single
    channel), an external user is is_stranger or belongs to another team."""
    if user.get("is_bot") or user.get("is_app_user"):
        return "a bot"
    if user.get("deleted"):
        return "a deactivated account"
    if user.get("is_ultra_restricted") or user.get("is_restricted"):
        return "a guest"
    if user.get("is_stranger"):
        return "an external (Slack Connect) user"
    enterprise = user.get("enterprise_user") if isinstance(user.get("enterprise_user"), dict) else {}
    teams = enterprise.get("teams") if isinstance(enterprise.get("teams"), list) else []
    home = str(user.get("team_id") or "")
    if home != team_id and team_id not in teams:
        return f"a member of another workspace ({home or 'unknown'})"
    return None
