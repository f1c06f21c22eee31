"""Events published by refurb."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import DomainEvent
from shared.events.vocabulary import DeviceSpecs, DeviceType, ErasureLevel, ErasureTechnique, Grade, Provenance


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


class DeviceScrapped(_RefurbEvent):
    """A device will not be reused: it goes to recycling (parts may be harvested)."""

    EVENT_TYPE = "DeviceScrapped"

    reason: str = Field(min_length=1)
    recycling_channel: str | None = None
