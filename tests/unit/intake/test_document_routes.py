"""Donor documents through intake's API: from what the warehouse received and what the other
services announced, as JSON and as PDF (a real binary response through the HTTP API)."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from pypdf import PdfReader

from intake.domain.documents import verify_erasure_certificate
from intake.handlers import api, consumer
from shared.events.certificates import certificate_sha256
from shared.events.refurb import DeviceScrapped, ErasureCertified
from shared.events.sales import DeviceHandedOver
from shared.events.vocabulary import BeneficiaryCategory
from tests.unit.intake.conftest import DEPARTEMENT, LOT
from tests.unit.intake.document_samples import certificate
from tests.unit.intake.test_api import COMPANY, device
from tests.unit.support import (
    ROLE_PARTNERS,
    T0,
    LambdaContext,
    all_items,
    call,
    deliver,
    device_ready,
    device_reserved,
    device_sold,
    http_event,
)

DONOR = ROLE_PARTNERS["donor"]


def fetch(path: str, role: str = "donor", query: dict | None = None, **kwargs) -> dict:
    """The Lambda's raw answer (status, headers, body as the HTTP API gets it)."""
    event = http_event("GET", path, role, **kwargs)
    if query:
        event["rawQueryString"] = urlencode(query)
        event["queryStringParameters"] = {k: str(v) for k, v in query.items()}
    return api.handler(event, LambdaContext())


def as_json(response: dict) -> dict:
    assert response["headers"]["Content-Type"] == "application/json"
    return json.loads(response["body"])


def pdf_text(response: dict) -> str:
    """The PDF a client receives: the HTTP API decodes the base64 body to these bytes."""
    assert response["statusCode"] == 200, response["body"]
    assert response["headers"]["Content-Type"] == "application/pdf"
    assert response["isBase64Encoded"] is True
    data = base64.b64decode(response["body"])
    assert data.startswith(b"%PDF-")
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def receive(lot_id: str, serial: str, value: float | None = None) -> dict:
    body = device(serial) | ({"declared_value_eur": value} if value is not None else {})
    response = call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", body)
    assert response.status == 201, response.body
    return response.body


def announce(*events, start=T0) -> None:
    envelopes = [e.to_envelope(occurred_at=start + timedelta(hours=n)) for n, e in enumerate(events)]
    assert deliver(consumer.handler, *envelopes)["batchItemFailures"] == []


def refurbished(device_id: str) -> ErasureCertified:
    """Refurb erases and readies the device; the certificate it issued."""
    issued = certificate(device_id, "NV-001", "HD-002")
    announce(issued, device_ready(device_id, grade="A"))
    return issued


def sold_to(device_id: str, category: BeneficiaryCategory, start=T0 + timedelta(days=1)) -> None:
    reserved = device_reserved(device_id, reservation_id=f"res-{device_id}")
    reserved = reserved.model_copy(update={"beneficiary_category": category})
    sold = device_sold(device_id, reserved.reservation_id)
    announce(reserved, sold, DeviceHandedOver(device_id=device_id, sale_id=sold.sale_id,
                                              point_of_sale_id="pos-rennes-centre"), start=start)


@pytest.fixture
def lot_with_devices(lot_id) -> dict:
    """Three devices handed over (one reused, one ready, one scrapped), one rejected at reception,
    one only declared by the donor (not handed over yet)."""
    reused, ready, scrapped = receive(lot_id, "5CG0000001", 250), receive(lot_id, "5CG0000002"), \
        receive(lot_id, "5CG0000003", 80)
    rejected = call(api.handler, "POST", f"/intake/lots/{lot_id}/rejections", "warehouse",
                    device("5CG0000004", declared_value_eur=20, reason="physical_damage")).body
    refurbished(reused["device_id"])
    sold_to(reused["device_id"], BeneficiaryCategory.STUDENT)
    refurbished(ready["device_id"])
    announce(DeviceScrapped(device_id=scrapped["device_id"], reason="motherboard_failure"))
    return {"lot_id": lot_id, "reused": reused, "ready": ready, "scrapped": scrapped, "rejected": rejected}


# ── donation certificate ─────────────────────────────────────────────────────────────────

def test_the_donor_gets_the_donation_certificate_of_its_lot_with_every_device_handed_over(lot_with_devices):
    lot_id = lot_with_devices["lot_id"]

    body = as_json(fetch(f"/intake/lots/{lot_id}/documents/donation-certificate"))

    assert body["document_type"] == "donation_certificate"
    assert (body["donor"]["name"], body["donor"]["donor_type"]) == (DEPARTEMENT["name"], "public_body")
    assert body["legal_basis"]["convention_ref"] == "CD35-2026-014"
    assert "L. 3212-2" in body["legal_basis"]["statute"]
    assert body["pickup_site"] == LOT["pickup_site"]
    lines = {line["serial_number"]: (line["asset_tag"], line["declared_value_eur"]) for line in body["devices"]}
    assert lines == {"5CG0000001": ("CD35-2019-0412", "250.00"), "5CG0000002": ("CD35-2019-0412", None),
                     "5CG0000003": ("CD35-2019-0412", "80.00"), "5CG0000004": ("CD35-2019-0412", "20.00")}
    assert (body["device_count"], body["total_declared_value_eur"], body["value_cap_eur"]) == (4, "350.00", "300")
    # issued again with nothing changed: the same document
    assert as_json(fetch(f"/intake/lots/{lot_id}/documents/donation-certificate"))["document_id"] == \
        body["document_id"]


