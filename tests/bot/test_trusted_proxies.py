"""Freshness and origin: X-Forwarded-For is believed only from TRUSTED_PROXIES, so the address
sealed into a signature record is the real one; uvicorn runs with the connection limits `serve`
configures. Through uvicorn's own app stack (Config.load) and the signing page."""

from __future__ import annotations

import httpx
import pytest

from bot.app import create_app
from bot.cli.serve import uvicorn_config
from bot.signing.routes import signing_router
from tests.bot.signing_support import Site, latest_link, site_fixture, to_employee  # noqa: F401
from tests.bot.test_signing_http import open_page, post


async def _signed_from(site: Site, proxies: str, *, peer: str = "127.0.0.1") -> str:
    settings = site.runtime.settings.model_copy(update={"TRUSTED_PROXIES": proxies})
    app = create_app(site.runtime, run_worker=False, routers=[signing_router(site.runtime)])
    config = uvicorn_config(settings, app, host="127.0.0.1", port=0)
    config.load()  # what uvicorn serves: the app wrapped as configured
    await to_employee(site.world)
    token = await latest_link(site.world, "alice")
    transport = httpx.ASGITransport(app=config.loaded_app, client=(peer, 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://offboard.example.com",
                                 headers={"x-forwarded-for": "1.2.3.4"}) as http:
        nonce, csrf = await open_page(http, token)
        assert (await post(http, token, nonce, csrf)).status_code == 303
    case = await site.world.case()
    async with site.world.uow_factory() as uow:
        (signature,) = await uow.signatures.for_case(case.id)
    return str(signature.record["ip"])


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(site: Site) -> None:
    assert await _signed_from(site, "") == "127.0.0.1"


async def test_forwarded_for_from_a_trusted_proxy_is_believed(site: Site) -> None:
    assert await _signed_from(site, "127.0.0.1") == "1.2.3.4"


async def test_forwarded_for_from_outside_the_trusted_network_is_ignored(site: Site) -> None:
    assert await _signed_from(site, "10.0.0.0/8", peer="192.0.2.7") == "192.0.2.7"


def test_serve_bounds_connections_and_headers(site: Site) -> None:
    settings = site.runtime.settings.model_copy(update={"LIMIT_CONCURRENCY": 99, "KEEP_ALIVE_SECONDS": 3,
                                                        "MAX_HEADER_BYTES": 8192})
    config = uvicorn_config(settings, create_app(site.runtime, run_worker=False), host="127.0.0.1", port=0)
    assert (config.limit_concurrency, config.timeout_keep_alive, config.h11_max_incomplete_event_size) \
        == (99, 3, 8192)
    assert config.proxy_headers is False and config.server_header is False


@pytest.mark.parametrize("value, expected", [("", frozenset()),
                                             (" 10.0.0.5 , 172.16.0.0/12,", {"10.0.0.5", "172.16.0.0/12"})])
def test_lists_are_comma_separated(site: Site, value: str, expected: frozenset[str]) -> None:
    settings = site.runtime.settings.model_copy(update={"TRUSTED_PROXIES": value})
    assert settings.allowed("TRUSTED_PROXIES") == expected
