"""POST /webhooks/it/{tenant}/{case_ref}/{item}: the IT system says a handover item is done (accounts
revoked), signed like the webhooks it receives. Any unsigned, stale or wrongly signed request gets
401 and changes nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as InPath
from fastapi.responses import JSONResponse

from bot.core import Core
from handlers.webhook_callback import Callback, CallbackResult, complete_from_callback

STATUS = {
    CallbackResult.DONE: 200, CallbackResult.ALREADY_DONE: 200, CallbackResult.REPEATED: 200,
    CallbackResult.UNAUTHORIZED: 401, CallbackResult.NOT_FOUND: 404, CallbackResult.NOT_ALLOWED: 403,
    CallbackResult.REFUSED: 409,
}

# The route reads its headers and body itself (the signature covers the raw bytes): described for the
# OpenAPI document only. Path values of another form are not refused by validation but answered 401.
Tenant = Annotated[str, InPath(json_schema_extra={"pattern": r"^[a-z]+:[A-Za-z0-9_.-]+$"})]
CaseRef = Annotated[str, InPath(json_schema_extra={"pattern": r"^[A-Z]+-[0-9]+$"})]
ItemName = Annotated[str, InPath(json_schema_extra={"pattern": r"^[a-z0-9_]+$"})]
_HEADER = {"type": "string", "minLength": 1}
_JSON = {"content": {"application/json": {"schema": {"type": "object"}}}}
CALLBACK_OPENAPI = {
    "parameters": [{"name": name, "in": "header", "required": True, "schema": _HEADER}
                   for name in ("webhook-id", "webhook-timestamp", "webhook-signature")],
    "requestBody": {"required": False, **_JSON},
    "responses": {str(code): {"description": text, **_JSON} for code, text in (
        (200, "Done (or done already, or this webhook-id was handled)"),
        (401, "Not signed by a subscription of this workspace, or outside the 5-minute window"),
        (403, "The subscription may not complete this item"), (404, "No such case or item"),
        (409, "The case is not in handover"))},
}


def webhook_router(core: Core) -> APIRouter:
    """The IT callback route, on the database and deps of `core` (serve passes its Services).
    A Core, not the Services: a channel may not import bot.bootstrap, which makes the other channels."""
    router = APIRouter()

    @router.post("/webhooks/it/{tenant}/{case_ref}/{item}", openapi_extra=CALLBACK_OPENAPI)
    async def it_callback(tenant: Tenant, case_ref: CaseRef, item: ItemName, request: Request) -> JSONResponse:
        """The IT system completes its handover item of a case (Standard Webhooks signed)."""
        callback = Callback(tenant_key=tenant, case_ref=case_ref, item=item,
                            headers={k.lower(): v for k, v in request.headers.items()},
                            body=await request.body())
        result = await complete_from_callback(core.uow_factory, core.deps, callback)
        return JSONResponse({"status": result.value}, status_code=STATUS[result])

    return router
