"""Allocation's consumer: ready devices join the pool and are matched; sold ones leave it."""

from __future__ import annotations

from shared.consumer import EventConsumer
from shared.observability import entry_point
from shared.events import EventEnvelope
from shared.events.refurb import DeviceReady
from shared.events.sales import DeviceSold

from allocation import reservations
from allocation.adapters.repository import AllocationRepository
from allocation.domain.matching import AvailableDevice

_repository: AllocationRepository | None = None


def repository() -> AllocationRepository:
    global _repository
    if _repository is None:
        _repository = AllocationRepository()
    return _repository


def on_device_ready(event: DeviceReady, envelope: EventEnvelope) -> None:
    repository().add_device(AvailableDevice(
        device_id=event.device_id,
        grade=event.grade,
        device_type=event.device_type,
        specs=event.specs,
        provenance=event.provenance,
        ready_at=envelope.occurred_at,
    ))
    reservations.match_device(repository(), event.device_id, cause=envelope)


def on_device_sold(event: DeviceSold, envelope: EventEnvelope) -> None:
    reservations.fulfil(repository(), event.device_id, event.reservation_id)


consumer = EventConsumer({DeviceReady: on_device_ready, DeviceSold: on_device_sold})
handler = entry_point(consumer.lambda_handler)
