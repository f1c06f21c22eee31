"""Refurb's consumer: a received device gets a work order."""

from __future__ import annotations

from shared.consumer import EventConsumer
from shared.observability import entry_point
from shared.events import EventEnvelope
from shared.events.intake import DeviceReceived
from shared.observability import logger

from refurb.adapters.repository import RefurbRepository
from refurb.domain.work_orders import WorkOrder

_repository: RefurbRepository | None = None


def open_work_order(event: DeviceReceived, envelope: EventEnvelope) -> None:
    global _repository
    _repository = _repository or RefurbRepository()
    order = WorkOrder(
        device_id=event.device_id,
        device_type=event.device_type,
        specs=event.specs,
        provenance=event.provenance,
        opened_at=envelope.occurred_at,
    )
    if not _repository.open(order):
        logger.info("work order already open", extra={"device_id": event.device_id})


consumer = EventConsumer({DeviceReceived: open_work_order})
handler = entry_point(consumer.lambda_handler)
