"""Registering devices: declared by a donor, received or rejected at the warehouse.

One set of functions for the partner API and for the import worker, so that a device
imported from a file is registered exactly like one received at the counter: the same
uniqueness guards on serial + make and on the label, and the same event in the same write.
"""

from __future__ import annotations

from shared.errors import NotFound, RuleViolation
from shared.events import EventEnvelope
from shared.events.intake import DeviceReceived, DeviceRejected
from shared.outbox import ConcurrencyConflict

from intake.adapters.repository import IntakeRepository
from intake.domain.devices import (
    DeclaredDevice,
    Device,
    DeviceDeclaration,
    DeviceStatus,
    ImportOrigin,
    Reception,
    Rejection,
    RejectionAtReception,
    new_id,
    new_label_code,
    now,
    require_declared_value_allowed,
)
from intake.domain.lots import Lot

# A fresh label is drawn when one collides (1 in 10^12 per label): a few attempts are plenty.
LABEL_ATTEMPTS = 3


class AlreadyRegistered(RuleViolation):
    """The serial + make is held by another device; `owner` is that device's id."""

    def __init__(self, message: str, owner: str):
        super().__init__(message)
        self.owner = owner


def receive_new(repository: IntakeRepository, lot: Lot, declaration: DeviceDeclaration, *,
                device_id: str | None = None, imported_from: ImportOrigin | None = None,
                correlation_id: str | None = None) -> Device:
    """A device arrives without having been declared: registered as received, DeviceReceived."""
    lot.require_open()
    require_declared_value_allowed(declaration.declared_value_eur, lot.provenance.donor_type)
    at = now()
    device = Device(
        device_id=device_id or new_id(), lot_id=lot.lot_id, donor_id=lot.donor_id, territory=lot.provenance.territory,
        status=DeviceStatus.RECEIVED,
        **declaration.model_dump(), registered_at=at, received_at=at, imported_from=imported_from,
    )
    return _register(repository, device, lambda d: received_event(d, lot, correlation_id))


def declare(repository: IntakeRepository, lot: Lot, declared: DeclaredDevice, *, device_id: str | None = None,
            imported_from: ImportOrigin | None = None) -> Device:
    """A donor announces a device: it holds its serial, but nothing is published until it arrives."""
    lot.require_open()
    require_declared_value_allowed(declared.declared_value_eur, lot.provenance.donor_type)
    at = now()
    device = Device(
        device_id=device_id or new_id(), lot_id=lot.lot_id, donor_id=lot.donor_id, territory=lot.provenance.territory,
        status=DeviceStatus.DECLARED,
        **declared.model_dump(), registered_at=at, declared_at=at, imported_from=imported_from,
    )
    return _register(repository, device, lambda d: None)


def reject_new(repository: IntakeRepository, lot: Lot, rejection: RejectionAtReception, *,
               correlation_id: str | None = None) -> Device:
    """A device arrives that is not worth refurbishing: registered as rejected, DeviceRejected."""
    lot.require_open()
    require_declared_value_allowed(rejection.declared_value_eur, lot.provenance.donor_type)
    at = now()
    fields = rejection.model_dump(exclude={"reason", "note"})
    device = Device(
        device_id=new_id(), lot_id=lot.lot_id, donor_id=lot.donor_id, territory=lot.provenance.territory,
        status=DeviceStatus.REJECTED,
        **fields, registered_at=at, rejected_at=at, rejection_reason=rejection.reason, rejection_note=rejection.note,
    )
    return _register(repository, device, lambda d: rejected_event(d, correlation_id))


def receive_declared(repository: IntakeRepository, device_id: str, reception: Reception, *,
                     correlation_id: str | None = None, imported_from: ImportOrigin | None = None) -> Device:
    """A declared device arrives: it gets its label and specs, DeviceReceived."""
    device, lot = _declared_device_and_lot(repository, device_id)
    require_declared_value_allowed(reception.declared_value_eur, lot.provenance.donor_type)
    for _ in range(LABEL_ATTEMPTS):
        device.receive(reception, new_label_code(), now())
        device.received_in_import = imported_from
        if _saved(repository, device, received_event(device, lot, correlation_id)):
            return device
        device, lot = _declared_device_and_lot(repository, device_id)
    raise ConcurrencyConflict(f"no free label code for device {device_id} after {LABEL_ATTEMPTS} attempts")


def reject_declared(repository: IntakeRepository, device_id: str, rejection: Rejection, *,
                    correlation_id: str | None = None) -> Device:
    """A declared device arrives and goes straight to recycling: DeviceRejected."""
    device, _ = _declared_device_and_lot(repository, device_id)
    for _ in range(LABEL_ATTEMPTS):
        device.reject(rejection, new_label_code(), now())
        if _saved(repository, device, rejected_event(device, correlation_id)):
            return device
        device, _ = _declared_device_and_lot(repository, device_id)
    raise ConcurrencyConflict(f"no free label code for device {device_id} after {LABEL_ATTEMPTS} attempts")


def received_event(device: Device, lot: Lot, correlation_id: str | None) -> EventEnvelope:
    return DeviceReceived(
        device_id=device.device_id, lot_id=lot.lot_id, donor_id=lot.donor_id, provenance=lot.provenance,
        label_code=device.label_code, serial_number=device.serial_number, make=device.make, model=device.model,
        device_type=device.device_type, asset_tag=device.asset_tag, specs=device.specs,
    ).to_envelope(occurred_at=device.received_at, correlation_id=correlation_id)


def rejected_event(device: Device, correlation_id: str | None) -> EventEnvelope:
    return DeviceRejected(device_id=device.device_id, lot_id=device.lot_id, reason=device.rejection_reason) \
        .to_envelope(occurred_at=device.rejected_at, correlation_id=correlation_id)


def _register(repository: IntakeRepository, device: Device, event_for) -> Device:
    for _ in range(LABEL_ATTEMPTS):
        if device.status is not DeviceStatus.DECLARED:
            device.label_code = new_label_code()
        try:
            repository.register_device(device, event_for(device))
            return device
        except ConcurrencyConflict:
            # Which guard refused? The serial is the one people can do something about.
            owner = repository.serial_owner(device.natural_key)
            if owner is not None:
                raise AlreadyRegistered(
                    f"serial {device.serial_number} ({device.make}) is already registered", owner["device_id"],
                ) from None
            if not (device.label_code and repository.label_taken(device.label_code)):
                raise
    raise ConcurrencyConflict(f"no free label code after {LABEL_ATTEMPTS} attempts")


def _saved(repository: IntakeRepository, device: Device, event: EventEnvelope) -> bool:
    """False if only the label collided (draw another); any other conflict is raised."""
    try:
        repository.save_device(device, new_label=True, event=event)
        return True
    except ConcurrencyConflict:
        if repository.label_taken(device.label_code) and _unchanged(repository, device):
            return False
        raise


def _unchanged(repository: IntakeRepository, device: Device) -> bool:
    stored = repository.get_device(device.device_id)
    return stored is not None and stored.version == device.version


def _declared_device_and_lot(repository: IntakeRepository, device_id: str) -> tuple[Device, Lot]:
    device = repository.get_device(device_id)
    if device is None:
        raise NotFound(f"no device {device_id}")
    lot = repository.get_lot(device.lot_id)
    if lot is None:  # a device always belongs to a lot; this is a broken table, not bad input
        raise NotFound(f"no lot {device.lot_id} for device {device_id}")
    lot.require_open()
    return device, lot