def test_the_donation_certificate_as_pdf_is_a_real_file_through_the_http_api(lot_with_devices):
    response = fetch(f"/intake/lots/{lot_with_devices['lot_id']}/documents/donation-certificate",
                     query={"format": "pdf"})

    text = pdf_text(response)
    assert "Attestation de don de matériel informatique" in text
    assert "n° CD35-2026-014" in text and "300,00 € par appareil" in text
    assert all(f"5CG000000{n}" in text for n in range(1, 5))
    assert "250,00 €" in text and "non déclarée" in text and "350,00 €" in text
    assert response["headers"]["Content-Disposition"] == (
        f'inline; filename="attestation-de-don-{lot_with_devices["lot_id"]}.pdf"')


def test_a_lot_with_nothing_handed_over_yet_has_no_certificate(lot_id):
    response = fetch(f"/intake/lots/{lot_id}/documents/donation-certificate")
    assert response["statusCode"] == 409
    assert as_json(response)["message"] == f"lot {lot_id} has no device received yet: there is nothing to certify"


# ── erasure certificate ──────────────────────────────────────────────────────────────────

def test_the_donor_gets_each_devices_erasure_certificate_as_refurb_issued_it(lot_with_devices):
    device_id = lot_with_devices["ready"]["device_id"]
    issued = certificate(device_id, "NV-001", "HD-002")

    body = as_json(fetch(f"/intake/devices/{device_id}/documents/erasure-certificate"))

    assert (body["certificate_id"], body["certificate_sha256"]) == (issued.certificate_id, issued.certificate_sha256)
    assert [d["drive_serial"] for d in body["drives"]] == ["NV-001", "HD-002"]
    assert body["device"]["serial_number"] == "5CG0000002"
    assert body["device"]["label_code"] == lot_with_devices["ready"]["label_code"]
    # the donor checks it: the hash of {device_id, drives} is the certificate's SHA-256
    assert certificate_sha256(body["device"]["device_id"], body["drives"]) == body["certificate_sha256"]
    assert verify_erasure_certificate(body)


def test_the_erasure_certificate_pdf_carries_its_sha256(lot_with_devices):
    device_id = lot_with_devices["reused"]["device_id"]
    issued = certificate(device_id, "NV-001", "HD-002")

    text = pdf_text(fetch(f"/intake/devices/{device_id}/documents/erasure-certificate", query={"format": "pdf"}))

    assert "Certificat d'effacement des données" in text
    assert issued.certificate_sha256 in text and issued.certificate_id in text
    assert "5CG0000001" in text and "NV-001" in text and "HD-002" in text


def test_a_device_not_erased_yet_has_no_certificate_and_the_message_says_why(lot_id, lot_with_devices):
    waiting = receive(lot_id, "5CG0000009")
    rejected = lot_with_devices["rejected"]

    response = fetch(f"/intake/devices/{waiting['device_id']}/documents/erasure-certificate")
    refused = fetch(f"/intake/devices/{rejected['device_id']}/documents/erasure-certificate")

    assert response["statusCode"] == 409
    assert as_json(response)["message"].startswith(f"device {waiting['label_code']} has no erasure certificate yet")
    assert refused["statusCode"] == 409
    assert "rejected at reception" in as_json(refused)["message"]


def test_a_certificate_whose_hash_does_not_match_is_never_relayed(lot_id):
    received = receive(lot_id, "5CG0000009")
    genuine = certificate(received["device_id"])
    announce(genuine.model_copy(update={"certificate_sha256": "0" * 64}))

    response = fetch(f"/intake/devices/{received['device_id']}/documents/erasure-certificate")

    assert response["statusCode"] == 409
    assert "does not match its SHA-256" in as_json(response)["message"]


# ── impact report ────────────────────────────────────────────────────────────────────────

def test_the_lots_impact_report_counts_outcomes_people_and_co2(lot_with_devices):
    body = as_json(fetch(f"/intake/lots/{lot_with_devices['lot_id']}/documents/impact-report"))

    assert body["outcomes"] == {"devices": 4, "reused": 1, "recycled": 2, "in_progress": 1}
    assert {p["category"]: p["count"] for p in body["people_equipped"]} == {
        "minimum_social_benefits": 0, "job_seeker": 0, "young_person": 0, "student": 1}
    carbon = body["carbon"]
    assert (carbon["avoided_kg_co2e"], carbon["extra_years_of_use"], carbon["source"]) == ("54", "2", "ADEME 2022")
    # counts only: no device, no beneficiary, no reservation
    text = json.dumps(body)
    for name in ("reused", "ready", "scrapped", "rejected"):
        assert lot_with_devices[name]["device_id"] not in text
        assert lot_with_devices[name]["serial_number"] not in text
    assert "res-" not in text and "referral" not in text


