"""The small markup the document templates write, read back as blocks for the PDF and the page.

<document title="…" footer="…"> holds, in order: <title>, <meta> (reference line), <h> (heading),
<p>, <note> (small print), <sign> (a signature line) and <table> of <row>s of <cell>s (the first
row is a header when the table says header="yes"); a <sign seal="<sha256>"> line is where the
company's seal goes. Text only: no inline markup, no attributes read except those named here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

BLOCK_TAGS = frozenset({"title", "meta", "h", "p", "note", "sign", "table"})


class MarkupError(ValueError):
    """A template produced something that is not the document markup."""


@dataclass(frozen=True)
class Block:
    tag: str
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()
    header: bool = False
    seal: str = ""  # a signature line with the company's seal: the image's SHA-256


@dataclass(frozen=True)
class Markup:
    title: str
    footer: str
    blocks: tuple[Block, ...]


def _text(element: ET.Element) -> str:
    # Template indentation is not content: keep the lines, drop the padding around them.
    lines = "".join(element.itertext()).strip().splitlines()
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def parse(source: str) -> Markup:
    try:
        root = ET.fromstring(source)
    except ET.ParseError as error:
        raise MarkupError(f"document markup does not parse: {error}") from None
    if root.tag != "document":
        raise MarkupError(f"document markup must start with <document>, not <{root.tag}>")
    blocks = []
    for element in root:
        if element.tag not in BLOCK_TAGS:
            raise MarkupError(f"unknown block <{element.tag}> in document markup")
        if element.tag == "table":
            rows = tuple(tuple(_text(cell) for cell in row.iter("cell")) for row in element.iter("row"))
            blocks.append(Block("table", rows=rows, header=element.get("header") == "yes"))
        elif element.tag == "sign":
            blocks.append(Block("sign", _text(element), seal=element.get("seal", "")))
        else:
            blocks.append(Block(element.tag, _text(element)))
    return Markup(root.get("title", ""), root.get("footer", ""), tuple(blocks))
