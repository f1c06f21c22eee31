"""Events published by refurb."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import DomainEvent
from shared.events.vocabulary import (
    DeviceSpecs,
    DeviceType,
    ErasureLevel,
    ErasureTechnique,
    FunctionalSummary,
    Grade,
    Provenance,
)


class _RefurbEvent(DomainEvent):
    SOURCE_SERVICE = "refurb"


class DriveErasure(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    drive_serial: str | None = None
    level: ErasureLevel
    technique: ErasureTechnique
    tool: str
    operator: str
    passed: bool
    completed_at: datetime


class ErasureCertified(_RefurbEvent):
    """Every drive of a device was erased (or destroyed) and a certificate was issued."""

    EVENT_TYPE = "ErasureCertified"

    certificate_id: str
    certificate_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    drives: list[DriveErasure] = Field(min_length=1)


class DeviceReady(_RefurbEvent):
    """A device is refurbished, certified and graded: it can be allocated."""

    EVENT_TYPE = "DeviceReady"

    grade: Grade
    device_type: DeviceType
    specs: DeviceSpecs
    provenance: Provenance
    workshop_id: str
    erasure_certificate_id: str
    functional: FunctionalSummary


class DeviceScrapped(_RefurbEvent):
    """A device will not be reused: it goes to recycling (parts may be harvested)."""

    EVENT_TYPE = "DeviceScrapped"

    reason: str = Field(min_length=1)
    recycling_channel: str | None = None
    harvested_parts: list[str] = Field(default=[], description="Parts kept for repairs of other devices")
    at_step: str | None = Field(default=None, description="The refurbishment step that was due when it was scrapped")


class WarrantyRepairCompleted(_RefurbEvent):
    """A device brought back under warranty was repaired: it can go back to its beneficiary.

    Not a DeviceReady: the device already belongs to someone and must not return to the pool."""

    EVENT_TYPE = "WarrantyRepairCompleted"

    claim_ids: list[str] = Field(min_length=1, description="The warranty claims this repair answers")
    workshop_id: str
    parts: list[str] = []
    cost_eur: Decimal = Field(ge=0, decimal_places=2)


class WorkOrderAssigned(_RefurbEvent):
    """A device's work order was given to a workshop (at opening, or by an administrator).

    Intake learns from it which workshop may follow the device's journey."""

    EVENT_TYPE = "WorkOrderAssigned"

    workshop_id: str
