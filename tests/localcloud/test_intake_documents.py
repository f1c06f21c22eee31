"""A donor's documents over the local cloud: a public body's device goes through refurbishment to
ready, and the donor's documents show its erasure certificate, exactly as refurb issued it; then
the device is sold and the lot's impact report counts it as reused.

The dev donor is a public body of territory 35 (its registration cannot change), so the device is
kept for territory 35 when it is ready: the test ends by reserving and selling it, as
test_refurb.py and the thin path do, so that no ready device of this test is left in the pool
for another test's referral to take.

The warehouse's label sheet goes through the real HTTP API too: its QR codes, read back from the
PDF, name the portal's passport page on this local cloud.
"""

from __future__ import annotations

import io
import re
import uuid

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from devtools import thin_path
from shared.events.certificates import certificate_sha256
from tests.localcloud.cloud import LocalCloud, eventually

PATIENCE = 60.0  # seconds for an event to cross the bus, a queue and a consumer on 2 shared cores


def pdf_text(response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")  # the HTTP API decoded the base64 body to the file's bytes
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages))


def test_the_donors_documents_show_the_erasure_certificate_refurb_issued(local_cloud: LocalCloud):
    cloud = local_cloud
    cloud.expect(200, "PUT", "/refurb/workshops/workshop-rennes", "admin",
                 {"name": "Atelier Rennes", "territories": ["35"], "capacity": 1000})
    donor = thin_path.register_donor(cloud)
    assert (donor["donor_type"], donor["legal_basis"]["convention_ref"]) == ("public_body", "CD35-2026-014")
    lot_id = cloud.expect(201, "POST", "/intake/lots", "donor",
                          {"expected_count": 1, "pickup_site": "Hôtel du Département"})["lot_id"]
    serial = f"5CG{uuid.uuid4().hex[:7].upper()}"
    laptop = {"serial_number": serial, "make": "HP", "model": "EliteBook 840 G5", "device_type": "laptop",
              "asset_tag": "CD35-2019-0412",
              "specs": {"cpu_model": "i5-8250U", "ram_gb": 8, "drives": [{"kind": "nvme", "size_gb": 256}]}}

    # a public body's device above 300 €: refused, naming the field and the cap, and nothing is written
    over = cloud.call("POST", f"/intake/lots/{lot_id}/devices", "warehouse", laptop | {"declared_value_eur": 450})
    assert over.status_code == 422
    assert over.json()["message"].startswith("declared_value_eur: 450.00 € declared; a public body or a school "
                                             "may give a device worth at most 300 €")
    assert cloud.expect(200, "GET", f"/intake/lots/{lot_id}/devices", "warehouse")["items"] == []

    device = cloud.expect(201, "POST", f"/intake/lots/{lot_id}/devices", "warehouse",
                          laptop | {"declared_value_eur": "280.00"})
    device_id = device["device_id"]
    erasure_certificate = f"/intake/devices/{device_id}/documents/erasure-certificate"

    # the donation certificate: the device with its serial, asset tag and declared value
    donation = cloud.expect(200, "GET", f"/intake/lots/{lot_id}/documents/donation-certificate", "donor")
    assert [(d["serial_number"], d["asset_tag"], d["declared_value_eur"]) for d in donation["devices"]] == [
        (serial, "CD35-2019-0412", "280.00")]
    assert (donation["legal_basis"]["convention_ref"], donation["value_cap_eur"]) == ("CD35-2026-014", "300")
    text = pdf_text(cloud.call("GET", f"/intake/lots/{lot_id}/documents/donation-certificate?format=pdf", "donor"))
    assert "Attestation de don" in text and serial in text and "280,00 €" in text

    # before refurb erased it, there is no certificate to give, and the donor is told why
    eventually(lambda: cloud.call("GET", f"/refurb/work-orders/{device_id}", "workshop").ok,
               "the work order opening in refurb", timeout=PATIENCE)
    early = cloud.call("GET", erasure_certificate, "donor")
    assert early.status_code == 409
    assert early.json()["message"].startswith(f"device {device['label_code']} has no erasure certificate yet")

    thin_path.refurbish(cloud, device_id)
    issued = cloud.expect(200, "GET", f"/refurb/work-orders/{device_id}/certificate", "admin")

    # the donor's copy, relayed by intake from ErasureCertified: the very certificate refurb issued
    relayed = eventually(lambda: (r := cloud.call("GET", erasure_certificate, "donor")).ok and r.json(),
                         "the erasure certificate in intake", timeout=PATIENCE, interval=0.3)
    assert (relayed["certificate_id"], relayed["certificate_sha256"]) == (issued["certificate_id"], issued["sha256"])
    assert certificate_sha256(device_id, relayed["drives"]) == issued["sha256"]  # the donor's own check
    assert (relayed["device"]["serial_number"], relayed["device"]["asset_tag"]) == (serial, "CD35-2019-0412")
    text = pdf_text(cloud.call("GET", f"{erasure_certificate}?format=pdf", "donor"))
    assert issued["sha256"] in text and issued["certificate_id"] in text

    # the lot's impact report: ready is still in progress; nobody is equipped yet
    impact = f"/intake/lots/{lot_id}/documents/impact-report"
    eventually(lambda: "DeviceReady" in [s["event_type"] for s in cloud.expect(
        200, "GET", f"/intake/devices/{device_id}/timeline", "donor")["items"]], "DeviceReady in intake",
               timeout=PATIENCE, interval=0.3)
    report = cloud.expect(200, "GET", impact, "donor")
    assert report["outcomes"] == {"devices": 1, "reused": 0, "recycled": 0, "in_progress": 1}
    assert (report["people_equipped_total"], report["carbon"]["avoided_kg_co2e"]) == (0, "0")
    bad = cloud.call("GET", f"{impact}?extra_years=0", "donor")
    assert bad.status_code == 422 and "extra_years" in bad.json()["message"]

    # a beneficiary of territory 35 gets it and buys it: the device is reused, one job seeker equipped
    thin_path.register_referrer(cloud, "35")
    referral = cloud.expect(201, "POST", "/allocation/referrals", "referrer", {
        "beneficiary_ref": f"FT-{uuid.uuid4().hex[:8]}", "category": "job_seeker", "territory": "35",
        "eligibility_proof_ref": "attestation-2026-11",
    })
    eventually(lambda: cloud.call("GET", f"/allocation/referrals/{referral['referral_id']}", "referrer").json()
               .get("device_id") == device_id, "allocation reserving the ready device", timeout=PATIENCE)
    quote = eventually(lambda: (r := cloud.call("GET", f"/sales/quotes/{device_id}", "pos")).ok and r.json(),
                       "a quote in sales", timeout=PATIENCE)
    cloud.expect(201, "POST", "/sales/sales", "pos",
                 {"device_id": device_id, "payments": [{"method": "card", "amount_eur": quote["price_eur"]}]})

    reused = eventually(lambda: (r := cloud.expect(200, "GET", f"{impact}?extra_years=3", "donor"))["outcomes"]
                        ["reused"] == 1 and r, "the sale counted in the impact report", timeout=PATIENCE)
    assert reused["outcomes"] == {"devices": 1, "reused": 1, "recycled": 0, "in_progress": 0}
    assert {p["category"]: p["count"] for p in reused["people_equipped"]}["job_seeker"] == 1
    assert (reused["carbon"]["avoided_kg_co2e"], reused["carbon"]["source"]) == ("81", "ADEME 2022")
    assert referral["referral_id"] not in str(reused)
    text = pdf_text(cloud.call("GET", f"/intake/donors/{donor['donor_id']}/documents/impact-report?format=pdf",
                               "donor"))
    assert "Rapport d'impact" in text and "ADEME 2022" in text


