"""Events published by intake."""

from __future__ import annotations

from shared.events.envelope import DomainEvent
from shared.events.vocabulary import Code, Designation, DeviceSpecs, DeviceType, Id, Provenance, RejectionReason


class _IntakeEvent(DomainEvent):
    SOURCE_SERVICE = "intake"


class DeviceReceived(_IntakeEvent):
    """A device was received at the warehouse against a donation lot.

    What the warehouse wrote about its condition stays in intake (free text)."""

    EVENT_TYPE = "DeviceReceived"

    lot_id: Id
    donor_id: Id
    provenance: Provenance
    label_code: Code
    serial_number: Code
    make: Designation
    model: Designation
    device_type: DeviceType
    asset_tag: Code | None = None
    specs: DeviceSpecs


class DeviceRejected(_IntakeEvent):
    """A device was judged not worth refurbishing at reception and goes to recycling.

    The warehouse's own words about it (a note) stay in intake."""

    EVENT_TYPE = "DeviceRejected"

    lot_id: Id
    reason: RejectionReason
