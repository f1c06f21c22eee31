"""A lot's label sheet as a PDF: A4 pages of 24 labels (3 × 8, 70 × 37 mm, edge to edge).

That is the common A4 sheet of 24 self-adhesive labels without margins, so the sheet prints on
stock labels at 100 % scale. Each label keeps its text and code 4 mm inside its edges, clear
of what most printers cannot print near the paper's edge.

The QR code is segno's matrix drawn as vector rectangles, one per run of dark modules in a
row: a raster image would blur when scaled, and a rectangle per module leaves hairline seams
between neighbours in some viewers, which hinders decoding. Error correction M (15 % of the
code may be damaged), the standard quiet zone of 4 modules.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from intake.adapters.pdf import ACCENT, FONT, FONT_BOLD, MUTED, drawable_text, register_fonts
from intake.domain.labels import LABELS_PER_PAGE, Label, LabelSheet

COLUMNS = 3
ROWS = LABELS_PER_PAGE // COLUMNS  # 8
LABEL_WIDTH, LABEL_HEIGHT = 70 * mm, 37 * mm
PADDING = 4 * mm
QR_SIDE = LABEL_HEIGHT - 2 * PADDING
QUIET_ZONE = 4  # modules
CODE_FONT, CODE_SIZE = "Courier-Bold", 11  # label codes are ASCII; a fixed width keeps them legible
SMALL_SIZE = 7
# The sheet's 3 × 8 grid, centred on the page (A4 is 210 × 297 mm; the labels 210 × 296 mm).
LEFT = (A4[0] - COLUMNS * LABEL_WIDTH) / 2
TOP = A4[1] - (A4[1] - ROWS * LABEL_HEIGHT) / 2


def render_label_sheet(sheet: LabelSheet) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"Étiquettes du lot {sheet.lot_id}")
    canvas.setAuthor(drawable_text(sheet.issuer.name))
    canvas.setSubject(sheet.document_id)
    for page in _pages(sheet.labels):
        for position, label in enumerate(page):
            row, column = divmod(position, COLUMNS)
            _draw_label(canvas, label, LEFT + column * LABEL_WIDTH, TOP - (row + 1) * LABEL_HEIGHT)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code's modules (True: dark), without the quiet zone: what the sheet draws."""
    return [[bool(module) for module in row] for row in segno.make_qr(text, error="m").matrix]


def dark_runs(row: list[bool]) -> Iterator[tuple[int, int]]:
    """Each run of dark modules in a row as (first column, length)."""
    start = None
    for column, dark in enumerate([*row, False]):
        if dark and start is None:
            start = column
        elif not dark and start is not None:
            yield start, column - start
            start = None


def _pages(labels: list[Label]) -> Iterator[list[Label]]:
    for start in range(0, len(labels), LABELS_PER_PAGE):
        yield labels[start:start + LABELS_PER_PAGE]


def _draw_label(canvas: Canvas, label: Label, x: float, y: float) -> None:
    """One label, its lower left corner at (x, y)."""
    _draw_qr(canvas, qr_matrix(label.passport_url), x + PADDING, y + PADDING, QR_SIDE)
    text_x = x + PADDING + QR_SIDE + 2 * mm
    text_width = x + LABEL_WIDTH - PADDING - text_x
    canvas.setFillColor(ACCENT)
    canvas.setFont(FONT_BOLD, SMALL_SIZE)
    canvas.drawString(text_x, y + LABEL_HEIGHT - PADDING - SMALL_SIZE, "Seconde Vie")
    canvas.setFillColor(colors.black)
    canvas.setFont(CODE_FONT, CODE_SIZE)
    canvas.drawString(text_x, y + LABEL_HEIGHT / 2, label.label_code)
    canvas.setFont(FONT, SMALL_SIZE)
    canvas.drawString(text_x, y + LABEL_HEIGHT / 2 - 3.5 * mm,
                      _fitted(f"{label.make} {label.model}", FONT, SMALL_SIZE, text_width))
    canvas.setFillColor(MUTED)
    canvas.drawString(text_x, y + LABEL_HEIGHT / 2 - 7 * mm,
                      _fitted(f"S/N {label.serial_number}", FONT, SMALL_SIZE, text_width))
    canvas.drawString(text_x, y + PADDING, _fitted("Scannez : passeport", FONT, SMALL_SIZE, text_width))
    canvas.setFillColor(colors.black)


def _draw_qr(canvas: Canvas, matrix: list[list[bool]], x: float, y: float, side: float) -> None:
    """The matrix in a square of `side` whose lower left corner is (x, y), quiet zone included.

    Drawn in module units (the origin at the matrix's top left corner, y going down): every
    rectangle is a few small integers, which keeps a page of 24 codes small."""
    module = side / (len(matrix) + 2 * QUIET_ZONE)
    canvas.saveState()
    canvas.translate(x + QUIET_ZONE * module, y + side - QUIET_ZONE * module)
    canvas.scale(module, -module)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        for start, length in dark_runs(row):
            path.rect(start, row_index, length, 1)
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _fitted(text: str, font: str, size: float, width: float) -> str:
    """The text as drawable, shortened with an ellipsis if it is wider than `width`."""
    text = drawable_text(text)
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
