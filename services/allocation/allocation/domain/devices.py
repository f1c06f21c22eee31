"""Allocation's projection of a ready device: what matching needs to know of it, from DeviceReady."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from shared.events.vocabulary import DeviceSpecs, DeviceType, Grade, Provenance

from allocation.domain.needs import FunctionalFacts


class DeviceStatus(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    SOLD = "sold"


class AvailableDevice(BaseModel):
    device_id: str
    grade: Grade
    device_type: DeviceType
    specs: DeviceSpecs
    provenance: Provenance
    ready_at: datetime
    functional: FunctionalFacts | None = None
    """None until refurb announces functional test results: then no webcam, battery or
    keyboard requirement is met by this device."""
    status: DeviceStatus = DeviceStatus.AVAILABLE
    reservation_id: str | None = None
    version: int = 0

    def reserved_for(self, reservation_id: str) -> AvailableDevice:
        """A copy reserved (same version: the repository's conditional write checks it)."""
        return self.model_copy(update={"status": DeviceStatus.RESERVED, "reservation_id": reservation_id})

    def back_in_pool(self) -> AvailableDevice:
        return self.model_copy(update={"status": DeviceStatus.AVAILABLE, "reservation_id": None})

    def sold(self) -> AvailableDevice:
        return self.model_copy(update={"status": DeviceStatus.SOLD})