def test_the_warehouse_prints_the_lots_labels_and_each_qr_code_opens_its_passport(local_cloud: LocalCloud):
    cloud = local_cloud
    thin_path.register_donor(cloud)
    lot_id = cloud.expect(201, "POST", "/intake/lots", "donor",
                          {"expected_count": 2, "pickup_site": "Collège Anne de Bretagne"})["lot_id"]
    devices = [cloud.expect(201, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", {
        "serial_number": f"PF{uuid.uuid4().hex[:8].upper()}", "make": "Lenovo", "model": "ThinkPad T480",
        "device_type": "laptop", "specs": {"ram_gb": 8, "drives": [{"kind": "ssd", "size_gb": 256}]}})
        for _ in range(2)]
    labels = f"/intake/lots/{lot_id}/documents/labels"
    assert cloud.call("GET", labels, "donor").status_code == 403  # the warehouse sticks the labels on

    response = cloud.call("GET", f"{labels}?format=pdf", "warehouse")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")  # the HTTP API decoded the base64 body to the file's bytes
    page = pypdfium2.PdfDocument(response.content)[0]
    read = sorted(code.text for code in zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil()))

    # the portal's address on this local cloud: its API's host form, which browsers resolve
    port = cloud.endpoint.rsplit(":", 1)[1]
    origin = f"http://{cloud.outputs['ApiId']}.execute-api.localhost:{port}"
    assert read == sorted(f"{origin}/portal/d/{d['label_code']}" for d in devices)
    code = read[0].rsplit("/", 1)[1]
    passport = cloud.expect(200, "GET", f"/intake/passport/{code}", None)
    assert (passport["label_code"], passport["model"], passport["outcome"]) == (code, "ThinkPad T480", "in_progress")
