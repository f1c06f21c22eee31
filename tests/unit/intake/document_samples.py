"""Donors, lots and devices as intake knows them, for the donor documents' tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from intake.domain.documents import DonatedDevice
from intake.domain.donors import Donor, LegalBasis
from intake.domain.lots import Lot
from shared.events.certificates import certificate_id, certificate_sha256
from shared.events.refurb import DriveErasure, ErasureCertified

ISSUED_ON = date(2026, 11, 28)
ERASED_AT = datetime(2026, 11, 3, 9, 15, tzinfo=timezone.utc)
REGISTERED_AT = datetime(2026, 3, 12, 10, 0, tzinfo=timezone.utc)

CONVENTION = LegalBasis(convention_ref="CD35-2026-014", signed_on=date(2026, 1, 5))
DEPARTEMENT = Donor(donor_id="donor-departement-35", name="Département d'Ille-et-Vilaine", donor_type="public_body",
                    territory="35", legal_basis=CONVENTION, registered_at=REGISTERED_AT)
COLLEGE = Donor(donor_id="donor-college-zola", name="Collège Émile-Zola", donor_type="school", territory="35",
                legal_basis=LegalBasis(convention_ref="CD35-2026-015", signed_on=date(2026, 2, 1)),
                registered_at=REGISTERED_AT)
COMPANY = Donor(donor_id="donor-acme", name="Acme SAS", donor_type="company", territory="35",
                registered_at=REGISTERED_AT)


def lot(donor: Donor = DEPARTEMENT, lot_id: str = "lot-1") -> Lot:
    return Lot(lot_id=lot_id, donor_id=donor.donor_id, provenance=donor.provenance, expected_count=12,
               declared_at=datetime(2026, 11, 2, tzinfo=timezone.utc), pickup_site="Hôtel du Département, Rennes",
               pickup_date=date(2026, 11, 3))


def drives(*serials: str) -> list[DriveErasure]:
    return [
        DriveErasure(drive_serial=serial, level="purge", technique="nvme_sanitize", tool="nvme-cli 2.8",
                     operator=f"tech-0{n}", passed=True, completed_at=ERASED_AT + timedelta(minutes=20 * n))
        for n, serial in enumerate(serials or ("NV-001",), start=1)
    ]


def certificate(device_id: str, *drive_serials: str) -> ErasureCertified:
    """A certificate as refurb issues it (its ErasureCertified event): its SHA-256 matches its content."""
    erased = drives(*drive_serials)
    digest = certificate_sha256(device_id, erased)
    return ErasureCertified(device_id=device_id, certificate_id=certificate_id(device_id, digest),
                            certificate_sha256=digest, drives=erased)


def device(n: int, donor: Donor = DEPARTEMENT, lot_id: str = "lot-1", **overrides: Any) -> DonatedDevice:
    fields: dict[str, Any] = dict(
        device_id=f"dev-{lot_id}-{n:04d}", lot_id=lot_id, donor_id=donor.donor_id, label_code=f"SV-{n:04d}-QX9T",
        serial_number=f"5CG{n:07d}", make="HP", model="EliteBook 840 G5", device_type="laptop",
        asset_tag=f"CD35-2019-{n:04d}", declared_value_eur=Decimal("120.00"),
    )
    return DonatedDevice(**(fields | overrides))
