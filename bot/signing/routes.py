"""The signing page over HTTP: `/sign/<token>` shows the documents and takes Sign / Dispute.

Mobile-first HTML from Jinja2, no script. Every answer carries strict security headers; a link
that cannot be used gets a clear page (never an error page), and nothing is recorded for it.
Tokens are kept out of the logs.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi import Path as InPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.bootstrap import Services
from bot.documents.markup import MarkupError, parse
from bot.documents.render import TEMPLATES, template_environment
from bot.signing import csrf
from bot.signing.keys import KeyFileSigner
from handlers.signing.page import (
    Answer,
    LinkView,
    Visitor,
    answer,
    link_document,
    link_seal,
    open_link,
    withdrawn,
)
from workflow.i18n import normalise_locale, t
from workflow.signing_rules import LinkState

log = logging.getLogger(__name__)

# What token_urlsafe makes; anything else is not a link of ours and never reaches the database.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
STATUS_CODES = {
    LinkState.UNKNOWN: 404, LinkState.SIGNED: 200, LinkState.DISPUTED: 200,
    LinkState.FOREIGN: 403, LinkState.SUPERSEDED: 410, LinkState.EXPIRED: 410,
    LinkState.CLOSED: 409,
}

# The routes read their query, cookie and form themselves: described for the OpenAPI document
# (which the app does not serve). A token of another form is not refused by validation but
# answered with the "unknown link" page, so its pattern is documented only.
Token = Annotated[str, InPath(json_schema_extra={"pattern": TOKEN.pattern})]
_TEXT = {"type": "string"}
_LANG = {"name": "lang", "in": "query", "required": False,
         "schema": {"type": "string", "enum": ["zh-CN", "en"]}}
_PAGE = {"content": {"text/html": {"schema": _TEXT}}}
SHOW_OPENAPI = {
    "parameters": [_LANG],
    "responses": {str(code): {"description": "The page, or why the link cannot be used", **_PAGE}
                  for code in sorted({200, *STATUS_CODES.values()})},
}
SUBMIT_OPENAPI = {
    "parameters": [{"name": csrf.COOKIE, "in": "cookie", "required": True, "schema": _TEXT}],
    "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": ["csrf", "action"],
        "properties": {
            "csrf": _TEXT, "lang": {"type": "string", "enum": ["zh-CN", "en"]},
            "action": {"type": "string", "enum": ["sign", "dispute"]},
            "read": {"type": "string", "enum": ["yes"]}, "reason": {"type": "string", "maxLength": 4000},
        },
    }}}},
    "responses": {
        "303": {"description": "Done: back to the page, which now says so"},
        "403": {"description": "The form did not come from this link's page", **_PAGE},
        "422": {"description": "Not taken (the box was not ticked): the form again", **_PAGE},
        **SHOW_OPENAPI["responses"],
    },
}
DOCUMENT_OPENAPI = {"responses": {"200": {"description": "The document (PDF)"},
                                  "404": {"description": "No such document for this link", **_PAGE},
                                  "410": {"description": "The link serves documents no more", **_PAGE}}}
SEAL_OPENAPI = {"responses": {"200": {"description": "The company's seal (PNG or JPEG)"},
                               "404": {"description": "No seal, or the link cannot be used"}}}
# Chat apps fetch links to draw previews. Such a fetch is not the employee reading: it gets a
# neutral page, shows nothing of the case and records nothing.
LINK_PREVIEWS = re.compile(
    r"Slackbot|Slack-ImgProxy|facebookexternalhit|Twitterbot|TelegramBot|WhatsApp|Discordbot|"
    r"LinkedInBot|SkypeUriPreview|bingbot|Googlebot|redditbot|Embedly|Iframely", re.IGNORECASE)


def _secure(response: Response, *, html: bool = True) -> Response:
    for name, value in SECURITY_HEADERS.items():
        if html or name != "Content-Security-Policy":
            response.headers[name] = value
    return response


def signing_router(services: Services) -> APIRouter:
    """The routes of the signing page, bound to `services` (its database, clock and key)."""
    router = APIRouter()
    env = template_environment()
    signer = services.deps.signer
    # Derived from the key file so every replica agrees; a per-process secret otherwise.
    secret = signer.secret("csrf") if isinstance(signer, KeyFileSigner) else secrets.token_bytes(32)
    zone = ZoneInfo(services.settings.TIMEZONE)
    stylesheet = (TEMPLATES / "signing" / "sign.css").read_bytes()

    def when(instant: datetime | None) -> str:
        return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if instant else "—"

    def html(name: str, locale: str, status: int = 200, **context: Any) -> Response:
        def say(key: str, **params: object) -> str:
            return t(key, locale, **params)

        body = env.get_template(f"signing/{name}").render(t=say, **context)
        return _secure(HTMLResponse(body, status_code=status))

    def status_page(view: LinkView, status: int | None = None, problem: str = "") -> Response:
        state = view.state.value
        loc = view.locale
        # The signer who comes back sees the receipt of what they signed (never the documents).
        receipt = t("page.receipt", loc, version=view.version, sha=view.sha256, when=when(view.at)) \
            if view.state == LinkState.SIGNED and view.sha256 else ""
        return html(
            "status.html", loc, status or STATUS_CODES[view.state], state=state,
            title=t(f"page.{state}.title", loc),
            text=t(f"page.{state}.text", loc, ref=view.case_ref, version=view.version,
                   when=when(view.at)),
            problem=problem or view.problem, receipt=receipt,
        )

    def form_page(view: LinkView, token: str, nonce: str, status: int = 200) -> Response:
        shown = []
        for doc in view.documents:
            if doc.locale != view.locale or not doc.text:
                continue
            try:
                shown.append({"id": doc.id, "blocks": parse(doc.text).blocks})
            except MarkupError:  # stored by another renderer: offer the download only
                log.warning("document %s has no readable markup", doc.id)
        other = "zh-CN" if view.locale == "en" else "en"
        response = html("page.html", view.locale, status, view=view, shown=shown, token=token,
                        csrf=csrf.form_token(secret, nonce, token), other_lang=other)
        response.headers["Set-Cookie"] = csrf.cookie_header(nonce)
        return response

    def visitor(request: Request) -> Visitor:
        host = request.client.host if request.client else ""
        return Visitor(ip=host, user_agent=request.headers.get("user-agent", "")[:500])

    def chosen(lang: object) -> str | None:
        return normalise_locale(str(lang)) if lang else None

    @router.get("/sign/static/sign.css", openapi_extra={"responses": {"200": {"description": "CSS"}}})
    async def stylesheet_route() -> Response:
        """The signing page's stylesheet."""
        return _secure(Response(stylesheet, media_type="text/css"), html=False)

    @router.get("/sign/{token}", openapi_extra=SHOW_OPENAPI)
    async def show(token: Token, request: Request) -> Response:
        """The documents to sign, and the Sign / Dispute forms."""
        lang = chosen(request.query_params.get("lang"))
        if LINK_PREVIEWS.search(request.headers.get("user-agent", "")):
            loc = normalise_locale(lang)
            return html("status.html", loc, state="preview", title=t("page.preview.title", loc),
                        text=t("page.preview.text", loc), problem="")
        if not TOKEN.match(token):
            return status_page(LinkView(LinkState.UNKNOWN, normalise_locale(lang)))
        view = await open_link(services.uow_factory, services.deps, token, visitor(request), lang)
        if view.state != LinkState.VALID:
            return status_page(view)
        return form_page(view, token, request.cookies.get(csrf.COOKIE) or csrf.new_nonce())

    @router.post("/sign/{token}", openapi_extra=SUBMIT_OPENAPI)
    async def submit(token: Token, request: Request) -> Response:
        """Sign, or dispute, from the page's forms."""
        form = await request.form()
        lang = chosen(form.get("lang"))
        nonce = request.cookies.get(csrf.COOKIE)
        if not TOKEN.match(token):
            return status_page(LinkView(LinkState.UNKNOWN, normalise_locale(lang)))
        if not csrf.valid(secret, nonce, token, str(form.get("csrf") or "")):
            loc = normalise_locale(lang)
            return html("status.html", loc, 403, state="csrf", title=t("page.csrf.title", loc),
                        text=t("page.csrf.text", loc), problem="")
        reply = Answer(action=str(form.get("action") or ""),
                       read_confirmed=form.get("read") == "yes",
                       reason=str(form.get("reason") or "")[:4000])
        view = await answer(services.uow_factory, services.deps, token, visitor(request), reply,
                            lang)
        await services.gateway.wake_workers()  # HR and the manager hear about it through the outbox
        if view.state == LinkState.VALID:  # not taken (e.g. the box was not ticked): ask again
            assert nonce is not None
            return form_page(view, token, nonce, status=422)
        if view.done:
            # Post/redirect/get: a reload shows "already signed" instead of posting again.
            target = f"/sign/{token}?lang={quote(view.locale)}"
            return _secure(RedirectResponse(target, status_code=303))
        return status_page(view)

    @router.get("/sign/{token}/seal/{sha256}", openapi_extra=SEAL_OPENAPI)
    async def seal(token: Token, sha256: str) -> Response:
        """The company's seal drawn on the link's documents, while the link can be answered."""
        found = await link_seal(services.uow_factory, services.deps, token, sha256) \
            if TOKEN.match(token) else None
        if found is None:
            return _secure(Response(status_code=404), html=False)
        return _secure(Response(found[1], media_type=found[0]), html=False)

    @router.get("/sign/{token}/documents/{document_id}", openapi_extra=DOCUMENT_OPENAPI)
    async def download(token: Token, document_id: int) -> Response:
        """One of the link's documents."""
        document = None
        if TOKEN.match(token):
            document = await link_document(services.uow_factory, services.deps, token, document_id)
        if document is None:
            gone = await withdrawn(services.uow_factory, services.deps, token, document_id) \
                if TOKEN.match(token) else None
            if gone is not None:  # signed, superseded, expired …: say what to do instead
                return status_page(gone, 410, t("page.documents_gone", gone.locale))
            return status_page(LinkView(LinkState.UNKNOWN, "zh-CN"))
        response = Response(document.content, media_type=document.media_type)
        filename = Path(document.filename).name
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
        return _secure(response, html=False)

    return router
