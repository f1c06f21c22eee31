"""Documents a donor receives: the donation certificate of a lot and each device's erasure certificate.

Pure composition from intake's own records: the donor (`intake.domain.donors.Donor`), the lot
(`Lot`) and each device it handed over (`Device`) with the summary intake keeps of what the
other services announced about it (`DeviceSummary`), joined as a `DonatedDevice`. Every
document is a pydantic model the API returns as JSON and `intake.adapters.pdf` renders to PDF;
it carries a document id, an issue date and its issuer. The id is derived from the content: issuing the
same document twice gives the same id, and any change to what it certifies gives a new one.

The impact report lives in `intake.domain.impact`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import RuleViolation
from shared.events.certificates import certificate_sha256
from shared.events.refurb import DriveErasure, ErasureCertified
from shared.events.vocabulary import BeneficiaryCategory, DeviceType, DonorType, Grade

from intake.domain.devices import Device, DeviceStatus
from intake.domain.donors import PUBLIC_DONATION_VALUE_CAP_EUR, PUBLIC_DONOR_TYPES, Donor, LegalBasis
from intake.domain.lots import Lot
from intake.domain.passport import ERASURE_STANDARD, DeviceStage, DeviceSummary

DEFAULT_ISSUER_NAME = "Seconde Vie"
# Devices a donor has handed over: a declared device is not in anyone's hands yet.
DONATED_STATUSES = frozenset({DeviceStatus.RECEIVED, DeviceStatus.REJECTED})


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- what intake knows of a donated device (input) --------------------------------------------

class DonatedDevice(FrozenModel):
    """A device as the documents see it: intake's record of it, and what the events told intake."""

    device_id: str = Field(min_length=1)
    lot_id: str = Field(min_length=1)
    donor_id: str = Field(min_length=1)
    label_code: str
    serial_number: str
    make: str
    model: str
    device_type: DeviceType
    asset_tag: str | None = None
    declared_value_eur: Decimal | None = Field(default=None, ge=0, decimal_places=2)
    stage: DeviceStage = DeviceStage.RECEIVED
    grade: Grade | None = None
    # Only ever counted in impact reports: never printed next to a device.
    beneficiary_category: BeneficiaryCategory | None = None
    erasure_certificate: ErasureCertified | None = None

    @classmethod
    def of(cls, device: Device, summary: DeviceSummary) -> DonatedDevice:
        """`device` must have been handed over (received or rejected: it has a label)."""
        if device.status not in DONATED_STATUSES or device.label_code is None:
            raise ValueError(f"device {device.device_id} is {device.status.value}: it was not handed over yet")
        return cls(
            device_id=device.device_id, lot_id=device.lot_id, donor_id=device.donor_id,
            label_code=device.label_code, serial_number=device.serial_number, make=device.make,
            model=device.model, device_type=device.device_type, asset_tag=device.asset_tag,
            declared_value_eur=device.declared_value_eur, stage=summary.stage_of(device.status.value),
            grade=summary.grade, beneficiary_category=summary.beneficiary_category,
            erasure_certificate=summary.erasure_certificate,
        )


# --- what every document carries --------------------------------------------------------------

class Issuer(FrozenModel):
    """The association that issues the documents."""

    name: str = Field(default=DEFAULT_ISSUER_NAME, min_length=1, max_length=200,
                      description="The association's name")


DEFAULT_ISSUER = Issuer()


class DonorSummary(FrozenModel):
    donor_id: str = Field(description="The donor partner's id")
    name: str = Field(description="The donor's name")
    donor_type: DonorType = Field(description="public_body, school or company")
    territory: str = Field(description="The donor's département, e.g. 35")

    @classmethod
    def of(cls, donor: Donor) -> DonorSummary:
        return cls(donor_id=donor.donor_id, name=donor.name, donor_type=donor.donor_type, territory=donor.territory)


class Document(FrozenModel):
    document_type: str = Field(description="What the document is")
    document_id: str = Field(description="Derived from the content: the same document issued twice has the same "
                                         "id, any change to what it says gives a new one")
    issued_on: date = Field(description="The day it was issued (UTC)")
    issuer: Issuer = Field(description="Who issues it")


