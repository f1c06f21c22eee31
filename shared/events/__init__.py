"""Event contracts: the envelope, one model per event type, and their JSON Schemas."""

from shared.events import allocation, intake, refurb, sales  # noqa: F401  (registers the contracts)
from shared.events.envelope import (
    DomainEvent,
    EventEnvelope,
    UnknownEventType,
    all_contracts,
    contract_for,
    open_envelope,
)

__all__ = [
    "DomainEvent",
    "EventEnvelope",
    "UnknownEventType",
    "all_contracts",
    "contract_for",
    "open_envelope",
]
