"""Schemathesis over the app's own OpenAPI document: every endpoint, generated requests, real HTTP.

The app is the one `serve` runs (tests/reliability/served.py: probes, worker, WeCom, signing and
Slack routes), with Slack and WeCom pointed at the fake platforms, served by uvicorn; its
document comes from `app.openapi()` (the app does not serve it). No generated request carries a
valid Slack signature, WeCom msg_signature or signing link, so every one must be answered
without a 5xx or a traceback, and without a row written or a call made to a platform.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

from tests.reliability.platforms import TRACEBACK_MARKERS
from tests.reliability.served import Fixture

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]


EXAMPLES = 20  # per operation and mode: bounded, and derandomized, so every run sends the same requests


def test_every_endpoint_refuses_unauthenticated_requests_without_a_5xx_or_a_write(
    served: Fixture,
) -> None:
    app, holder, rows = served
    schema = schemathesis.openapi.from_dict(app.app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        # Negative data needs something to get wrong: a parameter or a body.
        takes = any(len(getattr(operation, where))
                    for where in ("path_parameters", "query", "headers", "cookies", "body"))
        for mode in GenerationMode if takes else [GenerationMode.POSITIVE]:

            @given(case=operation.as_strategy(mode))
            @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def answered(case: Any) -> None:
                response = case.call(base_url=app.url, timeout=30)
                case.validate_response(response, checks=[not_a_server_error])
                label = case.operation.label
                assert not any(marker in response.text for marker in TRACEBACK_MARKERS), (label, response.text[:500])
                assert holder.run(app.rows()) == rows, f"{label}: an unauthenticated request wrote to the database"
                assert app.slack.calls == [] and app.wecom.calls == [], f"{label}: a request reached a platform"

            answered()


def test_the_document_describes_every_route_and_is_not_served(
    served: Fixture,
) -> None:
    app = served[0]
    documented = {(path, method.upper()) for path, item in app.app.openapi()["paths"].items() for method in item}
    routes = {(route.path, method) for route in app.app.routes
              for method in getattr(route, "methods", None) or () if method != "HEAD"}
    assert routes <= documented, routes - documented
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert httpx.get(app.url + path, timeout=10).status_code == 404
