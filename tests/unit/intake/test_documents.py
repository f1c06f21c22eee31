"""Donor documents as data: donation certificate, erasure certificate, impact report."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from intake.domain.documents import (
    DonationCertificate,
    ErasureCertificateDocument,
    Issuer,
    donation_certificate,
    erasure_certificate_document,
    verify_erasure_certificate,
)
from intake.domain.impact import ImpactReport, ImpactScope, impact_report
from intake.domain.passport import stage_after
from refurb.domain.work_orders import issue_certificate
from shared.errors import RuleViolation
from shared.events.refurb import ErasureCertified
from tests.unit.intake.document_samples import (
    COLLEGE,
    COMPANY,
    DEPARTEMENT,
    ISSUED_ON,
    certificate,
    device,
    drives,
    lot,
)

# --- donation certificate ---------------------------------------------------------------------


def test_the_donation_certificate_lists_every_device_with_its_serial_asset_tag_and_value():
    devices = [device(2, declared_value_eur=Decimal("250.00")), device(1, asset_tag=None, declared_value_eur=None),
               device(3, stage="scrapped")]

    cert = donation_certificate(DEPARTEMENT, lot(), devices, ISSUED_ON)

    assert cert.donor.name == "Département d'Ille-et-Vilaine"
    assert cert.legal_basis.convention_ref == "CD35-2026-014"
    assert "L. 3212-2" in cert.legal_basis.statute
    assert cert.lot_id == "lot-1"
    # every device given is certified, whatever became of it since (the scrapped one too), by label order
    assert [(d.label_code, d.serial_number, d.asset_tag, d.declared_value_eur) for d in cert.devices] == [
        ("SV-0001-QX9T", "5CG0000001", None, None),
        ("SV-0002-QX9T", "5CG0000002", "CD35-2019-0002", Decimal("250.00")),
        ("SV-0003-QX9T", "5CG0000003", "CD35-2019-0003", Decimal("120.00")),
    ]
    assert cert.device_count == 3
    assert cert.total_declared_value_eur == Decimal("370.00")
    assert cert.value_cap_eur == Decimal("300")
    assert (cert.issued_on, cert.issuer.name) == (ISSUED_ON, "Seconde Vie")


def test_the_donation_certificate_is_the_json_the_api_returns():
    cert = donation_certificate(DEPARTEMENT, lot(), [device(1)], ISSUED_ON)
    body = json.loads(json.dumps(cert.model_dump(mode="json")))

    assert body["document_type"] == "donation_certificate"
    assert body["devices"][0]["serial_number"] == "5CG0000001"
    assert body["devices"][0]["declared_value_eur"] == "120.00"
    assert DonationCertificate.model_validate(body) == cert


@pytest.mark.parametrize("donor", [DEPARTEMENT, COLLEGE], ids=["public body", "school"])
def test_a_public_donor_may_not_give_a_device_worth_more_than_300_euros(donor):
    devices = [device(1, donor, declared_value_eur=Decimal("300.00")),
               device(2, donor, declared_value_eur=Decimal("300.01")),
               device(3, donor, declared_value_eur=Decimal("120.00"))]

    with pytest.raises(RuleViolation) as refused:
        donation_certificate(donor, lot(donor), devices, ISSUED_ON)

    message = str(refused.value)
    assert "300" in message
    assert "SV-0002-QX9T" in message and "5CG0000002" in message and "300.01" in message
    assert "SV-0001-QX9T" not in message and "SV-0003-QX9T" not in message  # at the cap is allowed

    accepted = donation_certificate(donor, lot(donor), [devices[0], devices[2]], ISSUED_ON)
    assert accepted.device_count == 2


def test_the_public_cap_is_configurable():
    devices = [device(1, declared_value_eur=Decimal("280.00"))]
    with pytest.raises(RuleViolation, match="250"):
        donation_certificate(DEPARTEMENT, lot(), devices, ISSUED_ON, public_value_cap_eur=Decimal("250"))


@pytest.mark.parametrize("donor", [DEPARTEMENT, COLLEGE], ids=["public body", "school"])
def test_a_public_donor_without_a_legal_basis_gets_no_certificate(donor):
    without_basis = donor.model_copy(update={"legal_basis": None})
    with pytest.raises(RuleViolation, match="legal_basis"):
        donation_certificate(without_basis, lot(donor), [device(1, donor)], ISSUED_ON)


def test_a_company_needs_no_legal_basis_and_has_no_value_cap():
    devices = [device(1, COMPANY, declared_value_eur=Decimal("900.00"), asset_tag=None)]

    cert = donation_certificate(COMPANY, lot(COMPANY), devices, ISSUED_ON)

    assert cert.legal_basis is None
    assert cert.value_cap_eur is None
    assert cert.total_declared_value_eur == Decimal("900.00")


def test_a_lot_with_no_device_received_has_nothing_to_certify():
    with pytest.raises(RuleViolation, match="lot-1"):
        donation_certificate(DEPARTEMENT, lot(), [], ISSUED_ON)


def test_a_device_of_another_lot_or_donor_is_never_certified_in_this_lot():
    with pytest.raises(ValueError, match="dev-lot-2-0001"):
        donation_certificate(DEPARTEMENT, lot(), [device(1, lot_id="lot-2")], ISSUED_ON)
    with pytest.raises(ValueError, match="belongs to"):
        donation_certificate(COMPANY, lot(DEPARTEMENT), [device(1)], ISSUED_ON)
    with pytest.raises(ValueError, match="more than once"):
        donation_certificate(DEPARTEMENT, lot(), [device(1), device(1)], ISSUED_ON)


def test_the_document_id_changes_with_what_the_document_says_and_only_then():
    first = donation_certificate(DEPARTEMENT, lot(), [device(1)], ISSUED_ON)
    again = donation_certificate(DEPARTEMENT, lot(), [device(1)], ISSUED_ON)
    more = donation_certificate(DEPARTEMENT, lot(), [device(1), device(2)], ISSUED_ON)
    later = donation_certificate(DEPARTEMENT, lot(), [device(1)], ISSUED_ON + timedelta(days=1))

    assert first.document_id == again.document_id
    assert len({first.document_id, more.document_id, later.document_id}) == 3


def test_the_issuer_is_configurable():
    cert = donation_certificate(DEPARTEMENT, lot(), [device(1)], ISSUED_ON, issuer=Issuer(name="Emmaüs Connect 35"))
    assert cert.model_dump(mode="json")["issuer"] == {"name": "Emmaüs Connect 35"}


# --- erasure certificate ----------------------------------------------------------------------


def test_the_erasure_certificate_relays_every_drive_and_the_certificate_hash():
    donated = device(1, erasure_certificate=certificate("dev-lot-1-0001", "NV-001", "HD-002"))

    document = erasure_certificate_document(donated, issued_on=ISSUED_ON)

    relayed = donated.erasure_certificate
    assert document.certificate_id == relayed.certificate_id
    assert document.certificate_sha256 == relayed.certificate_sha256
    assert (document.device.serial_number, document.device.asset_tag) == ("5CG0000001", "CD35-2019-0001")
    assert [(d.drive_serial, d.level, d.technique, d.tool, d.operator, d.passed) for d in document.drives] == [
        ("NV-001", "purge", "nvme_sanitize", "nvme-cli 2.8", "tech-01", True),
        ("HD-002", "purge", "nvme_sanitize", "nvme-cli 2.8", "tech-02", True),
    ]
    assert document.completed_at == relayed.drives[1].completed_at
    assert document.standard == "NIST SP 800-88"
    assert verify_erasure_certificate(document)


def test_a_certificate_issued_by_refurb_is_relayed_and_verifies():
    erased = drives("NV-001")
    issued = issue_certificate("dev-lot-1-0001", erased)
    # what intake keeps from the ErasureCertified event it consumed
    payload = ErasureCertified(device_id=issued.device_id, certificate_id=issued.certificate_id,
                               certificate_sha256=issued.sha256, drives=erased).model_dump(mode="json")

    document = erasure_certificate_document(device(1), ErasureCertified.model_validate(payload),
                                            issued_on=ISSUED_ON)

    assert document.certificate_id == issued.certificate_id
    assert verify_erasure_certificate(document.model_dump(mode="json"))


@pytest.mark.parametrize("tamper", [
    lambda body: body["drives"][0].update(operator="someone-else"),
    lambda body: body["drives"][0].update(passed=False),
    lambda body: body["drives"].pop(),
    lambda body: body["device"].update(device_id="dev-other"),
], ids=["operator", "result", "drive removed", "device"])
def test_a_document_altered_after_issue_fails_verification(tamper):
    donated = device(1, erasure_certificate=certificate("dev-lot-1-0001", "NV-001", "HD-002"))
    body = erasure_certificate_document(donated, issued_on=ISSUED_ON).model_dump(mode="json")
    assert verify_erasure_certificate(body)

    tamper(body)

    assert not verify_erasure_certificate(body)
    assert not verify_erasure_certificate(ErasureCertificateDocument.model_validate(body))


def test_a_certificate_that_does_not_match_its_hash_is_not_relayed():
    genuine = certificate("dev-lot-1-0001")
    forged = genuine.model_copy(update={"certificate_sha256": "0" * 64})
    with pytest.raises(RuleViolation, match="SHA-256"):
        erasure_certificate_document(device(1), forged, issued_on=ISSUED_ON)


def test_there_is_no_erasure_certificate_before_refurb_issues_one():
    with pytest.raises(RuleViolation, match="SV-0001-QX9T"):
        erasure_certificate_document(device(1), issued_on=ISSUED_ON)


def test_a_certificate_of_another_device_is_refused():
    with pytest.raises(ValueError, match="dev-other"):
        erasure_certificate_document(device(1), certificate("dev-other"), issued_on=ISSUED_ON)


# --- impact report ----------------------------------------------------------------------------

def _lot_devices(lot_id: str = "lot-1") -> list:
    stages = [("sold", "student"), ("handed_over", "job_seeker"), ("handed_over", "job_seeker"),
              ("handed_over", None), ("scrapped", None), ("rejected", None), ("reserved", "young_person"),
              ("ready", None), ("received", None), ("erased", None)]
    return [device(n, lot_id=lot_id, stage=stage, beneficiary_category=category)
            for n, (stage, category) in enumerate(stages, start=1)]


def test_the_impact_of_a_lot_counts_what_became_of_its_devices():
    report = impact_report(ImpactScope.for_lot(DEPARTEMENT, "lot-1"), _lot_devices(), ISSUED_ON)

    assert report.outcomes.model_dump() == {"devices": 10, "reused": 4, "recycled": 2, "in_progress": 4}
    # a reserved device equips nobody yet: people are counted once a device is sold or handed over
    assert {p.category.value: p.count for p in report.people_equipped} == {
        "minimum_social_benefits": 0, "job_seeker": 2, "young_person": 0, "student": 1}
    assert report.people_equipped_total == 4
    assert report.category_not_recorded == 1
    assert report.by_lot == []


def test_the_impact_report_holds_counts_only_never_a_device_or_a_person():
    devices = _lot_devices()
    body = json.dumps(impact_report(ImpactScope.for_lot(DEPARTEMENT, "lot-1"), devices, ISSUED_ON)
                      .model_dump(mode="json"))
    assert not any(d.device_id in body or d.serial_number in body for d in devices)


def test_co2_avoided_is_27_kg_per_reused_device_and_extra_year_citing_ademe_2022():
    scope = ImpactScope.for_lot(DEPARTEMENT, "lot-1")

    default = impact_report(scope, _lot_devices(), ISSUED_ON).carbon
    three_years = impact_report(scope, _lot_devices(), ISSUED_ON, extra_years_of_use=3).carbon
    half_years = impact_report(scope, _lot_devices(), ISSUED_ON, extra_years_of_use=Decimal("1.5")).carbon

    assert default.avoided_kg_co2e == 4 * 27 * 2
    assert three_years.avoided_kg_co2e == 4 * 27 * 3
    assert half_years.avoided_kg_co2e == Decimal("162.0")
    assert default.source == "ADEME 2022"
    assert default.kg_co2e_per_extra_year == 27
    assert default.manufacturing_kg_co2e == 225
    assert "ADEME 2022" in default.method and "27" in default.method


def test_the_number_of_extra_years_must_be_plausible():
    with pytest.raises(ValidationError):
        impact_report(ImpactScope.for_lot(DEPARTEMENT, "lot-1"), _lot_devices(), ISSUED_ON, extra_years_of_use=0)


def test_a_donor_report_covers_all_its_lots_with_one_line_per_lot():
    devices = _lot_devices("lot-1") + [device(1, lot_id="lot-2", stage="sold", beneficiary_category="student")]

    report = impact_report(ImpactScope.for_donor(DEPARTEMENT), devices, ISSUED_ON)

    assert report.outcomes.model_dump() == {"devices": 11, "reused": 5, "recycled": 2, "in_progress": 4}
    assert [(lot_line.lot_id, lot_line.devices, lot_line.reused) for lot_line in report.by_lot] == [
        ("lot-1", 10, 4), ("lot-2", 1, 1)]
    assert report.carbon.avoided_kg_co2e == 5 * 27 * 2
    assert report.scope.model_dump(mode="json") == {
        "kind": "donor", "lot_id": None,
        "donor": {"donor_id": "donor-departement-35", "name": "Département d'Ille-et-Vilaine",
                  "donor_type": "public_body", "territory": "35"}}


def test_a_device_outside_the_scope_is_refused_not_counted():
    with pytest.raises(ValueError, match="outside lot lot-1"):
        impact_report(ImpactScope.for_lot(DEPARTEMENT, "lot-1"), [device(1, lot_id="lot-2")], ISSUED_ON)
    with pytest.raises(ValueError, match="outside donor"):
        impact_report(ImpactScope.for_donor(COMPANY), [device(1)], ISSUED_ON)


def test_the_impact_report_is_the_json_the_api_returns():
    report = impact_report(ImpactScope.for_lot(DEPARTEMENT, "lot-1"), _lot_devices(), ISSUED_ON)
    body = json.loads(json.dumps(report.model_dump(mode="json")))
    assert body["document_type"] == "impact_report"
    assert body["carbon"]["avoided_kg_co2e"] == "216"
    assert ImpactReport.model_validate(body) == report


@pytest.mark.parametrize(("events", "stage"), [
    ([], "received"),
    (["DeviceReceived", "ErasureCertified", "DeviceReady"], "ready"),
    (["DeviceReceived", "DeviceRejected"], "rejected"),
    (["DeviceReceived", "ErasureCertified", "DeviceScrapped"], "scrapped"),
    (["DeviceReceived", "ErasureCertified", "DeviceReady", "DeviceReserved", "ReservationReleased"], "ready"),
    (["DeviceReady", "DeviceReserved", "DeviceSold", "SaleCancelled"], "ready"),
    (["DeviceReady", "DeviceReserved", "DeviceSold"], "sold"),
    (["DeviceReserved", "DeviceSold", "DeviceHandedOver", "WarrantyClaimOpened", "WarrantyRepairCompleted"],
     "handed_over"),
])
def test_a_devices_stage_follows_its_events_in_order(events, stage):
    assert stage_after(events) == stage
