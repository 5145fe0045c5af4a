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
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bot.documents.markup import Block, Markup
from bot.documents.wrap import wrap_text

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


SEAL_SIZE = 40 * mm  # a company seal is about 40 mm across
LOGO_WIDTH = 40 * mm  # the logo fits 40 × 12 mm in the top margin
CELL_PADDING = 12  # a table cell's left and right padding together (reportlab's default 6 + 6)


def _styles(font: str) -> dict[str, ParagraphStyle]:
    # Chinese lines are broken by bot/documents/wrap.py before reportlab sees them: its CJK
    # wrapping breaks anywhere, splitting English words and numbers in two.
    body = ParagraphStyle("p", fontName=font, fontSize=10.5, leading=16, spaceAfter=5)
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


def _para(text: str, style: ParagraphStyle, width: float | None) -> Paragraph:
    """`width`: break the lines for Chinese first (None: reportlab's own wrapping at spaces)."""
    if width is not None:
        size = style.fontSize
        text = wrap_text(text, width - 0.5,
                         lambda part: pdfmetrics.stringWidth(part, style.fontName, size))
    # Paragraph reads a mini-HTML: escape the text, keep its line breaks.
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _table(block: Block, styles: dict[str, ParagraphStyle], width: float, cjk: bool) -> Table:
    columns = max((len(row) for row in block.rows), default=1)
    cell_width = width / columns - CELL_PADDING if cjk else None
    rows = [[_para(cell, styles["cell"], cell_width) for cell in row] + [""] * (columns - len(row))
            for row in block.rows]
    table = Table(rows, colWidths=[width / columns] * columns, hAlign="LEFT", repeatRows=int(block.header))
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if block.header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke))
    table.setStyle(TableStyle(style))
    return table


def _sealed(line: Paragraph, seal: bytes, width: float) -> Table:
    """The company's signature line with its seal beside it, the seal over the line's end."""
    reader = ImageReader(io.BytesIO(seal))
    w, h = reader.getSize()
    scale = SEAL_SIZE / max(w, h, 1)
    picture = Image(io.BytesIO(seal), width=w * scale, height=h * scale)
    table = Table([[line, picture]], colWidths=[width - SEAL_SIZE, SEAL_SIZE], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def build_pdf(markup: Markup, *, font: str, cjk: bool, author: str = "",
              images: dict[str, bytes] | None = None) -> bytes:
    """`images`: the company's "seal", placed at each signature line that asks for it, and its
    "logo", at the top left of the first page."""
    styles = _styles(font)
    seal = (images or {}).get("seal")
    logo = (images or {}).get("logo")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=markup.title, author=author, creator="offboard-bot",
        invariant=1,
    )
    story: list[Flowable] = []
    for block in markup.blocks:
        if block.tag == "table":
            story += [_table(block, styles, doc.width, cjk), Spacer(1, 6)]
        elif block.seal and seal:
            line = _para(block.text, styles[block.tag], doc.width - SEAL_SIZE - CELL_PADDING if cjk else None)
            story.append(_sealed(line, seal, doc.width))
        else:
            story.append(_para(block.text, styles[block.tag], doc.width if cjk else None))

    def footer(canvas: Canvas, page_doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(20 * mm, 10 * mm, f"{markup.footer}  ·  {page_doc.page}")
        canvas.restoreState()

    def first_page(canvas: Canvas, page_doc: SimpleDocTemplate) -> None:
        if logo:  # in the top margin, left: a letterhead mark, never over the text
            canvas.drawImage(ImageReader(io.BytesIO(logo)), 20 * mm, A4[1] - 16 * mm, width=LOGO_WIDTH,
                             height=12 * mm, preserveAspectRatio=True, anchor="sw", mask="auto")
        footer(canvas, page_doc)

    doc.build(story, onFirstPage=first_page, onLaterPages=footer)
    return buffer.getvalue()
