"""Issuing a donor's documents, and a lot's label sheet, from what intake's table holds.

Reads the donor, the lot(s), the devices handed over (received or rejected; a device only
declared is not donated yet) and each device's summary (stage, grade, erasure certificate,
beneficiary category, as the consumer recorded them from the events), then composes the
document with the pure functions of `intake.domain.documents` and `intake.domain.impact`.
Nothing is written: a document is issued again, identical, for as long as nothing changes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from shared.errors import NotFound, RuleViolation

from intake.adapters.repository import IntakeRepository
from intake.domain.devices import Device, DeviceStatus
from intake.domain.documents import (
    DONATED_STATUSES,
    DonatedDevice,
    DonationCertificate,
    ErasureCertificateDocument,
    donation_certificate,
    erasure_certificate_document,
)
from intake.domain.donors import Donor
from intake.domain.impact import ImpactReport, ImpactScope, impact_report
from intake.domain.labels import LabelSheet, label_sheet
from intake.domain.lots import Lot


def donation_certificate_of(repository: IntakeRepository, lot: Lot, issued_on: date) -> DonationCertificate:
    return donation_certificate(_donor(repository, lot.donor_id), lot, _donated(repository, [lot]), issued_on)


def erasure_certificate_of(repository: IntakeRepository, device: Device, issued_on: date) -> ErasureCertificateDocument:
    if device.status not in DONATED_STATUSES:
        raise RuleViolation(f"device {device.device_id} is {device.status.value}, not received yet: "
                            "it has no erasure certificate")
    if device.status is DeviceStatus.REJECTED:
        raise RuleViolation(f"device {device.label_code} was rejected at reception and went to recycling "
                            "without refurbishment: it has no erasure certificate")
    donated = DonatedDevice.of(device, repository.summary(device.device_id))
    return erasure_certificate_document(donated, issued_on=issued_on)


def label_sheet_of(repository: IntakeRepository, lot: Lot, origin: str, part: int, issued_on: date) -> LabelSheet:
    return label_sheet(lot, repository.all_devices_of_lot(lot.lot_id), origin, part=part, issued_on=issued_on)


def lot_impact_report(repository: IntakeRepository, lot: Lot, issued_on: date, extra_years: Decimal) -> ImpactReport:
    donor = _donor(repository, lot.donor_id)
    return impact_report(ImpactScope.for_lot(donor, lot.lot_id), _donated(repository, [lot]), issued_on,
                         extra_years_of_use=extra_years)


def donor_impact_report(repository: IntakeRepository, donor: Donor, issued_on: date,
                        extra_years: Decimal) -> ImpactReport:
    lots = repository.all_lots_of_donor(donor.donor_id)
    return impact_report(ImpactScope.for_donor(donor), _donated(repository, lots), issued_on,
                         extra_years_of_use=extra_years)


def _donor(repository: IntakeRepository, donor_id: str) -> Donor:
    donor = repository.get_donor(donor_id)
    if donor is None:  # a lot is only declared by a registered donor: this is a broken table, not bad input
        raise NotFound(f"no donor {donor_id}")
    return donor


def _donated(repository: IntakeRepository, lots: list[Lot]) -> list[DonatedDevice]:
    devices = [d for lot in lots for d in repository.all_devices_of_lot(lot.lot_id) if d.status in DONATED_STATUSES]
    summaries = repository.summaries([d.device_id for d in devices])
    return [DonatedDevice.of(d, summaries[d.device_id]) for d in devices]
