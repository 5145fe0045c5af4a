"""Document markup to PDF with reportlab, Chinese included.

Font: a TrueType font with CJK glyphs from a system package (Debian's fonts-wqy-zenhei by
default), embedded as a subset so the PDF shows the same glyphs in any viewer years from now —
what an archived, signed document needs. Without that file, reportlab's built-in STSong-Light
CID font is used: nothing to install and the text still extracts, but the viewer supplies the
glyphs. Output is invariant (no creation time or random id), so the same content gives the same
bytes and the same SHA-256.
"""

from __future__ import annotations

import io
import logging
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bot.documents.markup import Block, Markup

log = logging.getLogger(__name__)

BUILTIN_FONT = "STSong-Light"
_EMBEDDED = "OffboardDocumentFont"
_fonts: dict[str, str] = {}
_font_lock = threading.Lock()


def register_font(path: str) -> str:
    """The reportlab font name for `path` (registered once per process); the built-in CID font
    when the file is missing or unreadable."""
    with _font_lock:
        if path in _fonts:
            return _fonts[path]
        name = BUILTIN_FONT
        if Path(path).is_file():
            try:
                options = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
                pdfmetrics.registerFont(TTFont(f"{_EMBEDDED}{len(_fonts)}", path, **options))
                name = f"{_EMBEDDED}{len(_fonts)}"
            except Exception as error:  # reportlab raises its own TTFError and plain errors alike
                log.warning("document font %s unusable (%s): using %s", path, error, BUILTIN_FONT)
        else:
            log.warning("document font %s not found: using %s (not embedded)", path, BUILTIN_FONT)
        if name == BUILTIN_FONT:
            pdfmetrics.registerFont(UnicodeCIDFont(BUILTIN_FONT))
        _fonts[path] = name
        return name


def _styles(font: str, cjk: bool) -> dict[str, ParagraphStyle]:
    wrap = "CJK" if cjk else None  # CJK wrapping breaks anywhere, which splits English words
    body = ParagraphStyle("p", fontName=font, fontSize=10.5, leading=16, wordWrap=wrap,
                          spaceAfter=5)
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=17, leading=24, alignment=TA_CENTER,
                                spaceAfter=4),
        "meta": ParagraphStyle("meta", parent=body, fontSize=8.5, leading=12, alignment=TA_RIGHT,
                               textColor=colors.grey, spaceAfter=10),
        "h": ParagraphStyle("h", parent=body, fontSize=12, leading=18, spaceBefore=8),
        "p": body,
        "note": ParagraphStyle("note", parent=body, fontSize=8.5, leading=12,
                               textColor=colors.dimgrey),
        "sign": ParagraphStyle("sign", parent=body, spaceBefore=14),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=13, spaceAfter=0),
    }


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    # Paragraph reads a mini-HTML: escape the text, keep its line breaks.
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _table(block: Block, styles: dict[str, ParagraphStyle], width: float) -> Table:
    columns = max((len(row) for row in block.rows), default=1)
    rows = [[_para(cell, styles["cell"]) for cell in row] + [""] * (columns - len(row))
            for row in block.rows]
    table = Table(rows, colWidths=[width / columns] * columns, hAlign="LEFT", repeatRows=int(block.header))
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if block.header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke))
    table.setStyle(TableStyle(style))
    return table


def build_pdf(markup: Markup, *, font: str, cjk: bool, author: str = "") -> bytes:
    styles = _styles(font, cjk)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=markup.title, author=author, creator="offboard-bot",
        invariant=1,
    )
    story: list[Flowable] = []
    for block in markup.blocks:
        if block.tag == "table":
            story += [_table(block, styles, doc.width), Spacer(1, 6)]
        else:
            story.append(_para(block.text, styles[block.tag]))

    def footer(canvas: Canvas, page_doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(20 * mm, 10 * mm, f"{markup.footer}  ·  {page_doc.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
