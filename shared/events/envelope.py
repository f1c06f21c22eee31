"""The envelope every domain event travels in, and the registry of event types.

An event is a pydantic model (a subclass of `DomainEvent`) naming its type, schema version
and producing service. It travels on the bus inside an `EventEnvelope`, the EventBridge
`detail`. Both are validated when an event is created (publish side) and when it is read
(consume side), so a producer and a consumer cannot silently disagree.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events.vocabulary import Code, Id, TextKind

EVENT_SOURCE_PREFIX = "seconde-vie."


class UnknownEventType(ValueError):
    """An envelope names an event type (or version) that no contract describes."""


class EventEnvelope(BaseModel):
    """What goes on the bus as the EventBridge `detail`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: Id = Field(description="Unique id of this event; consumers are idempotent on it.")
    event_type: Code = Field(description="The event's name, in the past tense, e.g. DeviceReceived.")
    schema_version: int = Field(ge=1)
    occurred_at: datetime = Field(description="When the state change happened (UTC).")
    source: Annotated[str, TextKind("code")] = Field(max_length=64, pattern=r"^seconde-vie\.[a-z]+$",
                                                      description="seconde-vie.<service>")
    subject: Id = Field(description="The device id the event is about.")
    correlation_id: Id = Field(description="Id shared by every event of one business flow.")
    causation_id: Id | None = Field(default=None, description="Id of the event or request that caused this one.")
    payload: dict[str, Any] = Field(description="The event itself, validated against its contract (`open_envelope`).")


class DomainEvent(BaseModel):
    """Base of every event contract. Subclasses register themselves by type and version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    EVENT_TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1
    SOURCE_SERVICE: ClassVar[str]

    device_id: Id = Field(description="The device the event is about (the envelope's subject).")

    _registry: ClassVar[dict[tuple[str, int], type[DomainEvent]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "EVENT_TYPE" in cls.__dict__:
            key = (cls.EVENT_TYPE, cls.SCHEMA_VERSION)
            if key in DomainEvent._registry:
                raise TypeError(f"event contract {key} is defined twice")
            DomainEvent._registry[key] = cls

    @classmethod
    def source(cls) -> str:
        return EVENT_SOURCE_PREFIX + cls.SOURCE_SERVICE

    def to_envelope(
        self,
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> EventEnvelope:
        event_id = str(uuid.uuid4())
        return EventEnvelope(
            event_id=event_id,
            event_type=self.EVENT_TYPE,
            schema_version=self.SCHEMA_VERSION,
            occurred_at=occurred_at or datetime.now(timezone.utc),
            source=self.source(),
            subject=self.device_id,
            correlation_id=correlation_id or event_id,
            causation_id=causation_id,
            payload=self.model_dump(mode="json"),
        )


def contract_for(event_type: str, schema_version: int) -> type[DomainEvent]:
    try:
        return DomainEvent._registry[(event_type, schema_version)]
    except KeyError:
        raise UnknownEventType(f"no contract for {event_type} v{schema_version}") from None


def all_contracts() -> list[type[DomainEvent]]:
    return sorted(DomainEvent._registry.values(), key=lambda c: (c.EVENT_TYPE, c.SCHEMA_VERSION))


def open_envelope(envelope: EventEnvelope) -> DomainEvent:
    """Validate an envelope's payload against its contract; the envelope must agree with it."""
    contract = contract_for(envelope.event_type, envelope.schema_version)
    if envelope.source != contract.source():
        raise UnknownEventType(f"{envelope.event_type} comes from {contract.source()}, not {envelope.source}")
    event = contract.model_validate(envelope.payload)
    if event.device_id != envelope.subject:
        raise ValueError(f"envelope subject {envelope.subject} differs from payload device_id {event.device_id}")
    return event
