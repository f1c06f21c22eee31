"""Intake's consumer: every device event of every service goes into the device's timeline."""

from __future__ import annotations

from shared.consumer import EventConsumer
from shared.observability import entry_point
from shared.events import DomainEvent, EventEnvelope, all_contracts

from intake.adapters.repository import IntakeRepository

_repository: IntakeRepository | None = None


def record_in_timeline(event: DomainEvent, envelope: EventEnvelope) -> None:
    global _repository
    _repository = _repository or IntakeRepository()
    _repository.record_in_timeline(envelope)


consumer = EventConsumer({contract: record_in_timeline for contract in all_contracts()})
handler = entry_point(consumer.lambda_handler)
