"""A sale's receipt as a one-page PDF (ReportLab), in French: what the buyer takes home.

It shows the gap-free receipt number, when and where the device was sold, which device
(type, grade, label), the price, how it was paid and until when the warranty runs. The font
is Bitstream Vera, shipped inside ReportLab and embedded, so "€" and accents print in every
viewer. Nothing on it names the buyer: sales does not know who they are.
"""

from __future__ import annotations

import io
import os
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from shared.events.vocabulary import DeviceType

from sales.domain.sale import WARRANTY_DAYS, PaymentMethod, Sale, SaleStatus

FONT = "SecondeVie-Sans"
FONT_BOLD = "SecondeVie-Sans-Bold"
ACCENT = colors.HexColor("#1f5f4a")
MUTED = colors.HexColor("#55605b")
RULE = colors.HexColor("#b9c9c2")
MARGIN = 14 * mm
LINE = 6 * mm

DEVICE_TYPES = {DeviceType.LAPTOP: "Ordinateur portable", DeviceType.DESKTOP: "Ordinateur fixe",
                DeviceType.TABLET: "Tablette", DeviceType.PHONE: "Téléphone"}
PAYMENT_METHODS = {PaymentMethod.CASH: "Espèces", PaymentMethod.CARD: "Carte bancaire",
                   PaymentMethod.CHEQUE: "Chèque", PaymentMethod.THIRD_PARTY: "Tiers payeur (aide sociale)"}


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    fonts = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    pdfmetrics.registerFont(TTFont(FONT, os.path.join(fonts, "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, os.path.join(fonts, "VeraBd.ttf")))


def receipt_filename(sale: Sale) -> str:
    return f"recu-{sale.receipt_number}.pdf"


def render_receipt(sale: Sale) -> bytes:
    """The receipt of `sale` as PDF bytes (A5 portrait: it prints on half a sheet)."""
    _register_fonts()
    buffer = io.BytesIO()
    title = f"Reçu de vente n° {sale.receipt_number}"
    pdf = Canvas(buffer, pagesize=A5, pageCompression=1)
    pdf.setTitle(title)
    pdf.setAuthor("Seconde Vie")
    pdf.setSubject(sale.receipt_number)
    _Page(pdf).draw(sale)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class _Page:
    """Draws top to bottom: each call moves the pen one line down."""

    def __init__(self, pdf: Canvas):
        self.pdf = pdf
        self.width, height = A5
        self.y = height - MARGIN

    def draw(self, sale: Sale) -> None:
        self.text("Seconde Vie — matériel informatique reconditionné solidaire", FONT_BOLD, 9, ACCENT)
        self.y -= 2 * mm
        self.text("Reçu de vente", FONT_BOLD, 14)
        self.text(f"N° {sale.receipt_number}", FONT_BOLD, 11)
        if sale.status is SaleStatus.CANCELLED:
            self.text("VENTE ANNULÉE — remboursée", FONT_BOLD, 11, colors.HexColor("#a3261f"))
        self.rule()
        self.pair("Date", _when(sale.sold_at))
        self.pair("Point de vente", sale.point_of_sale_id)
        self.rule()
        self.heading("Appareil")
        self.pair("Type", DEVICE_TYPES.get(sale.device_type, "—") if sale.device_type else "—")
        self.pair("Grade", sale.grade.value if sale.grade else "—")
        self.pair("Étiquette", sale.label_code or "—")
        self.rule()
        self.pair("Prix", euros(sale.price_eur), bold=True)
        self.heading("Paiements")
        for payment in sale.payments:
            self.pair(PAYMENT_METHODS[payment.method], euros(payment.amount_eur))
        self.pair("Total payé", euros(sum((p.amount_eur for p in sale.payments), Decimal("0"))), bold=True)
        if sale.cancellation is not None:
            refunded = sum((r.amount_eur for r in sale.cancellation.refunds), Decimal("0"))
            self.pair("Remboursé", euros(refunded), bold=True)
        self.rule()
        self.heading("Garantie")
        self.paragraph(_warranty(sale))
        self.y = 18 * mm
        self.rule()
        self.text(f"Reçu n° {sale.receipt_number} — numéros continus par point de vente et par an.",
                  FONT, 7, MUTED)
        self.text("Conservez ce reçu : il est demandé pour toute réclamation sous garantie.", FONT, 7, MUTED)

    def text(self, value: str, font: str = FONT, size: float = 9.5, color=colors.black) -> None:
        self.pdf.setFont(font, size)
        self.pdf.setFillColor(color)
        self.pdf.drawString(MARGIN, self.y - size, value)
        self.y -= size + 2.5 * mm

    def heading(self, value: str) -> None:
        self.text(value, FONT_BOLD, 10, ACCENT)

    def pair(self, label: str, value: str, *, bold: bool = False) -> None:
        font = FONT_BOLD if bold else FONT
        self.pdf.setFillColor(colors.black)
        self.pdf.setFont(font, 9.5)
        self.pdf.drawString(MARGIN, self.y - 9.5, label)
        self.pdf.drawRightString(self.width - MARGIN, self.y - 9.5, value)
        self.y -= LINE

    def paragraph(self, value: str, size: float = 9) -> None:
        """A few words per line, broken where the page ends (the warranty sentence)."""
        words, line = value.split(), ""
        room = self.width - 2 * MARGIN
        for word in words:
            candidate = f"{line} {word}".strip()
            if pdfmetrics.stringWidth(candidate, FONT, size) > room and line:
                self.text(line, FONT, size)
                line = word
            else:
                line = candidate
        if line:
            self.text(line, FONT, size)

    def rule(self) -> None:
        self.pdf.setStrokeColor(RULE)
        self.pdf.setLineWidth(0.5)
        self.pdf.line(MARGIN, self.y - 1 * mm, self.width - MARGIN, self.y - 1 * mm)
        self.y -= 4 * mm


def _warranty(sale: Sale) -> str:
    if sale.warranty_ends_on is not None:
        return (f"Garantie jusqu'au {_day(sale.warranty_ends_on)} inclus (appareil remis le "
                f"{_day(sale.handed_over_on)}).")
    return (f"Garantie de {WARRANTY_DAYS} jours à compter de la remise de l'appareil ; "
            "la date de fin figure sur le reçu réimprimé après la remise.")


def euros(amount: Decimal) -> str:
    """French notation: 1 234,50 € (non-breaking spaces)."""
    return f"{Decimal(amount):,.2f}".replace(",", "\u00a0").replace(".", ",") + "\u00a0€"


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def _when(value: datetime) -> str:
    """In UTC, said so: the functions know no local time zone."""
    return value.astimezone(timezone.utc).strftime("%d/%m/%Y à %H:%M (UTC)")
