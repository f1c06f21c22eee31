"""Sales' consumer: what allocation reserved can be quoted and sold."""

from __future__ import annotations

from shared.consumer import EventConsumer
from shared.observability import entry_point
from shared.events import EventEnvelope
from shared.events.allocation import DeviceReserved

from sales.adapters.repository import SalesRepository

_repository: SalesRepository | None = None


def on_device_reserved(event: DeviceReserved, envelope: EventEnvelope) -> None:
    global _repository
    _repository = _repository or SalesRepository()
    _repository.add_reservation({
        "device_id": event.device_id,
        "reservation_id": event.reservation_id,
        "referral_id": event.referral_id,
        "beneficiary_category": event.beneficiary_category.value,
        "grade": event.grade.value,
        "device_type": event.device_type.value,
        "expires_at": event.expires_at.isoformat(),
        "status": "reserved",
        "reserved_at": envelope.occurred_at.isoformat(),
    })


consumer = EventConsumer({DeviceReserved: on_device_reserved})
handler = entry_point(consumer.lambda_handler)
