"""One realistic example of every event contract (a new contract needs one here)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from shared.events.allocation import BeneficiaryErased, DeviceReserved, ReservationReleased
from shared.events.intake import DeviceReceived, DeviceRejected
from shared.events.refurb import (
    DeviceReady,
    DeviceScrapped,
    DriveErasure,
    ErasureCertified,
    WarrantyRepairCompleted,
    WorkOrderAssigned,
)
from shared.events.sales import DeviceHandedOver, DeviceSold, SaleCancelled, WarrantyClaimOpened
from shared.events.vocabulary import DeviceSpecs, Drive, FunctionalSummary, Provenance

DEVICE = "0b7f4a52-2f8e-4d0e-9d57-6f1c1b0a9e11"
SPECS = DeviceSpecs(cpu_model="i5-8350U", cpu_score=5400, ram_gb=8, drives=[Drive(kind="ssd", size_gb=256)])
PROVENANCE = Provenance(donor_type="public_body", territory="35")
AT = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)

EXAMPLES = [
    DeviceReceived(device_id=DEVICE, lot_id="lot-1", donor_id="donor-departement-35", provenance=PROVENANCE,
                   label_code="SV-7K2M-Q9TX", serial_number="5CG8123XYZ", make="HP", model="EliteBook 840 G5",
                   device_type="laptop", asset_tag="CD35-2019-0412", specs=SPECS),
    DeviceRejected(device_id=DEVICE, lot_id="lot-1", reason="liquid_damage"),
    ErasureCertified(device_id=DEVICE, certificate_id="c5a1", certificate_sha256="a" * 64, drives=[DriveErasure(
        level="purge", technique="nvme_sanitize", tool="nvme-cli 2.8", operator="tech-07", passed=True,
        completed_at=AT)]),
    DeviceReady(device_id=DEVICE, grade="A", device_type="laptop", specs=SPECS, provenance=PROVENANCE,
                workshop_id="workshop-rennes", erasure_certificate_id="c5a1",
                functional=FunctionalSummary(battery_health_pct=81, webcam=True, keyboard_layout="fr-azerty")),
    DeviceScrapped(device_id=DEVICE, reason="beyond_economic_repair", recycling_channel="ecosystem",
                   harvested_parts=["RAM 8 GB DDR4", "charger 65 W"], at_step="diagnosis"),
    WarrantyRepairCompleted(device_id=DEVICE, claim_ids=["w-1"], workshop_id="workshop-rennes",
                            parts=["keyboard fr-azerty"], cost_eur=Decimal("18.50")),
    WorkOrderAssigned(device_id=DEVICE, workshop_id="workshop-rennes"),
    DeviceReserved(device_id=DEVICE, reservation_id="r-1", referral_id="ref-1", beneficiary_category="student",
                   grade="A", device_type="laptop", expires_at=AT, territory="35"),
    ReservationReleased(device_id=DEVICE, reservation_id="r-1", referral_id="ref-1", reason="expired"),
    BeneficiaryErased(device_id=DEVICE, reservation_id="r-1", referral_id="ref-1"),
    DeviceSold(device_id=DEVICE, sale_id="s-1", reservation_id="r-1", point_of_sale_id="pos-1",
               receipt_number="pos-1-2026-000001", price_eur=Decimal("105.00")),
    SaleCancelled(device_id=DEVICE, sale_id="s-1", reservation_id="r-1", refund_eur=Decimal("105.00")),
    DeviceHandedOver(device_id=DEVICE, sale_id="s-1", point_of_sale_id="pos-1"),
    WarrantyClaimOpened(device_id=DEVICE, claim_id="w-1", claim_reference="pos-1-2026-000001-W1", sale_id="s-1",
                        fault_category="keyboard"),
]
