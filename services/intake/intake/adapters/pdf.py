"""Donor documents as PDF (ReportLab), in French: the language of the donors who file them.

The font is Bitstream Vera, shipped inside ReportLab and embedded (subset) in every file:
it covers French (é, è, ç, œ, °, €), the rest of Latin-1 and most other Latin letters, and
the PDF looks the same in every viewer. A character it lacks (a name in another script) is
printed as its base letter when it has one (ź → z), else as "?": never as a blank or a
box. The JSON document keeps the exact text.

Tables repeat their header on every page, and every page says "page n / N", so a donor
can see that a long lot lost no line.
"""

from __future__ import annotations

import io
import os
import unicodedata
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache, partial
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from intake.domain.documents import DonationCertificate, ErasureCertificateDocument
from intake.domain.impact import ImpactReport, ImpactScopeKind
from shared.events.vocabulary import BeneficiaryCategory, DeviceType, DonorType, ErasureLevel, ErasureTechnique

FONT = "SecondeVie-Sans"
FONT_BOLD = "SecondeVie-Sans-Bold"
MONO = "Courier"  # hashes and ids: ASCII only, and a fixed width keeps them on one line

MARGIN = 18 * mm
CELL_PADDING = 4
CONTENT_WIDTH = A4[0] - 2 * MARGIN
ACCENT = colors.HexColor("#1f5f4a")
LIGHT = colors.HexColor("#eef4f1")
GRID = colors.HexColor("#b9c9c2")
MUTED = colors.HexColor("#55605b")

DONOR_TYPES = {
    DonorType.PUBLIC_BODY: "collectivité ou organisme public",
    DonorType.SCHOOL: "établissement scolaire public",
    DonorType.COMPANY: "entreprise",
}
DEVICE_TYPES = {
    DeviceType.LAPTOP: "portable",
    DeviceType.DESKTOP: "fixe",
    DeviceType.TABLET: "tablette",
    DeviceType.PHONE: "téléphone",
}
ERASURE_LEVELS = {
    ErasureLevel.CLEAR: "Clear (effacement)",
    ErasureLevel.PURGE: "Purge",
    ErasureLevel.DESTROY: "Destruction physique",
}
ERASURE_TECHNIQUES = {
    ErasureTechnique.OVERWRITE: "réécriture",
    ErasureTechnique.ATA_SECURE_ERASE: "ATA Secure Erase",
    ErasureTechnique.NVME_SANITIZE: "NVMe Sanitize",
    ErasureTechnique.NVME_FORMAT_SES: "NVMe Format (SES)",
    ErasureTechnique.CRYPTOGRAPHIC_ERASE: "effacement cryptographique",
    ErasureTechnique.PHYSICAL_DESTRUCTION: "destruction physique",
}
BENEFICIARY_CATEGORIES = {
    BeneficiaryCategory.MINIMUM_SOCIAL_BENEFITS: "Bénéficiaires de minima sociaux",
    BeneficiaryCategory.JOB_SEEKER: "Demandeurs d'emploi",
    BeneficiaryCategory.YOUNG_PERSON: "Jeunes",
    BeneficiaryCategory.STUDENT: "Étudiants",
}

Document = DonationCertificate | ErasureCertificateDocument | ImpactReport


def render_pdf(document: Document) -> bytes:
    """The document as a PDF file (A4). The footer's second line is what a reader checks the document by."""
    if isinstance(document, DonationCertificate):
        title = "Attestation de don de matériel informatique"
        story, footer = _donation_story(document), (f"Attestation n° {document.document_id}", FONT)
    elif isinstance(document, ErasureCertificateDocument):
        title = "Certificat d'effacement des données"
        story, footer = _erasure_story(document), (f"SHA-256 : {document.certificate_sha256}", MONO)
    elif isinstance(document, ImpactReport):
        title = "Rapport d'impact"
        carbon = document.carbon
        story, footer = _impact_story(document), (
            f"Source : {carbon.source} — {_number(carbon.kg_co2e_per_extra_year)} kgCO2e évités par année "
            "d'usage supplémentaire d'un ordinateur reconditionné", FONT)
    else:
        raise TypeError(f"no PDF layout for {type(document).__name__}")
    return _build(document, title, story, footer)


