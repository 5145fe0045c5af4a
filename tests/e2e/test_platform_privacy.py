"""A whole case through Slack and through WeCom with every secret configured and LOG_LEVEL=DEBUG:
no log line of any logger carries a secret, a token, a raw signing link, a salary figure or the
employee's protected status.

Logging is set up as `python -m bot` does (bot/logs.py: configure_logging at DEBUG, then
mask_secrets with the settings' secret values); every record reaching the root handler is captured
after its filter. The case (tests/reliability/secrets_world.py) is a mutual separation of a pregnant
employee with figures found nowhere else; the people on the case are shown them, which is checked
too, so a case that never showed a figure cannot pass by accident.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_app
from bot.bootstrap import Services
from bot.logs import mask_secrets
from bot.signing.routes import signing_router
from tests.bot.services_support import serving, settings_for
from tests.e2e import slack_support as slack
from tests.e2e import wecom_support as wecom
from tests.e2e.fake_slack import Install
from tests.e2e.slack_support import HR_CHANNEL, Stack, Workspace, add_people, case_state, install, text_of
from tests.e2e.wecom_support import latest_card, step
from tests.reliability.secrets_world import (
    AVG_WAGE,
    FACTS,
    PREV_WAGE,
    PROTECTED_MARKS,
    forbidden,
    leaking_lines,
    leaks,
    secret_settings,
    shaped_leaks,
)

SIGNING_LINK = re.compile(r"https?://[^\s\"'<>|]*?/sign/([A-Za-z0-9_-]{16,})")


def _logged(debug_logs: pytest.LogCaptureFixture) -> str:
    return "\n".join(debug_logs.handler.format(record) for record in debug_logs.records)


def _assert_clean(debug_logs: pytest.LogCaptureFixture, secrets: dict[str, str], links: Iterable[str],
                  libraries: Iterable[str]) -> None:
    """Every log line is free of the marks; and the capture saw DEBUG lines of `libraries` and
    lines of ours and of uvicorn (so that a capture that saw nothing cannot pass)."""
    records = debug_logs.records
    debug_from = {r.name.split(".")[0] for r in records if r.levelno == logging.DEBUG}
    assert set(libraries) <= debug_from, f"no DEBUG lines from {set(libraries) - debug_from}"
    assert {"bot", "uvicorn"} <= {r.name.split(".")[0] for r in records}
    logged = _logged(debug_logs)
    marks = {**forbidden(secrets), **{token: "a signing link's token" for token in links}}
    assert leaks(logged, marks) == [], leaking_lines(logged, marks)[:5]
    assert shaped_leaks(logged) == []


def _figures_and_status(text: str) -> bool:
    plain = text.replace(",", "")
    return "23456" in plain and any(mark in text for mark in PROTECTED_MARKS)


async def _open_signing_page(runtime: Services, shown: str) -> list[str]:
    """The employee opens the signing link on her card (the page, served as `serve` does): the
    links' tokens, which no log may show."""
    links = SIGNING_LINK.findall(shown)  # a card may show a shortened one beside the whole link
    assert links, shown
    app = create_app(runtime, run_worker=False, routers=[signing_router(runtime)])
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as http:
        page = await http.get(f"/sign/{max(links, key=len)}")
    assert page.status_code == 200 and "C-0001" in page.text
    return links


# ------------------------------------------------------------------------------------------ Slack


async def _slack_mutual_case(stack: Stack, t1: Workspace) -> None:
    """Open, evidence, submit, facts by the modal, approve: the case awaits its talk."""
    response = await t1.command("lee", f"<@{t1.uid('alice')}> mutual 协商一致解除")
    assert response.status_code == 200 and "C-0001" in response.text
    response = await t1.command("lee", "evidence C-0001 proposal 公司提出协商解除 https://hr.example/p")
    assert response.status_code == 200
    await t1.post(t1.press_request("lee", response.json()["blocks"], "submit", channel="CGENERAL",
                                   ephemeral=True))
    await stack.settle()
    assert (await case_state(stack))[0] == "hr_review"
    assert (await t1.press("wangfang", t1.latest_with("wangfang", "confirm_facts"), "confirm_facts")
            ).status_code == 200
    response = await t1.submit("wangfang", t1.opened(), {
        "fact.hired": FACTS["hired"], "fact.last_day": FACTS["last_day"], "fact.avg_wage": AVG_WAGE,
        "fact.prev_wage": PREV_WAGE, "fact.proposed_by": "employer", "fact.protections": ["pregnant"],
        "confirm": ["yes"]})
    assert response.status_code == 200 and response.text == ""
    await stack.settle()
    review = t1.latest_with("wangfang", "approve")
    assert _figures_and_status(text_of(review.blocks)), text_of(review.blocks)
    assert (await t1.press("wangfang", review, "approve")).status_code == 200
    await stack.settle()
    assert (await case_state(stack))[0] == "scheduling_talk"


