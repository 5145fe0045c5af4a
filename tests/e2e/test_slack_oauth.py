"""Many workspaces: two teams install the app through the OAuth flow (our /slack/install and
/slack/oauth_redirect, Slack's oauth.v2.access on the fake), each becomes a tenant with its own
bot token and HR channel, and each sees only its own cases."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import SlackBot, SlackInstallation
from tests.e2e.fake_slack import Install
from tests.e2e.slack_support import HR_CHANNEL, add_people, case_state, install, slack_stack, text_of
from workflow.i18n import t


async def test_two_workspaces_installed_by_oauth_see_only_their_own_cases(
        db_url: str, engine: AsyncEngine) -> None:
    async with slack_stack(db_url, oauth=True) as stack:
        fake, http = stack.fake, stack.http
        fake.installs = {"code-1": Install("T1", "Team One", HR_CHANNEL["T1"]),
                         "code-2": Install("T2", "Team Two", HR_CHANNEL["T2"])}
        for code in ("code-1", "code-2"):
            done = await install(http, code)
            assert done.status_code == 200, done.text
        # A redirect without the browser's state cookie is refused (and installs nothing).
        page = await http.get("/slack/install")
        state = re.search(r"slack-app-oauth-state=([^;]+)", page.headers["set-cookie"]).group(1)
        forged = await http.get("/slack/oauth_redirect", params={"code": "code-1", "state": state})
        assert forged.status_code == 400
        async with stack.runtime.uow_factory() as uow:
            installs = await uow.session.scalar(select(func.count()).select_from(SlackInstallation))
            bots = await uow.session.scalar(select(func.count()).select_from(SlackBot))
            tenants = {key: (await uow.tenants.by_key(key)) for key in ("slack:T1", "slack:T2")}
        assert installs == 2 and bots == 2
        assert {k: t.hr_channel for k, t in tenants.items()} == {
            "slack:T1": HR_CHANNEL["T1"], "slack:T2": HR_CHANNEL["T2"]}

        opened = {}
        for team, domain, ground in (("T1", "one.example", "incompetent"),
                                     ("T2", "two.example", "misconduct")):
            add_people(fake, team, domain)
            await stack.import_directory(team, domain)
            response = await stack.workspace(team).command("lee", f"<@U{team}ALICE> {ground}")
            assert response.status_code == 200 and "C-0001" in response.text
            opened[team] = response.json()["blocks"]
        await stack.settle()

        # Each workspace's HR channel got its own case, with its own token.
        for team, other in (("T1", "T2"), ("T2", "T1")):
            posts = [c for c in fake.to("chat.postMessage") if c.args["channel"] == HR_CHANNEL[team]]
            assert posts and all(c.token == f"xoxb-{team}" for c in posts)
            assert all(HR_CHANNEL[other] != c.args["channel"] for c in posts)
        t1_status = (await stack.workspace("T1").command("wangfang", "status")).json()
        t2_status = (await stack.workspace("T2").command("wangfang", "status")).json()
        # `status` was typed in English, so it is answered in English whatever the directory says.
        incompetent, misconduct = t("h.ground.incompetent", "en"), t("h.ground.misconduct", "en")
        assert incompetent in text_of(t1_status["blocks"]) and misconduct not in text_of(t1_status["blocks"])
        assert misconduct in text_of(t2_status["blocks"]) and incompetent not in text_of(t2_status["blocks"])

        # T2's HR pressing a card drawn in T1 changes nothing in either workspace.
        before = (await case_state(stack, "T1"), await case_state(stack, "T2"))
        t2 = stack.workspace("T2")
        response = await t2.post(t2.press_request("lee", opened["T1"], "withdraw",
                                                  channel="CGENERAL", ephemeral=True))
        assert response.status_code == 200
        await stack.settle()
        assert (await case_state(stack, "T1"), await case_state(stack, "T2")) == before
        assert "另一个 Slack 工作区" in text_of(fake.responses[-1])
        assert not fake.to("views.open")  # no form opened for it either
        assert fake.problems == []


async def test_a_workspace_client_is_kept_while_its_token_stays_and_let_go_with_it(
        db_url: str, engine: AsyncEngine) -> None:
    """The relay keeps one Web API client per workspace (building one per message cost a tenth
    of the call), but never past its token: a reinstall's new token gets a new client, and
    closing the channel lets go of them all."""
    async with slack_stack(db_url) as stack:
        sender = stack.runtime.channels.get("slack").sender  # type: ignore[union-attr]
        first = sender.client("T1", "xoxb-first")
        assert sender.client("T1", "xoxb-first") is first
        other = sender.client("T2", "xoxb-other")
        assert other is not first and sender.client("T1", "xoxb-first") is first
        renewed = sender.client("T1", "xoxb-renewed")
        assert renewed is not first and renewed.token == "xoxb-renewed"
        await sender.close()
        assert sender.client("T1", "xoxb-renewed") is not renewed