# --- page frame -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def register_fonts() -> None:
    fonts = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    pdfmetrics.registerFont(TTFont(FONT, os.path.join(fonts, "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, os.path.join(fonts, "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13)
    return {
        "issuer": ParagraphStyle("issuer", body, fontName=FONT_BOLD, fontSize=10, textColor=ACCENT),
        "title": ParagraphStyle("title", body, fontName=FONT_BOLD, fontSize=17, leading=22, spaceBefore=4,
                                spaceAfter=2),
        "meta": ParagraphStyle("meta", body, fontSize=8.5, textColor=MUTED),
        "h2": ParagraphStyle("h2", body, fontName=FONT_BOLD, fontSize=11.5, leading=15, textColor=ACCENT,
                             spaceBefore=10, spaceAfter=4),
        "body": body,
        "signed": ParagraphStyle("signed", body, spaceBefore=4),
        "small": ParagraphStyle("small", body, fontSize=8, leading=10.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", body, fontSize=8, leading=10),
        "cell_right": ParagraphStyle("cell_right", body, fontSize=8, leading=10, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", body, fontName=FONT_BOLD, fontSize=8, leading=10, textColor=colors.white),
        "head_right": ParagraphStyle("head_right", body, fontName=FONT_BOLD, fontSize=8, leading=10,
                                     textColor=colors.white, alignment=TA_RIGHT),
        "mono": ParagraphStyle("mono", body, fontName=MONO, fontSize=8.5, leading=11),
        "figure": ParagraphStyle("figure", body, fontName=FONT_BOLD, fontSize=15, leading=20, textColor=ACCENT),
    }


class _NumberedCanvas(Canvas):
    """Holds the pages back until the end so each footer can say "page n / N"."""

    def __init__(self, *args, first_line: str, second_line: tuple[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self._first_line, self._second_line = first_line, second_line
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, page in enumerate(self._pages, start=1):
            self.__dict__.update(page)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        width, _ = A4
        text, font = self._second_line
        self.saveState()
        self.setStrokeColor(GRID)
        self.setLineWidth(0.5)
        self.line(MARGIN, 15 * mm, width - MARGIN, 15 * mm)
        self.setFillColor(MUTED)
        self.setFont(FONT, 7)
        self.drawString(MARGIN, 11 * mm, self._first_line)
        self.drawRightString(width - MARGIN, 11 * mm, f"page {number} / {total}")
        self.setFont(font, 7)
        self.drawString(MARGIN, 7.5 * mm, text)
        self.restoreState()


def _build(document: Document, title: str, story: list[Flowable], footer: tuple[str, str]) -> bytes:
    styles = _styles()
    issuer = drawable_text(document.issuer.name)
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=22 * mm,
        title=title, author=issuer, subject=document.document_id, creator=issuer,
    )
    header = [
        Paragraph(_text(document.issuer.name), styles["issuer"]),
        Paragraph(_text(title), styles["title"]),
        Paragraph(f"Document n° {_text(document.document_id)} — émis le {_date(document.issued_on)}",
                  styles["meta"]),
        Spacer(1, 4 * mm),
    ]
    footer_text, footer_font = footer
    canvas = partial(_NumberedCanvas, first_line=f"{issuer} — {title} — émis le {_date(document.issued_on)}",
                     second_line=(drawable_text(footer_text), footer_font))
    pdf.build(header + story, canvasmaker=canvas)
    return buffer.getvalue()


# --- the three documents ----------------------------------------------------------------------

def _donation_story(doc: DonationCertificate) -> list[Flowable]:
    s = _styles()
    donor = doc.donor
    story: list[Flowable] = [
        Paragraph("Donateur", s["h2"]),
        _facts([
            ("Nom", _text(donor.name)),
            ("Type", DONOR_TYPES[donor.donor_type]),
            ("Département", _text(donor.territory)),
            ("Identifiant", _text(donor.donor_id)),
        ]),
    ]
    if doc.legal_basis is not None:
        basis = doc.legal_basis
        story += [
            Paragraph("Fondement juridique", s["h2"]),
            _facts([
                ("Convention", f"n° {_text(basis.convention_ref)}, signée le {_date(basis.signed_on)}"),
                ("Texte", _text(basis.statute)),
                ("Plafond", f"{_euros(doc.value_cap_eur)} par appareil" if doc.value_cap_eur is not None else "—"),
            ]),
        ]
    story += [
        Paragraph("Lot", s["h2"]),
        _facts([
            ("Lot", _text(doc.lot_id)),
            ("Déclaré le", _date(doc.declared_at)),
            ("Site d'enlèvement", _text(doc.pickup_site)),
            ("Enlevé le", _date(doc.pickup_date) if doc.pickup_date else "—"),
        ]),
        Paragraph("Appareils donnés", s["h2"]),
        Paragraph(
            f"{_text(doc.issuer.name)} atteste avoir reçu à titre gratuit de {_text(donor.name)} les "
            f"{doc.device_count} appareil(s) ci-dessous, pour réemploi solidaire ou, à défaut, recyclage.",
            s["body"]),
        # Signed off before the table: a long lot then never leaves the sign-off alone on a last page.
        Paragraph(f"Fait le {_date(doc.issued_on)}, pour {_text(doc.issuer.name)}.", s["signed"]),
        Paragraph(
            "Document émis électroniquement ; son identifiant (en tête et en pied de page) permet d'en "
            "demander une copie conforme.", s["small"]),
        Spacer(1, 3 * mm),
    ]
    # Widths fit a row number up to 9999, a label code (SV-XXXX-XXXX) and a typical asset tag on one line.
    widths = [11 * mm, 27 * mm, 30 * mm, 35 * mm, 16 * mm, 31 * mm, 24 * mm]
    rows = [[_head("N°", right=True), _head("Étiquette"), _head("N° de série"), _head("Marque et modèle"),
             _head("Type"), _head("N° d'inventaire"), _head("Valeur déclarée", right=True)]]
    for number, device in enumerate(doc.devices, start=1):
        values = [str(number), device.label_code, device.serial_number, f"{device.make} {device.model}",
                  DEVICE_TYPES[device.device_type], device.asset_tag or "—",
                  _euros(device.declared_value_eur) if device.declared_value_eur is not None else "non déclarée"]
        rows.append([_data_cell(value, width, right=column in (0, 6))
                     for column, (value, width) in enumerate(zip(values, widths))])
    rows.append([_cell(""), _cell("<b>Total</b>"), _cell(f"<b>{doc.device_count} appareil(s)</b>"), _cell(""),
                 _cell(""), _cell(""), _cell(f"<b>{_euros(doc.total_declared_value_eur)}</b>", right=True)])
    story += [
        _table(rows, widths, total_row=True, style=[("ALIGN", (0, 1), (0, -1), "RIGHT"),
                                                     ("ALIGN", (6, 1), (6, -1), "RIGHT")]),
    ]
    return story


def _erasure_story(doc: ErasureCertificateDocument) -> list[Flowable]:
    s = _styles()
    device = doc.device
    rows = [[_head("Disque"), _head("Niveau"), _head("Technique"), _head("Outil"), _head("Opérateur"),
             _head("Résultat"), _head("Horodatage (UTC)")]]
    for drive in doc.drives:
        rows.append([
            _cell(_text(drive.drive_serial) if drive.drive_serial else "—"),
            _cell(ERASURE_LEVELS[drive.level]),
            _cell(ERASURE_TECHNIQUES[drive.technique]),
            _cell(_text(drive.tool)),
            _cell(_text(drive.operator)),
            _cell("réussi" if drive.passed else "<b>échec</b>"),
            _cell(_timestamp(drive.completed_at)),
        ])
    return [
        Paragraph("Appareil", s["h2"]),
        _facts([
            ("Étiquette", _text(device.label_code)),
            ("N° de série", _text(device.serial_number)),
            ("Marque et modèle", f"{_text(device.make)} {_text(device.model)} ({DEVICE_TYPES[device.device_type]})"),
            ("N° d'inventaire", _text(device.asset_tag) if device.asset_tag else "—"),
            ("Lot", _text(device.lot_id)),
        ]),
        Paragraph("Certificat", s["h2"]),
        _facts([
            ("Certificat n°", Paragraph(_text(doc.certificate_id), s["mono"])),
            ("SHA-256", Paragraph(doc.certificate_sha256, s["mono"])),
            ("Norme", _text(doc.standard)),
            ("Terminé le", f"{_timestamp(doc.completed_at)} (UTC)"),
        ]),
        Paragraph("Effacement de chaque disque", s["h2"]),
        _table(rows, [33 * mm, 24 * mm, 27 * mm, 22 * mm, 21 * mm, 19 * mm, 28 * mm]),
        Spacer(1, 6 * mm),
        Paragraph(
            "Vérification : le SHA-256 ci-dessus est l'empreinte du contenu canonique du certificat, "
            "{device_id, drives} en JSON (clés triées, sans espaces), tel qu'émis par l'atelier de "
            "reconditionnement. Toute modification d'une ligne du tableau change cette empreinte.", s["small"]),
    ]


def _impact_story(doc: ImpactReport) -> list[Flowable]:
    s = _styles()
    scope, outcomes, carbon = doc.scope, doc.outcomes, doc.carbon
    scope_text = (f"Lot {_text(scope.lot_id)} de {_text(scope.donor.name)}" if scope.kind is ImpactScopeKind.LOT
                  else f"Ensemble des lots de {_text(scope.donor.name)}")
    story: list[Flowable] = [
        Paragraph("Périmètre", s["h2"]),
        _facts([
            ("Lots couverts", scope_text),
            ("Donateur", f"{_text(scope.donor.name)} ({DONOR_TYPES[scope.donor.donor_type]}, département "
                         f"{_text(scope.donor.territory)})"),
            ("Situation au", _date(doc.issued_on)),
        ]),
        Paragraph("Devenir des appareils", s["h2"]),
        _table([
            [_head("Réemployés", right=True), _head("Recyclés", right=True), _head("En cours", right=True),
             _head("Total", right=True)],
            [_cell(str(outcomes.reused), right=True), _cell(str(outcomes.recycled), right=True),
             _cell(str(outcomes.in_progress), right=True), _cell(f"<b>{outcomes.devices}</b>", right=True)],
        ], [CONTENT_WIDTH / 4] * 4),
        Paragraph("Réemployés : vendus ou remis à un bénéficiaire. Recyclés : écartés à la réception ou au "
                  "reconditionnement. En cours : reçus, en reconditionnement, prêts ou réservés.", s["small"]),
    ]
    if doc.by_lot:
        rows = [[_head("Lot"), _head("Appareils", right=True), _head("Réemployés", right=True),
                 _head("Recyclés", right=True), _head("En cours", right=True)]]
        rows += [[_cell(_text(lot.lot_id)), _cell(str(lot.devices), right=True), _cell(str(lot.reused), right=True),
                  _cell(str(lot.recycled), right=True), _cell(str(lot.in_progress), right=True)]
                 for lot in doc.by_lot]
        story += [Paragraph("Par lot", s["h2"]),
                  _table(rows, [CONTENT_WIDTH - 4 * 28 * mm] + [28 * mm] * 4)]
    people = [[_head("Catégorie"), _head("Personnes", right=True)]]
    people += [[_cell(BENEFICIARY_CATEGORIES[line.category]), _cell(str(line.count), right=True)]
               for line in doc.people_equipped]
    if doc.category_not_recorded:
        people.append([_cell("Catégorie non renseignée"), _cell(str(doc.category_not_recorded), right=True)])
    people.append([_cell("<b>Total</b>"), _cell(f"<b>{doc.people_equipped_total}</b>", right=True)])
    story += [
        Paragraph("Personnes équipées", s["h2"]),
        _table(people, [CONTENT_WIDTH - 35 * mm, 35 * mm], total_row=True),
        Paragraph("Décomptes seuls : aucune donnée personnelle des bénéficiaires ne figure dans ce rapport.",
                  s["small"]),
        KeepTogether([
            Paragraph("Émissions évitées", s["h2"]),
            Paragraph(f"{_number(carbon.avoided_kg_co2e)} kgCO<sub>2</sub>e", s["figure"]),
            Paragraph(
                f"{carbon.reused_devices} appareil(s) réemployé(s) × {_number(carbon.kg_co2e_per_extra_year)} "
                f"kgCO<sub>2</sub>e évités par année d'usage supplémentaire × {_number(carbon.extra_years_of_use)} "
                f"année(s) d'usage supplémentaire retenue(s).", s["body"]),
            Paragraph(
                f"Source : {_text(carbon.source)} (ordinateur portable reconditionné). Pour comparaison, la "
                f"fabrication d'un ordinateur portable neuf émet environ {_number(carbon.manufacturing_kg_co2e)} "
                "kgCO<sub>2</sub>e. Estimation : le facteur d'un ordinateur portable est appliqué à chaque "
                "appareil réemployé.", s["small"]),
        ]),
    ]
    return story


# --- building blocks --------------------------------------------------------------------------

def _facts(pairs: list[tuple[str, str | Flowable]]) -> Table:
    s = _styles()
    rows = [[Paragraph(_text(label), s["meta"]), value if isinstance(value, Flowable) else Paragraph(value, s["body"])]
            for label, value in pairs]
    table = Table(rows, colWidths=[42 * mm, CONTENT_WIDTH - 42 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return table


def _table(rows: list[list[Flowable | str]], widths: list[float], *, total_row: bool = False,
           style: list[tuple] = ()) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        # cells given as plain strings (see _data_cell) look like the "cell" paragraph style
        ("FONTNAME", (0, 1), (-1, -1), FONT),
        ("FONTSIZE", (0, 1), (-1, -1), 8),
        ("LEADING", (0, 1), (-1, -1), 10),
        *style,
    ]
    style += [("BACKGROUND", (0, row), (-1, row), LIGHT) for row in range(2, len(rows), 2)]
    if total_row:
        style += [("BACKGROUND", (0, -1), (-1, -1), colors.white), ("LINEABOVE", (0, -1), (-1, -1), 1, ACCENT)]
    table.setStyle(TableStyle(style))
    return table


def _head(text: str, *, right: bool = False) -> Paragraph:
    return Paragraph(text, _styles()["head_right" if right else "head"])


def _cell(markup: str, *, right: bool = False) -> Paragraph:
    return Paragraph(markup, _styles()["cell_right" if right else "cell"])


def _data_cell(value: object, width: float, *, right: bool = False) -> str | Paragraph:
    """A cell of plain data (never markup). Drawn as a string when it fits its column, which is
    several times faster than a paragraph (a lot lists thousands of devices); as a paragraph,
    wrapped, when it does not."""
    text = drawable_text(value)
    if "\n" not in text and stringWidth(text, FONT, 8) <= width - 2 * CELL_PADDING:
        return text
    return _cell(escape(text), right=right)


# --- text -------------------------------------------------------------------------------------

def drawable_text(value: object) -> str:
    """Text the embedded font can draw: a missing letter becomes its base letter, else '?'."""
    register_fonts()
    covered = pdfmetrics.getFont(FONT).face.charToGlyph
    out = []
    for char in str(value):
        if ord(char) in covered or char in "\n\t":
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(base if base and all(ord(c) in covered for c in base) else "?")
    return "".join(out)


def _text(value: object) -> str:
    """User data inside Paragraph markup: drawable, and never read as markup (a name with '&' or '<')."""
    return escape(drawable_text(value))


def _date(value: date | datetime) -> str:
    return value.strftime("%d/%m/%Y")


def _timestamp(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%d/%m/%Y %H:%M:%S")


def _number(value: Decimal | int) -> str:
    """French notation, no useless decimals: 1 234,5 — 54."""
    text = f"{Decimal(value):,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u00a0").replace(".", ",")


def _euros(value: Decimal | None) -> str:
    return f"{Decimal(value):,.2f}".replace(",", "\u00a0").replace(".", ",") + "\u00a0€"