async def test_a_whole_slack_case_at_debug_logs_no_secret_or_personal_fact(
        db_url: str, engine: AsyncEngine, debug_logs: pytest.LogCaptureFixture) -> None:
    secrets = secret_settings()
    settings = {name: value for name, value in secrets.items() if name != "SLACK_API_URL"}  # the fake's
    mask_secrets(settings_for(db_url, **settings).secret_values())  # as `python -m bot` does at start
    async with slack.slack_stack(db_url, oauth=True, **settings) as stack:
        stack.fake.installs = {"code-1": Install("T1", "Team One", HR_CHANNEL["T1"])}
        assert (await install(stack.http, "code-1")).status_code == 200
        add_people(stack.fake, "T1", "example.com")
        await stack.import_directory("T1")
        t1 = stack.workspace("T1")
        await _slack_mutual_case(stack, t1)
        await slack.talk(stack, t1)
        decision = t1.latest_with("alice", "sign")
        shown = text_of(decision.blocks)
        assert "129012" in shown.replace(",", ""), shown  # the compensation, on her own card
        links = await _open_signing_page(stack.runtime, shown)  # she reads, then presses Sign
        await slack.sign_and_hand_over(stack, t1)
        assert (await case_state(stack))[0] == "closed"

    _assert_clean(debug_logs, secrets, links, ("slack_sdk", "httpcore", "bot"))


# ------------------------------------------------------------------------------------------ WeCom


async def test_a_whole_wecom_case_at_debug_logs_no_secret_or_personal_fact(
        db_url: str, engine: AsyncEngine, debug_logs: pytest.LogCaptureFixture) -> None:
    secrets = secret_settings()
    robot_key = parse_qs(urlsplit(secrets["WECOM_HR_WEBHOOK"]).query)["key"][0]
    credentials = {"secret": secrets["WECOM_SECRET"], "token": secrets["WECOM_TOKEN"],
                   "aes_key": secrets["WECOM_AES_KEY"], "robot_key": robot_key}
    # The stack's own: the fake's address and corp; the rest as configured (Slack's too).
    settings = {name: value for name, value in secrets.items() if not name.startswith("WECOM_")}
    mask_secrets(settings_for(db_url, **secrets).secret_values())  # as `python -m bot` does at start
    async with wecom.wecom_stack(db_url, **credentials, **settings) as stack:
        fake, phone = stack.fake, stack.phone
        await stack.sync_directory()
        await step(stack, await phone.text("lee", "退工 @alice 协商一致 公司提出协商解除"))
        await step(stack, await phone.text("lee", "公司提出协商解除 https://hr.example.com/proposal"))
        await step(stack, await stack.click("lee", latest_card(stack, "lee", "submit"), "submit"))
        facts = " ".join(f"{key}={value}" for key, value in FACTS.items() if key != "confirm")
        await step(stack, await phone.text("wangfang", f"事实 C-0001 {facts} confirm=是"))
        review = latest_card(stack, "wangfang", "approve")
        detail = fake.sent("markdown", to="wangfang")[-1]["markdown"]["content"]  # the card's full text
        assert _figures_and_status(detail), detail
        await step(stack, await stack.click("wangfang", review, "approve"))
        await wecom.talk(stack)
        shown = json.dumps(fake.cards(to="alice") + fake.sent("markdown", to="alice"),
                           ensure_ascii=False)
        assert "129012" in shown.replace(",", ""), shown  # the compensation, on her own card
        links = await _open_signing_page(stack.runtime, shown)
        await wecom.sign_and_hand_over(stack)
        async with stack.runtime.uow_factory() as uow:
            tenant = await uow.tenants.by_key(f"wecom:{phone.corp_id}")
            case = await uow.cases.by_ref(tenant.id, "C-0001")
            assert (case.state, case.outcome) == ("closed", "completed")
        assert fake.robot_posts() and fake.calls_to("gettoken")

    _assert_clean(debug_logs, secrets, links, ("httpcore", "urllib3"))