def test_the_number_of_extra_years_is_a_parameter(lot_with_devices):
    path = f"/intake/lots/{lot_with_devices['lot_id']}/documents/impact-report"

    body = as_json(fetch(path, query={"extra_years": "3.5"}))
    text = pdf_text(fetch(path, query={"extra_years": "3.5", "format": "pdf"}))

    assert (body["carbon"]["avoided_kg_co2e"], body["carbon"]["extra_years_of_use"]) == ("94.5", "3.5")
    assert "94,5 kgCO2e" in text and "ADEME 2022" in text and "× 3,5 année(s)" in text


@pytest.mark.parametrize("query, field", [
    ({"extra_years": "0"}, "extra_years"), ({"extra_years": "11"}, "extra_years"),
    ({"extra_years": "deux"}, "extra_years"), ({"extra_years": "2.125"}, "extra_years"),
    ({"format": "docx"}, "format"),
])
def test_a_bad_parameter_is_refused_naming_it_and_nothing_is_written(lot_with_devices, dynamodb, query, field):
    before = all_items(dynamodb)
    response = fetch(f"/intake/lots/{lot_with_devices['lot_id']}/documents/impact-report", query=query)
    assert response["statusCode"] == 422
    assert ["query", field] in [problem["loc"] for problem in as_json(response)["detail"]]
    assert all_items(dynamodb) == before


def test_a_donors_impact_report_covers_every_lot_with_a_line_per_lot(lot_with_devices):
    second_lot = call(api.handler, "POST", "/intake/lots", "donor", LOT).body["lot_id"]
    other = receive(second_lot, "5CG0000010", 120)
    refurbished(other["device_id"])
    sold_to(other["device_id"], BeneficiaryCategory.JOB_SEEKER)

    body = as_json(fetch(f"/intake/donors/{DONOR}/documents/impact-report"))

    assert body["scope"]["kind"] == "donor"
    assert body["outcomes"] == {"devices": 5, "reused": 2, "recycled": 2, "in_progress": 1}
    assert {line["lot_id"]: line["reused"] for line in body["by_lot"]} == {lot_with_devices["lot_id"]: 1,
                                                                           second_lot: 1}
    assert body["people_equipped_total"] == 2
    assert body["carbon"]["avoided_kg_co2e"] == "108"
    text = pdf_text(fetch(f"/intake/donors/{DONOR}/documents/impact-report", query={"format": "pdf"}))
    assert "Ensemble des lots de Département d'Ille-et-Vilaine" in text and "108 kgCO2e" in text


# ── who reads what ───────────────────────────────────────────────────────────────────────

def test_a_donor_reads_only_its_own_documents_the_warehouse_and_the_administrator_all(lot_with_devices):
    lot_id, device_id = lot_with_devices["lot_id"], lot_with_devices["ready"]["device_id"]
    paths = [f"/intake/lots/{lot_id}/documents/donation-certificate",
             f"/intake/devices/{device_id}/documents/erasure-certificate",
             f"/intake/lots/{lot_id}/documents/impact-report",
             f"/intake/donors/{DONOR}/documents/impact-report"]
    assert call(api.handler, "POST", "/intake/donors", "admin", COMPANY).status == 201

    for path in paths:
        assert fetch(path, "donor")["statusCode"] == 200
        assert fetch(path, "warehouse")["statusCode"] == 200
        assert fetch(path, "admin")["statusCode"] == 200
        assert fetch(path, "donor", partner_id=COMPANY["donor_id"])["statusCode"] == 404  # not theirs: not there
        assert fetch(path, "warehouse", territory="44")["statusCode"] == 404  # another territory's: not there
        # a workshop reads the erasure certificate of the devices assigned to it only, no lot document
        assert fetch(path, "workshop")["statusCode"] == (404 if "/devices/" in path else 403)
        assert fetch(path, None)["statusCode"] == 401


def test_unknown_lots_devices_and_donors_are_404(table):
    for path in ("/intake/lots/nope/documents/donation-certificate", "/intake/lots/nope/documents/impact-report",
                 "/intake/devices/nope/documents/erasure-certificate", "/intake/donors/nope/documents/impact-report"):
        response = fetch(path, "admin")
        assert response["statusCode"] == 404
        assert "nope" in as_json(response)["message"]


def test_json_documents_do_not_load_the_pdf_library():
    """ReportLab costs about half a second to import: a JSON request never pays for it."""
    probe = ("import sys, intake.handlers.api, intake.donor_documents; "
             "print('reportlab' in sys.modules)")
    env = {"PYTHONPATH": os.pathsep.join(sys.path), "AWS_DEFAULT_REGION": "us-east-1", "TABLE_NAME": "unused"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"
