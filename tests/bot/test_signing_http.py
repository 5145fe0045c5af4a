"""The signing page through the real FastAPI app: headers, CSRF, every misuse refused with a clear
page and nothing recorded, and a signature that carries the browser's IP and user agent."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot.app import create_app
from bot.signing.routes import signing_router
from handlers.seal import public_pem
from tests.bot.signing_support import Site, bob_to_employee, latest_link, site_fixture, to_employee  # noqa: F401
from tests.handlers.test_signing_links import footprint

UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile"
CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@pytest.fixture
async def client(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(site.runtime, run_worker=False, routers=[signing_router(site.runtime)])
    transport = httpx.ASGITransport(app=app, client=("198.51.100.23", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://offboard.example.com",
                                 headers={"user-agent": UA}) as http:
        yield http


def assert_secure(response: httpx.Response) -> None:
    headers = response.headers
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


async def open_page(http: httpx.AsyncClient, token: str) -> tuple[str, str]:
    """GET the page; (cookie nonce, form CSRF token)."""
    page = await http.get(f"/sign/{token}")
    assert page.status_code == 200, page.text
    cookie = page.headers["set-cookie"]
    nonce = re.match(r"offboard_sign=([^;]+);", cookie)
    field = CSRF_FIELD.search(page.text)
    assert nonce and field
    http.cookies.clear()  # each post below says exactly which cookie it sends
    return nonce.group(1), field.group(1)


async def post(http: httpx.AsyncClient, token: str, nonce: str | None, csrf: str | None,
               **form: str) -> httpx.Response:
    headers = {"cookie": f"offboard_sign={nonce}"} if nonce else {}
    data = {"action": "sign", "read": "yes", **form, **({"csrf": csrf} if csrf else {})}
    return await http.post(f"/sign/{token}", data=data, headers=headers)


async def test_the_page_shows_the_documents_with_strict_headers(site: Site,
                                                                client: httpx.AsyncClient) -> None:
    await to_employee(site.world)
    token = await latest_link(site.world, "alice")
    page = await client.get(f"/sign/{token}")
    assert page.status_code == 200
    assert_secure(page)
    cookie = page.headers["set-cookie"]
    assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/sign/"))
    html = page.text
    assert "解除劳动合同通知书" in html and "78,500.00" in html and "我已阅读并理解" in html
    assert "<script" not in html and html.count('name="csrf"') == 2
    english = await client.get(f"/sign/{token}?lang=en")
    assert "Notice of Termination" in english.text and "I have read and understood" in english.text
    css = await client.get("/sign/static/sign.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    # Both languages' PDFs download through the link, byte for byte what was hashed.
    case = await site.world.case()
    async with site.world.uow_factory() as uow:
        documents = await uow.documents.for_case(case.id)
    for document in documents:
        assert f"/sign/{token}/documents/{document.id}" in html
        pdf = await client.get(f"/sign/{token}/documents/{document.id}")
        assert pdf.headers["content-type"] == "application/pdf"
        assert hashlib.sha256(pdf.content).hexdigest() == document.sha256
        assert pdf.headers["x-frame-options"] == "DENY"


async def test_signing_records_the_browser_and_the_link_then_says_already_signed(
        site: Site, client: httpx.AsyncClient) -> None:
    await to_employee(site.world)
    token = await latest_link(site.world, "alice")
    nonce, csrf = await open_page(client, token)
    unread = await post(client, token, nonce, csrf, read="")
    assert unread.status_code == 422 and "我已阅读并理解" in unread.text
    done = await post(client, token, nonce, csrf)
    assert done.status_code == 303 and done.headers["location"].startswith(f"/sign/{token}")
    case = await site.world.case()
    assert case.state == "handover"
    async with site.world.uow_factory() as uow:
        (signature,) = await uow.signatures.for_case(case.id)
    assert (signature.record["ip"], signature.record["user_agent"]) == ("198.51.100.23", UA)
    # Sealed with the key created on first use in SIGNING_KEY_PATH, readable by its owner only.
    key = serialization.load_pem_private_key(site.key_path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    assert signature.public_key == public_pem(key.public_key())
    assert site.key_path.stat().st_mode & 0o777 == 0o600
    again = await client.get(done.headers["location"])
    assert again.status_code == 200 and "已签署" in again.text
    assert_secure(again)


async def test_reuse_is_refused_and_records_nothing(site: Site, client: httpx.AsyncClient) -> None:
    await to_employee(site.world)
    token = await latest_link(site.world, "alice")
    nonce, csrf = await open_page(client, token)
    assert (await post(client, token, nonce, csrf)).status_code == 303
    before = await footprint(site.world)
    for form in ({}, {"action": "dispute", "reason": "改主意了"}):
        reused = await post(client, token, nonce, csrf, **form)
        assert reused.status_code == 200 and "已签署" in reused.text
    assert await footprint(site.world) == before


async def test_a_missing_or_foreign_csrf_token_is_refused_and_records_nothing(
        site: Site, client: httpx.AsyncClient) -> None:
    await to_employee(site.world)
    await bob_to_employee(site.world)
    alice, bob = await latest_link(site.world, "alice"), await latest_link(site.world, "bob", "C-0002")
    nonce, csrf = await open_page(client, alice)
    await open_page(client, bob)  # Bob's "read" is recorded here, before the footprint
    before = await footprint(site.world)
    attempts = [
        await post(client, alice, None, None),  # no cookie, no field
        await post(client, alice, nonce, None),  # the cookie alone
        await post(client, alice, None, csrf),  # the field alone
        await post(client, alice, "another-nonce", csrf),
        await post(client, bob, nonce, csrf),  # Alice's form posted to Bob's link
    ]
    for response in attempts:
        assert response.status_code == 403 and "表单已失效" in response.text
        assert_secure(response)
    assert await footprint(site.world) == before
    assert (await site.world.case("C-0002")).state == "awaiting_employee"


async def test_expired_old_version_and_unknown_links_get_clear_pages(
        site: Site, client: httpx.AsyncClient) -> None:
    await to_employee(site.world)
    old = await latest_link(site.world, "alice")
    nonce, csrf = await open_page(client, old)
    assert (await site.world.act("alice", "dispute", text="有误")).ok
    assert (await site.world.act("wangfang", "revise", text="已更正")).ok
    current = await latest_link(site.world, "alice")
    before = await footprint(site.world)
    superseded = await post(client, old, nonce, csrf)
    assert superseded.status_code == 410 and "文件已更新" in superseded.text
    assert (await client.get(f"/sign/{old}")).status_code == 410
    site.world.clock.set(site.world.clock.now() + timedelta(hours=72))
    expired = await client.get(f"/sign/{current}")
    assert expired.status_code == 410 and "链接已过期" in expired.text
    for path in ("/sign/" + "A" * 43, "/sign/short", "/sign/%3Cscript%3E",
                 f"/sign/{current}/documents/999999"):
        unknown = await client.get(path)
        assert unknown.status_code == 404 and "链接无效" in unknown.text, path
        assert_secure(unknown)
    assert await footprint(site.world) == before


async def test_a_chat_app_previewing_the_link_sees_nothing_and_records_nothing(
        site: Site, client: httpx.AsyncClient) -> None:
    await to_employee(site.world)
    token = await latest_link(site.world, "alice")
    before = await footprint(site.world)
    preview = await client.get(f"/sign/{token}",
                               headers={"user-agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"})
    assert preview.status_code == 200 and "签署链接" in preview.text
    assert "C-0001" not in preview.text and "78,500" not in preview.text
    assert "set-cookie" not in preview.headers
    assert await footprint(site.world) == before
    assert (await site.world.case()).record.read_at is None


async def test_malformed_posts_get_an_answer_not_a_crash(site: Site,
                                                         client: httpx.AsyncClient) -> None:
    await to_employee(site.world)
    token = await latest_link(site.world, "alice")
    before = await footprint(site.world)
    for headers, body in (({"content-type": "multipart/form-data; boundary=zz"}, b"--zz\r\njunk"),
                          ({"content-type": "application/x-www-form-urlencoded"}, b"%%%&&&=="),
                          ({"content-type": "application/json"}, b"{"),
                          ({}, b"\xff" * 100)):
        response = await client.post(f"/sign/{token}", content=body, headers=headers)
        assert 400 <= response.status_code < 500, (headers, response.status_code)
    assert await footprint(site.world) == before


async def _download_paths(site: Site, token: str) -> list[str]:
    case = await site.world.case()
    async with site.world.uow_factory() as uow:
        documents = await uow.documents.for_case(case.id, case.record.document.version)
    return [f"/sign/{token}/documents/{d.id}" for d in documents]


async def test_a_signed_link_serves_no_documents_but_shows_the_signer_the_receipt(
        site: Site, client: httpx.AsyncClient) -> None:
    await to_employee(site.world)
    token = await latest_link(site.world, "alice")
    paths = await _download_paths(site, token)
    assert (await client.get(paths[0])).status_code == 200  # while it can be answered
    nonce, csrf = await open_page(client, token)
    assert (await post(client, token, nonce, csrf)).status_code == 303
    case = await site.world.case()
    for path in paths:
        gone = await client.get(path)
        assert gone.status_code == 410 and "不再提供文件" in gone.text and "%PDF" not in gone.text
        assert_secure(gone)
    receipt = await client.get(f"/sign/{token}")
    assert receipt.status_code == 200 and "已签署" in receipt.text
    assert case.record.document.sha256 in receipt.text  # what was signed
    assert "/documents/" not in receipt.text
    english = await client.get(paths[0] + "?lang=en")
    assert english.status_code == 410


async def test_superseded_and_expired_links_serve_no_documents(site: Site, client: httpx.AsyncClient) -> None:
    await to_employee(site.world)
    old = await latest_link(site.world, "alice")
    old_paths = await _download_paths(site, old)
    assert (await site.world.act("alice", "dispute", text="有误")).ok
    assert (await site.world.act("wangfang", "revise", text="已更正")).ok
    for path in old_paths:
        superseded = await client.get(path)
        assert superseded.status_code == 410 and "文件已更新" in superseded.text
    current = await latest_link(site.world, "alice")
    paths = await _download_paths(site, current)
    assert (await client.get(paths[0])).status_code == 200
    site.world.clock.set(site.world.clock.now() + timedelta(hours=72))
    for path in paths:
        expired = await client.get(path)
        assert expired.status_code == 410 and "链接已过期" in expired.text and "不再提供文件" in expired.text