def with_content_id(document: Document) -> Document:
    """The document with an id derived from everything else it says."""
    content = document.model_dump(mode="json", exclude={"document_id"})
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    document_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"seconde-vie:{document.document_type}:{digest}"))
    return document.model_copy(update={"document_id": document_id})


# --- donation certificate ---------------------------------------------------------------------

class DonatedDeviceLine(FrozenModel):
    device_id: str = Field(description="The device's id")
    label_code: str = Field(description="The code on its label")
    serial_number: str = Field(description="The maker's serial number")
    make: str = Field(description="The maker")
    model: str = Field(description="The maker's model name")
    device_type: DeviceType = Field(description="laptop, desktop, tablet or phone")
    asset_tag: str | None = Field(description="The donor's inventory number, if any")
    declared_value_eur: Decimal | None = Field(description="The value the donor declares, in euros; null: not "
                                                           "declared")


class DonationCertificate(Document):
    """Attests that a donor gave a lot's devices to the association (the donor's asset write-off)."""

    document_type: Literal["donation_certificate"] = Field(default="donation_certificate", description="donation_certificate")
    donor: DonorSummary = Field(description="Who gave")
    legal_basis: LegalBasis | None = Field(description="The convention a public donor gives under; null for a company")
    lot_id: str = Field(description="The lot the devices were given in")
    declared_at: datetime = Field(description="When the donor declared the lot")
    pickup_site: str = Field(description="Where the devices were collected")
    pickup_date: date | None = Field(description="The day agreed for the collection, if any")
    devices: list[DonatedDeviceLine] = Field(description="Every device handed over (received or rejected)")
    device_count: int = Field(description="How many devices are listed")
    total_declared_value_eur: Decimal = Field(description="The sum of the declared values, in euros")
    value_cap_eur: Decimal | None = Field(description="The per-device cap that applied (public donors only)")


def donation_certificate(
    donor: Donor,
    lot: Lot,
    devices: list[DonatedDevice],
    issued_on: date,
    *,
    issuer: Issuer = DEFAULT_ISSUER,
    public_value_cap_eur: Decimal = PUBLIC_DONATION_VALUE_CAP_EUR,
) -> DonationCertificate:
    """The certificate of every device received against `lot`, whatever became of it since.

    Refused (RuleViolation) when a public body or school has no legal basis recorded, or
    declares a device above the cap: such a certificate would attest an unlawful gift.
    """
    if lot.donor_id != donor.donor_id:
        raise ValueError(f"lot {lot.lot_id} belongs to {lot.donor_id}, not to {donor.donor_id}")
    strangers = [d.device_id for d in devices if d.lot_id != lot.lot_id or d.donor_id != donor.donor_id]
    if strangers:
        raise ValueError(f"devices not received against lot {lot.lot_id}: {', '.join(strangers)}")
    _require_distinct(devices)
    if not devices:
        raise RuleViolation(f"lot {lot.lot_id} has no device received yet: there is nothing to certify")

    is_public = donor.donor_type in PUBLIC_DONOR_TYPES
    if is_public:
        if donor.legal_basis is None:
            raise RuleViolation(
                f"donor {donor.donor_id} is a {donor.donor_type.value}: a donation certificate needs the convention "
                "it gives under (legal_basis)"
            )
        over = [d for d in devices if d.declared_value_eur is not None and d.declared_value_eur > public_value_cap_eur]
        if over:
            named = ", ".join(
                f"{d.label_code} (serial {d.serial_number}): {d.declared_value_eur} €" for d in over
            )
            raise RuleViolation(
                f"a {donor.donor_type.value} may give devices worth at most {public_value_cap_eur} € each; "
                f"declared above: {named}"
            )

    lines = [
        DonatedDeviceLine(
            device_id=d.device_id, label_code=d.label_code, serial_number=d.serial_number, make=d.make,
            model=d.model, device_type=d.device_type, asset_tag=d.asset_tag, declared_value_eur=d.declared_value_eur,
        )
        for d in sorted(devices, key=lambda d: d.label_code)
    ]
    certificate = DonationCertificate(
        document_id="",
        issued_on=issued_on,
        issuer=issuer,
        donor=DonorSummary.of(donor),
        legal_basis=donor.legal_basis,
        lot_id=lot.lot_id,
        declared_at=lot.declared_at,
        pickup_site=lot.pickup_site,
        pickup_date=lot.pickup_date,
        devices=lines,
        device_count=len(lines),
        total_declared_value_eur=sum((d.declared_value_eur or Decimal("0") for d in devices), Decimal("0.00")),
        value_cap_eur=public_value_cap_eur if is_public else None,
    )
    return with_content_id(certificate)


