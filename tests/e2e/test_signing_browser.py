"""The employee signs on a phone: headless Chromium (Debian's package, launched through playwright,
never downloaded) opens the signing link served by the real app under uvicorn, reads, ticks
"I have read and understood", signs; the case moves to handover and the link then says
"already signed". Screenshots go to artifacts/ (gitignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import create_app
from bot.signing.routes import signing_router
from tests.bot.services_support import serving
from tests.bot.signing_support import Site, latest_link, site_fixture, to_employee  # noqa: F401
from tests.conftest import service_unavailable

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the browser is the point


async def test_an_employee_signs_on_a_phone(site: Site) -> None:
    if not CHROMIUM.is_file():
        service_unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    from playwright.async_api import async_playwright  # only where a browser can run

    await to_employee(site.world)
    token = await latest_link(site.world, "alice")
    ARTIFACTS.mkdir(exist_ok=True)
    app = create_app(site.runtime, run_worker=False, routers=[signing_router(site.runtime)])
    async with serving(app) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = await browser.new_context(**playwright.devices["Pixel 5"], locale="zh-CN")
            page = await context.new_page()
            url = f"{base}/sign/{token}"
            response = await page.goto(url)
            assert response is not None and response.status == 200
            assert await page.locator("h1").inner_text() == "请阅读并回复：案件 C-0001"
            notice = page.locator("article.document").first
            assert "解除劳动合同通知书" in await notice.inner_text()
            assert "78,500.00" in await page.locator("main").inner_text()
            # Read to the end, then confirm and sign.
            await page.locator("#sign").scroll_into_view_if_needed()
            await page.screenshot(path=ARTIFACTS / "signing-page.png", full_page=True)
            await page.get_by_label("我已阅读并理解").check()
            await page.locator("#sign").click()
            await page.wait_for_load_state()
            assert "已签署" in await page.locator("h1").inner_text()
            case = await site.world.case()
            assert case.state == "handover"
            async with site.world.uow_factory() as uow:
                (signature,) = await uow.signatures.for_case(case.id)
            assert signature.record["ip"] == "127.0.0.1"
            assert "Android" in signature.record["user_agent"]  # the phone's browser
            # The same link afterwards: "already signed", nothing to press.
            again = await page.goto(url)
            assert again is not None and again.status == 200
            assert await page.locator("h1").inner_text() == "已签署"
            assert await page.locator("form").count() == 0
            await page.screenshot(path=ARTIFACTS / "signing-already-signed.png", full_page=True)
        finally:
            await browser.close()
