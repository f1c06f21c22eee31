"""Events published by intake."""

from __future__ import annotations

from pydantic import Field

from shared.events.envelope import DomainEvent
from shared.events.vocabulary import DeviceSpecs, DeviceType, Provenance


class _IntakeEvent(DomainEvent):
    SOURCE_SERVICE = "intake"


class DeviceReceived(_IntakeEvent):
    """A device was received at the warehouse against a donation lot."""

    EVENT_TYPE = "DeviceReceived"

    lot_id: str
    donor_id: str
    provenance: Provenance
    label_code: str
    serial_number: str
    make: str
    model: str
    device_type: DeviceType
    asset_tag: str | None = None
    specs: DeviceSpecs
    visible_condition: str | None = None


class DeviceRejected(_IntakeEvent):
    """A device was judged not worth refurbishing at reception and goes to recycling."""

    EVENT_TYPE = "DeviceRejected"

    lot_id: str
    reason: str = Field(min_length=1)