def _require_distinct(devices: list[DonatedDevice]) -> None:
    twice = sorted(device_id for device_id, n in Counter(d.device_id for d in devices).items() if n > 1)
    if twice:
        raise ValueError(f"devices given more than once: {', '.join(twice)}")


# --- erasure certificate ----------------------------------------------------------------------

class CertifiedDevice(FrozenModel):
    device_id: str = Field(description="The device's id")
    lot_id: str = Field(description="The lot it was given in")
    label_code: str = Field(description="The code on its label")
    serial_number: str = Field(description="The maker's serial number")
    make: str = Field(description="The maker")
    model: str = Field(description="The maker's model name")
    device_type: DeviceType = Field(description="laptop, desktop, tablet or phone")
    asset_tag: str | None = Field(description="The donor's inventory number, if any")


class ErasureCertificateDocument(Document):
    """Refurb's erasure certificate of one device, relayed to its donor as issued."""

    document_type: Literal["erasure_certificate"] = Field(default="erasure_certificate", description="erasure_certificate")
    device: CertifiedDevice = Field(description="The device erased")
    certificate_id: str = Field(description="The certificate's id, as the workshop issued it")
    certificate_sha256: str = Field(description="SHA-256 of the canonical {device_id, drives} JSON: the donor's "
                                                "check that no line was changed")
    standard: str = Field(default=ERASURE_STANDARD, description="The standard the erasure followed")
    drives: list[DriveErasure] = Field(description="Each drive's erasure")
    completed_at: datetime = Field(description="When the last drive was erased")


def erasure_certificate_document(
    device: DonatedDevice,
    certificate: ErasureCertified | None = None,
    *,
    issued_on: date,
    issuer: Issuer = DEFAULT_ISSUER,
) -> ErasureCertificateDocument:
    """The device's erasure certificate (`certificate`, or the one recorded on the device).

    Refused when there is none yet, and when its SHA-256 does not match its content: a
    donor must never be handed a certificate that would fail their own verification.
    """
    certificate = certificate or device.erasure_certificate
    if certificate is None:
        raise RuleViolation(f"device {device.label_code} has no erasure certificate yet: the workshop issues it "
                            "once every drive is erased or destroyed")
    if certificate.device_id != device.device_id:
        raise ValueError(f"certificate {certificate.certificate_id} is about {certificate.device_id}, "
                         f"not {device.device_id}")
    if certificate_sha256(certificate.device_id, certificate.drives) != certificate.certificate_sha256:
        raise RuleViolation(
            f"erasure certificate {certificate.certificate_id} of device {device.label_code} does not match its "
            "SHA-256: it cannot be relayed, refurb must issue it again"
        )
    document = ErasureCertificateDocument(
        document_id="",
        issued_on=issued_on,
        issuer=issuer,
        device=CertifiedDevice(
            device_id=device.device_id, lot_id=device.lot_id, label_code=device.label_code,
            serial_number=device.serial_number, make=device.make, model=device.model,
            device_type=device.device_type, asset_tag=device.asset_tag,
        ),
        certificate_id=certificate.certificate_id,
        certificate_sha256=certificate.certificate_sha256,
        drives=certificate.drives,
        completed_at=max(d.completed_at for d in certificate.drives),
    )
    return with_content_id(document)


def verify_erasure_certificate(document: ErasureCertificateDocument | Mapping[str, Any]) -> bool:
    """Whether the drives and device listed are exactly what refurb certified (and hashed).

    Takes the document or its JSON as the donor received it.
    """
    document = ErasureCertificateDocument.model_validate(document)
    return certificate_sha256(document.device.device_id, document.drives) == document.certificate_sha256
