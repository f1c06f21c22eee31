"""Donor documents as PDF: a real file whose text carries the facts the donor files it for."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from intake.adapters.pdf import render_pdf
from intake.domain.documents import Issuer, donation_certificate, erasure_certificate_document
from intake.domain.impact import ImpactScope, impact_report
from tests.unit.intake.document_samples import COLLEGE, DEPARTEMENT, ISSUED_ON, certificate, device, lot


def _pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    # one space for any run of spaces: table cells and wrapped lines extract with varying gaps
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    return " ".join(_pages(pdf))


def test_the_donation_certificate_pdf_names_the_donor_the_convention_and_every_device():
    devices = [device(1, declared_value_eur=Decimal("300.00")), device(2, asset_tag=None, declared_value_eur=None),
               device(3, declared_value_eur=Decimal("1.50"))]
    text = _text(render_pdf(donation_certificate(DEPARTEMENT, lot(), devices, ISSUED_ON)))

    assert "Attestation de don de matériel informatique" in text
    assert "Département d'Ille-et-Vilaine" in text
    assert "n° CD35-2026-014, signée le 05/01/2026" in text
    assert "300,00 € par appareil" in text
    for serial, tag in [("5CG0000001", "CD35-2019-0001"), ("5CG0000002", None), ("5CG0000003", "CD35-2019-0003")]:
        assert serial in text
        assert tag is None or tag in text
    assert "non déclarée" in text
    assert "301,50 €" in text  # the total
    assert "3 appareil(s)" in text


def test_the_erasure_certificate_pdf_carries_the_hash_on_every_page_and_each_drives_erasure():
    donated = device(1, erasure_certificate=certificate("dev-lot-1-0001", "NV-001", "HD-002"))
    document = erasure_certificate_document(donated, issued_on=ISSUED_ON)

    pages = _pages(render_pdf(document))
    text = " ".join(pages)

    assert "Certificat d'effacement des données" in text
    assert document.certificate_id in text
    assert all(document.certificate_sha256 in page for page in pages)
    assert "5CG0000001" in text and "CD35-2019-0001" in text
    assert "NIST SP 800-88" in text
    for drive in document.drives:
        assert drive.drive_serial in text and drive.operator in text
    assert "NVMe Sanitize" in text and "nvme-cli 2.8" in text and "réussi" in text
    assert "03/11/2026 09:35:00" in text  # the first drive's timestamp (UTC)


def test_the_impact_report_pdf_states_the_co2_figure_and_its_source():
    devices = [device(n, stage="handed_over", beneficiary_category="student") for n in range(1, 11)]
    devices += [device(11, stage="scrapped"), device(12, stage="ready")]
    report = impact_report(ImpactScope.for_donor(DEPARTEMENT), devices, ISSUED_ON, extra_years_of_use=Decimal("2.5"))

    pages = _pages(render_pdf(report))
    text = " ".join(pages)

    assert "Rapport d'impact" in text
    assert "Ensemble des lots de Département d'Ille-et-Vilaine" in text
    assert "675 kgCO2e" in text  # 10 reused × 27 × 2,5
    assert "× 2,5 année(s)" in text
    assert "ADEME 2022" in text and "225 kgCO2e" in text
    assert all("ADEME 2022" in page for page in pages)
    assert "Étudiants 10" in text
    assert "lot-1 12 10 1 1" in text  # the per-lot line: devices, reused, recycled, in progress


def test_a_lot_of_many_devices_spans_several_pages_and_loses_no_row():
    devices = [device(n, declared_value_eur=Decimal("100.00")) for n in range(1, 151)]

    pages = _pages(render_pdf(donation_certificate(DEPARTEMENT, lot(), devices, ISSUED_ON)))
    text = " ".join(pages)

    assert len(pages) >= 3
    for d in devices:
        assert text.count(d.serial_number) == 1, d.serial_number
    assert "15 000,00 €" in text and "150 appareil(s)" in text
    # the header repeats, and each page says which page of how many it is
    assert all("N° de série" in page for page in pages)
    assert [re.search(r"page (\d+) / (\d+)", page).groups() for page in pages] == [
        (str(n), str(len(pages))) for n in range(1, len(pages) + 1)]


def test_text_typed_by_a_donor_is_printed_as_written_never_read_as_markup():
    donor = COLLEGE.model_copy(update={"name": "Collège <Zola> & Lycée Hélène-Boucher"})
    devices = [device(1, donor, serial_number="A&B<1>", model="Latitude 5490 « pro »")]

    text = _text(render_pdf(donation_certificate(donor, lot(donor), devices, ISSUED_ON,
                                                 issuer=Issuer(name="Emmaüs Connect & Co"))))

    assert "Collège <Zola> & Lycée Hélène-Boucher" in text
    assert "A&B<1>" in text and "Latitude 5490 « pro »" in text
    assert "Emmaüs Connect & Co" in text


def test_a_letter_the_font_lacks_is_printed_as_its_base_letter_or_a_question_mark():
    donor = COLLEGE.model_copy(update={"name": "Szkoła Łódź 東京"})
    text = _text(render_pdf(donation_certificate(donor, lot(donor), [device(1, donor)], ISSUED_ON)))
    assert "Szkoła Łódz ??" in text


def test_only_donor_documents_have_a_pdf_layout():
    with pytest.raises(TypeError):
        render_pdf(device(1))


def test_a_value_too_long_for_its_column_wraps_and_is_printed_whole():
    model = "ThinkPad X1 Carbon Gen 9 (20XW) édition spéciale <Evo>"
    devices = [device(1, model=model, asset_tag="INV-COLLEGE-ZOLA-2019-SALLE-B12-0001"), device(2)]

    text = _text(render_pdf(donation_certificate(DEPARTEMENT, lot(), devices, ISSUED_ON)))

    assert f"HP {model}" in text
    assert "INV-COLLEGE-ZOLA-2019-SALLE-B12-0001" in text.replace(" ", "")
    assert "5CG0000002" in text
