"""The FastAPI application: health probes, the bad-input contract, and the worker's lifetime.

Channels (Slack, WeCom) bring their own routers; every error leaves as a short JSON answer
(400/404/413/503), never a 500 and never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from http import HTTPStatus

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.admission import AdmissionGate
from bot.bootstrap import Services
from bot.worker import Worker

log = logging.getLogger(__name__)

# How long shutdown waits for the worker's current tick before cancelling it.
WORKER_STOP_SECONDS = 10.0
# The worker inside the web process takes one inbox request at a time, and each step waits while
# platform requests are in flight: it shares the event loop with the acknowledgements, which must
# come first (measured at 100 presses/s: acks p99 31 ms taking one at a time, 150 ms taking four).
# More throughput comes from `bot worker` processes.
SERVE_INBOX_CONCURRENCY = 1


def create_app(
    services: Services, *, run_worker: bool = True, routers: Iterable[APIRouter] = ()
) -> FastAPI:
    """The web app for `services`; more routers can be added later with `app.include_router`."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await services.ensure_migrated()
        stop = asyncio.Event()
        worker = Worker(services, inbox_concurrency=SERVE_INBOX_CONCURRENCY, yield_to=services.admission)
        task = asyncio.create_task(worker.run_forever(stop)) if run_worker else None
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await _finish(task)

    app = FastAPI(
        title="offboard-bot",
        lifespan=lifespan,
        max_body_size=services.settings.MAX_BODY_BYTES,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = services
    app.add_middleware(ErrorGuard)
    # Outermost: a refusal under overload costs as little as possible.
    app.add_middleware(AdmissionGate, admission=services.admission)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.add_exception_handler(HTTPException, _http_error)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers; touches nothing else."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness: the database answers, so requests can be handled."""
        if await services.check_database():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "unavailable"}, status_code=503)

    for router in routers:
        app.include_router(router)
    return app


async def _finish(task: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(task, WORKER_STOP_SECONDS)
    except TimeoutError:
        log.warning("worker did not stop within %.0f s; cancelled", WORKER_STOP_SECONDS)
    except Exception:
        log.exception("worker ended with an error")


async def _bad_request(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    detail = first.get("ctx", {}).get("error") or first.get("msg", "invalid request")
    reason = f"{where}: {detail}" if where else str(detail)
    return JSONResponse({"status": "bad_request", "reason": reason}, status_code=400)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    try:
        status = HTTPStatus(error.status_code).phrase.lower().replace(" ", "_")
    except ValueError:  # a code outside the standard list
        status = "error"
    return JSONResponse(
        {"status": status, "reason": str(error.detail)},
        status_code=error.status_code,
        headers=error.headers,
    )


class ErrorGuard:
    """Turns an unexpected exception into 503 {"status": "error"}, traceback to the log only.

    503 rather than 500: the platforms retry a 503, and most failures here are a database or
    network hiccup that a retry (deduplicated by delivery id) gets through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:  # too late to answer differently; let the server close the connection
                raise
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            await JSONResponse({"status": "error"}, status_code=503)(scope, receive, send)
