"""Events published by refurb."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import DomainEvent
from shared.events.vocabulary import (
    Code,
    Designation,
    DeviceSpecs,
    DeviceType,
    ErasureLevel,
    ErasureTechnique,
    FunctionalSummary,
    Grade,
    Id,
    Provenance,
    RecyclingChannel,
    ScrapReason,
    Sha256,
)


class _RefurbEvent(DomainEvent):
    SOURCE_SERVICE = "refurb"


class DriveErasure(BaseModel):
    """One drive's erasure, as the certificate shows it (its SHA-256 covers these fields)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    drive_serial: Code | None = Field(default=None, description="The drive's serial number, if it has one")
    level: ErasureLevel = Field(description="NIST SP 800-88 level: clear, purge or destroy")
    technique: ErasureTechnique = Field(description="How it was done: overwrite, ata_secure_erase, nvme_sanitize, "
                                                    "nvme_format_ses, cryptographic_erase or physical_destruction")
    tool: Designation = Field(description="The erasure tool and its version, e.g. nvme-cli 2.8")
    operator: Id = Field(description="The workshop's reference for the technician (a badge or staff number), "
                                     "never a name")
    passed: bool = Field(description="Whether the erasure was verified")
    completed_at: datetime = Field(description="When it was completed")


class ErasureCertified(_RefurbEvent):
    """Every drive of a device was erased (or destroyed) and a certificate was issued."""

    EVENT_TYPE = "ErasureCertified"

    certificate_id: Id
    certificate_sha256: Sha256
    drives: list[DriveErasure] = Field(min_length=1)


class DeviceReady(_RefurbEvent):
    """A device is refurbished, certified and graded: it can be allocated."""

    EVENT_TYPE = "DeviceReady"

    grade: Grade
    device_type: DeviceType
    specs: DeviceSpecs
    provenance: Provenance
    workshop_id: Id
    erasure_certificate_id: Id
    functional: FunctionalSummary


class DeviceScrapped(_RefurbEvent):
    """A device will not be reused: it goes to recycling (parts may be harvested).

    The workshop's own words about it (a note) stay in refurb."""

    EVENT_TYPE = "DeviceScrapped"

    reason: ScrapReason
    recycling_channel: RecyclingChannel | None = None
    harvested_parts: list[Designation] = Field(default=[], max_length=50,
                                               description="Parts kept for repairs of other devices")
    at_step: Code | None = Field(default=None, description="The refurbishment step that was due when it was scrapped")


class WarrantyRepairCompleted(_RefurbEvent):
    """A device brought back under warranty was repaired: it can go back to its beneficiary.

    Not a DeviceReady: the device already belongs to someone and must not return to the pool."""

    EVENT_TYPE = "WarrantyRepairCompleted"

    claim_ids: list[Id] = Field(min_length=1, description="The warranty claims this repair answers")
    workshop_id: Id
    parts: list[Designation] = Field(default=[], max_length=50)
    cost_eur: Decimal = Field(ge=0, decimal_places=2)


class WorkOrderAssigned(_RefurbEvent):
    """A device's work order was given to a workshop (at opening, or by an administrator).

    Intake learns from it which workshop may follow the device's journey."""

    EVENT_TYPE = "WorkOrderAssigned"

    workshop_id: Id
