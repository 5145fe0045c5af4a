"""A reply is in the language the person wrote in, else their directory locale (issue 16).

The request is built the way every channel builds it (router parse -> to_inbound) and runs
through dispatch, for a console, a Slack and a WeCom workspace.
"""

from __future__ import annotations

import pytest

from bot.router import parse, to_inbound
from handlers.dispatch import handle
from handlers.signing.page import answer, open_link
from handlers.signing.record import intention_for
from tests.handlers.conftest import World
from tests.handlers.test_documents import link_in
from tests.handlers.test_flow import to_employee
from tests.handlers.test_signing_links import PHONE, SIGN
from workflow.i18n import t

WORKSPACES = {"console": "local", "slack": "T0001", "wecom": "ww-corp"}


async def link_workspace(world: World, platform: str, platform_tenant: str) -> None:
    """lee (zh-CN in the directory) and mike (en) in a workspace of `platform`."""
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.get_or_create(f"{platform}:{platform_tenant}",
                                                 name="Acme", timezone="Asia/Shanghai")
        for handle_, no, name, locale in (("lee", "M001", "李雷", "zh-CN"),
                                          ("mike", "M002", "Mike Wu", "en")):
            person = await uow.people.upsert(tenant.id, no, name=name, roles="manager",
                                             locale=locale)
            await uow.people.link_identity(person.id, platform, platform_tenant, handle_)
        await uow.commit()


async def say(world: World, platform: str, who: str, text: str) -> str:
    """What `who` typed, answered: the locale of the (first) reply."""
    inbound = to_inbound(parse(text), platform=platform, platform_tenant=WORKSPACES[platform],
                         user_id=who)
    reply = await handle(inbound, world.uow_factory, world.deps)
    assert reply.messages, reply
    return reply.messages[0].locale


@pytest.mark.parametrize("platform", sorted(WORKSPACES))
async def test_the_reply_follows_the_language_typed_then_the_directory(
    world: World, platform: str
) -> None:
    if platform != "console":
        await link_workspace(world, platform, WORKSPACES[platform])
    # An English command from a person the directory calls Chinese is answered in English ...
    assert await say(world, platform, "lee", "help") == "en"
    assert await say(world, platform, "lee", "/offboard status") == "en"
    # ... a Chinese one from an English-speaking person in Chinese ...
    assert await say(world, platform, "mike", "帮助") == "zh-CN"
    assert await say(world, platform, "mike", "进度") == "zh-CN"
    # ... a refusal too (a case that does not exist), and a command missing its reason ...
    assert await say(world, platform, "lee", "withdraw C-0042 wrong person") == "en"
    assert await say(world, platform, "mike", "撤回 C-0042 搞错了") == "zh-CN"
    assert await say(world, platform, "lee", "withdraw C-0042") == "en"
    assert await say(world, platform, "mike", "撤回 C-0042") == "zh-CN"
    # ... and what no language can be read from goes by the directory.
    assert await say(world, platform, "lee", "frobnicate") == "zh-CN"
    assert await say(world, platform, "mike", "frobnicate") == "en"


async def test_the_reply_text_is_in_the_language_typed(world: World) -> None:
    inbound = to_inbound(parse("help"), platform="console", platform_tenant="local", user_id="lee")
    reply = await handle(inbound, world.uow_factory, world.deps)
    assert reply.messages[0].data["title"] == t("h.help.title", "en")


def test_the_router_names_the_language_of_the_words_it_recognised() -> None:
    written = {text: parse(text).written for text in (
        "approve 1", "同意 1", "提交7", "/offboard @alice incompetent", "退工 @alice 不能胜任",
        "@alice misconduct", "@alice 违纪", "?", "frobnicate", "reject 1", "驳回 1")}
    assert written == {
        "approve 1": "en", "同意 1": "zh-CN", "提交7": "zh-CN",
        "/offboard @alice incompetent": "en", "退工 @alice 不能胜任": "zh-CN",
        "@alice misconduct": "en", "@alice 违纪": "zh-CN", "?": None, "frobnicate": None,
        "reject 1": "en", "驳回 1": "zh-CN"}  # a reason is missing: the error still knows


async def set_company(world: World, *, locale: str, blank: tuple[str, ...]) -> None:
    """The company's language is `locale`; the people `blank` (console handles) name none."""
    async with world.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        tenant.settings = {**tenant.settings, "locale": locale}
        for handle_ in blank:
            person = await uow.people.by_identity("console", "local", handle_)
            await uow.people.upsert(tenant.id, person.employee_no, locale="")
        await uow.commit()


@pytest.mark.parametrize("company", ["en", "zh-CN"])
async def test_people_the_directory_gives_no_language_read_the_companys(
    world: World, company: str
) -> None:
    await set_company(world, locale=company, blank=("lee", "wangfang"))
    # An answer to what no language can be read from (a button press) ...
    reply = await world.act("lee", "status", None)
    assert reply.messages[0].locale == company
    assert reply.messages[0].data["title"] == t("h.status.title", company)
    # ... a message to them unasked (HR zhao, English, opens a case on lee's report) ...
    assert (await world.act("zhao", "open", None, employee="alice", ground="incompetent")).ok
    [card] = await world.sent_to("lee", "case_opened")
    assert card.locale == company
    # ... and the HR group, in the company's language; a named locale still wins.
    group = [m for m in await world.outbox() if m.recipient == "hr_group"]
    assert group and {m.payload["locale"] for m in group} == {company}
    assert (await world.act("mike", "status", None)).messages[0].locale == "en"
    typed = to_inbound(parse("帮助"), platform="console", platform_tenant="local", user_id="lee")
    assert (await handle(typed, world.uow_factory, world.deps)).messages[0].locale == "zh-CN"


async def test_the_signing_page_and_record_follow_the_company_for_an_employee_with_no_language(
    world: World
) -> None:
    await set_company(world, locale="en", blank=("alice",))
    await to_employee(world)
    card = (await world.sent_to("alice", "employee_decision"))[-1]
    assert card.locale == "en"
    token = link_in(card)
    view = await open_link(world.uow_factory, world.deps, token, PHONE)
    assert view.locale == "en" and view.intention == intention_for(await world.case(), "en")
    await answer(world.uow_factory, world.deps, token, PHONE, SIGN)
    case = await world.case()
    async with world.uow_factory() as uow:
        (signature,) = await uow.signatures.for_case(case.id)
    assert signature.record["locale"] == "en"
