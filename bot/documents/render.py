"""The PDF renderer handlers draw documents with: Jinja2 template per kind → markup → reportlab.

One template per document kind (bot/templates/documents/<kind>.xml.j2) serves both languages:
the wording comes from the message catalogues (workflow/locales, keys doc.*) in the document's locale.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.documents.markup import Markup, parse
from handlers.rendering import DocumentSpec, RenderedDocument
from workflow.compliance import cite
from workflow.documents import title_key
from workflow.i18n import t

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def template_environment() -> Environment:
    """Autoescaping Jinja2 over bot/templates (XML markup and HTML pages alike)."""
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


class PdfRenderer:
    """Renders a `DocumentSpec` to PDF bytes (and keeps the markup for the signing page)."""

    def __init__(self, font_path: str) -> None:
        self._font_path = font_path
        self._env = template_environment()
        # reportlab keeps global state (fonts, caches): one document at a time, off the event loop.
        self._lock = threading.Lock()

    def markup(self, spec: DocumentSpec) -> str:
        """The document as markup, in the spec's language."""

        def say(key: str, **params: object) -> str:
            return t(key, spec.locale, **params)

        template = self._env.get_template(f"documents/{spec.kind}.xml.j2")
        return template.render(
            d=spec.data, kind=spec.kind,
            title=say(title_key(spec.kind, spec.data.get("wording", "rescind"))),
            company=spec.data.get("company") or say("doc.company_unnamed"), t=say,
            cite=lambda article: cite(article, spec.locale),
        )

    def _pdf(self, document: Markup, locale: str, author: str, images: dict[str, bytes]) -> bytes:
        # reportlab loads on the first document, not at start-up: a worker rarely draws one.
        from bot.documents.pdf import build_pdf, register_font

        with self._lock:
            font = register_font(self._font_path)
            return build_pdf(document, font=font, cjk=locale != "en", author=author, images=images)

    async def render(self, spec: DocumentSpec) -> RenderedDocument:
        source = self.markup(spec)
        document = parse(source)
        author = str(spec.data.get("company", ""))
        content = await asyncio.to_thread(self._pdf, document, spec.locale, author, dict(spec.images))
        return RenderedDocument(title=document.title, media_type="application/pdf",
                                extension="pdf", content=content, text=source)
