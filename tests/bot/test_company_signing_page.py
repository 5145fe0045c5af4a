"""The signing page through the real FastAPI app for a company with a profile: it names the company,
shows the seal at the signature line (served only while the link can be answered), and after
signing says it was signed, with the receipt — not "already signed"."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.bootstrap import bootstrap
from bot.signing.routes import signing_router
from handlers.company import set_image
from tests.bot.company_support import NAME_EN, NAME_ZH, give_profile, seal_image
from tests.bot.services_support import settings_for
from tests.bot.signing_support import Site, bob_to_employee, latest_link, to_employee
from tests.bot.test_signing_http import UA, open_page, post
from tests.handlers.conftest import START, make_world
from workflow.clock import ManualClock


@pytest.fixture
async def site(db_url: str, uow_factory: object, tmp_path: Path) -> AsyncIterator[Site]:
    clock = ManualClock(START)
    runtime = bootstrap(settings_for(db_url, DATA_DIR=str(tmp_path / "data"),
                                     SIGNING_KEY_PATH=str(tmp_path / "keys" / "signing-key.pem"),
                                     PUBLIC_BASE_URL="https://offboard.example.com"), clock=clock)
    world = await make_world(runtime.uow_factory, clock)
    world.deps = runtime.deps
    await give_profile(runtime.uow_factory, runtime.deps.data_dir)
    yield Site(runtime, world, tmp_path / "keys" / "signing-key.pem")
    await runtime.close()


@pytest.fixture
async def client(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(site.runtime, run_worker=False, routers=[signing_router(site.runtime)])
    transport = httpx.ASGITransport(app=app, client=("198.51.100.23", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://offboard.example.com",
                                 headers={"user-agent": UA}) as http:
        yield http


async def test_the_page_names_the_company_and_shows_its_seal(site: Site, client: httpx.AsyncClient) -> None:
    await to_employee(site.world)
    token = await latest_link(site.world, "alice")
    page = await client.get(f"/sign/{token}")
    assert page.status_code == 200
    assert f"发件单位：{NAME_ZH}" in page.text and "console:local" not in page.text
    sha = hashlib.sha256(seal_image()).hexdigest()
    assert f'<img class="seal" src="/sign/{token}/seal/{sha}" alt="{NAME_ZH} 公章">' in page.text
    english = await client.get(f"/sign/{token}?lang=en")
    assert f"From {NAME_EN}" in english.text and f"Seal of {NAME_EN}" in english.text
    assert f"For the employer: {NAME_EN}" in english.text  # the document itself, in English
    # A new seal in the profile: the page still shows the one these documents were drawn with.
    async with site.runtime.uow_factory() as uow:
        tenant = await uow.tenants.by_key("console:local")
        set_image(tenant, site.runtime.deps.data_dir, "seal", seal_image(size=200))
        await uow.commit()
    seal = await client.get(f"/sign/{token}/seal/{sha}")
    assert seal.status_code == 200 and seal.headers["content-type"] == "image/png"
    assert hashlib.sha256(seal.content).hexdigest() == sha
    assert seal.headers["x-content-type-options"] == "nosniff"
    newer = hashlib.sha256(seal_image(size=200)).hexdigest()  # on file, but on none of these documents
    assert (await client.get(f"/sign/{token}/seal/{newer}")).status_code == 404
    assert (await client.get(f"/sign/{token}/seal/../../etc")).status_code == 404
    assert (await client.get(f"/sign/not-a-token-of-ours-at-all/seal/{sha}")).status_code == 404


async def test_after_signing_the_page_says_signed_with_the_receipt(site: Site, client: httpx.AsyncClient) -> None:
    await to_employee(site.world)
    await bob_to_employee(site.world)  # Bob reads English
    for who, ref, said, not_said in (("alice", "C-0001", "你已于", "Already"),
                                     ("bob", "C-0002", "You signed the documents of case C-0002", "Already")):
        token = await latest_link(site.world, who, ref)
        nonce, csrf = await open_page(client, token)
        done = await post(client, token, nonce, csrf)
        assert done.status_code == 303
        after = await client.get(done.headers["location"])
        assert after.status_code == 200 and said in after.text and not_said not in after.text
        case = await site.world.case(ref)
        sha = case.record.document.sha256
        assert f"SHA-256 {sha}" in after.text and 'class="receipt"' in after.text
        assert "2024-06-0" in after.text  # when it was signed, in the company's time zone
        # Once answered, the link gives out neither the documents nor the seal.
        sha = hashlib.sha256(seal_image()).hexdigest()
        assert (await client.get(f"/sign/{token}/seal/{sha}")).status_code == 404
