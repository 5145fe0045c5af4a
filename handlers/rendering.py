"""The rendering port: what handlers ask the shell to draw (`DocumentSpec`), what comes back
(`RenderedDocument`), and a JSON renderer for tests and tools that need no PDF.

Handlers pass plain, already localized values; the shell's templates do the layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from storage.audit import canonical_json
from workflow.documents import title_key
from workflow.i18n import t


@dataclass(frozen=True)
class DocumentSpec:
    """What to draw: the kind of document, its language and version, and its content."""

    kind: str
    locale: str
    version: int
    data: Mapping[str, Any]  # JSON-safe values, already in `locale`
    # Pictures the layout places (the company's "seal"); data names each by its SHA-256.
    images: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedDocument:
    title: str
    media_type: str
    extension: str
    content: bytes  # the exact bytes shown, hashed and signed
    text: str = ""  # the same document as simple markup, for the signing page


class DocumentRenderer(Protocol):
    async def render(self, spec: DocumentSpec) -> RenderedDocument: ...


class JsonRenderer:
    """The document as canonical JSON: for tests and tools that need no PDF."""

    async def render(self, spec: DocumentSpec) -> RenderedDocument:
        body = {"kind": spec.kind, "locale": spec.locale, "version": spec.version, **spec.data}
        return RenderedDocument(
            title=t(title_key(spec.kind, spec.data.get("wording", "rescind")), spec.locale),
            media_type="application/json",
            extension="json",
            content=canonical_json(body).encode(),
        )
