"""Queue consumer: SQS batch of bus events → one handler call per domain event.

A service's consumer Lambda reads its own queue. Each record is the EventBridge event
whose `detail` is our envelope: it is validated against its contract, routed to the
handler registered for its type, and handled at most once per domain event id: by Powertools
Idempotency (records kept in the service's own table), or, for the types a service declares
`idempotent_by_own_writes`, by the handler's own conditional writes, which make a second
delivery change nothing (docs/architecture.md, decision 35). Failures are reported per record
(`ReportBatchItemFailures`): only the failed records return to the queue, and a record that
keeps failing lands in the dead-letter queue after the queue's `maxReceiveCount`, with the
error it last raised in its message attributes (shared/dead_letters.py).

An event is trusted only if it comes from the service that owns its type: the bus event's
`source` and the envelope's `source` must both be the contract's (`DomainEvent.source()`).
A forged one goes straight to the service's dead-letter queue (`DEAD_LETTER_QUEUE_URL`),
with the reason logged and in its message attributes, and the record counts as handled:
retrying it could never make it genuine (docs/architecture.md, 14).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any, Callable, Iterable

import boto3
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from pydantic import ValidationError

from shared.dead_letters import dead_letter_on_last_delivery, identify_bus_event
from shared.events import DomainEvent, EventEnvelope, contract_for, open_envelope
from shared.idempotency import IDEMPOTENCY_WINDOW_SECONDS, persistence_layer
from shared.observability import counted, logger, without_values
from shared.sqs_batch import process_sqs_batch

EventHandler = Callable[[DomainEvent, EventEnvelope], None]


class UnroutedEvent(Exception):
    """The queue delivered an event type this consumer has no handler for (a wiring error)."""


@lru_cache(maxsize=None)
def sqs_client():
    return counted(boto3.client("sqs"))


def forged_source(bus_event: dict[str, Any], envelope: EventEnvelope) -> str | None:
    """Why the event cannot be trusted (its sources are not its type's owner), or None if they are."""
    expected = contract_for(envelope.event_type, envelope.schema_version).source()
    claimed = {bus_event.get("source"), envelope.source}
    if claimed != {expected}:
        return f"{envelope.event_type} is published by {expected} only"
    return None


class EventConsumer:
    def __init__(self, handlers: dict[type[DomainEvent], EventHandler], table_name: str | None = None, *,
                 idempotent_by_own_writes: Iterable[type[DomainEvent]] = ()):
        """`idempotent_by_own_writes`: the types whose handler writes only what a redelivery
        finds written and leaves alone (a conditional write keyed by the fact, a guard on its
        time). They skip the idempotency record: two requests fewer per event."""
        self.handlers = handlers
        self._table_name = table_name
        self._by_own_writes = frozenset(idempotent_by_own_writes)
        if not self._by_own_writes <= handlers.keys():
            raise ValueError("idempotent_by_own_writes names a type without a handler")
        self._idempotency_config = IdempotencyConfig(
            event_key_jmespath="event_id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
        )
        self._handle_once: Callable[..., Any] | None = None
        self._handle_or_dead_letter = dead_letter_on_last_delivery(self.handle_record, identify_bus_event)

    @property
    def event_types(self) -> list[str]:
        return sorted(contract.EVENT_TYPE for contract in self.handlers)

    def _once(self) -> Callable[..., Any]:
        if self._handle_once is None:
            @idempotent_function(
                data_keyword_argument="envelope",
                persistence_store=persistence_layer(self._table_name),
                config=self._idempotency_config,
            )
            def handle(envelope: EventEnvelope) -> dict[str, str]:
                self.dispatch(envelope)
                return {"handled": envelope.event_id}

            self._handle_once = handle
        return self._handle_once

    def dispatch(self, envelope: EventEnvelope) -> None:
        event = open_envelope(envelope)
        handler = self.handlers.get(type(event))
        if handler is None:
            raise UnroutedEvent(f"no handler for {envelope.event_type} in this service")
        handler(event, envelope)

    def handle_record(self, record: SQSRecord) -> None:
        try:
            bus_event = json.loads(record.body)
            envelope = EventEnvelope.model_validate(bus_event["detail"])
            logger.append_keys(event_id=envelope.event_id, event_type=envelope.event_type,
                               correlation_id=envelope.correlation_id, device_id=envelope.subject)
            reason = forged_source(bus_event, envelope)
            if reason:
                self.reject(record, bus_event, envelope, reason)
                return
            if contract_for(envelope.event_type, envelope.schema_version) in self._by_own_writes:
                self.dispatch(envelope)
            else:
                self._once()(envelope=envelope)
        except ValidationError as error:
            # A batch whose records all fail is raised with their messages, and logged.
            raise without_values(error) from None

    def reject(self, record: SQSRecord, bus_event: dict[str, Any], envelope: EventEnvelope, reason: str) -> None:
        """Move a forged event to the dead-letter queue at once. If that fails, the record fails
        and the queue's redrive moves it there after `maxReceiveCount`: never dropped silently."""
        expected = contract_for(envelope.event_type, envelope.schema_version).source()
        facts = {"event_id": envelope.event_id, "event_type": envelope.event_type,
                 "claimed_source": bus_event.get("source"), "envelope_source": envelope.source,
                 "expected_source": expected}
        logger.error("event rejected: its source is not the owner of its type", extra=facts | {"reason": reason})
        attributes = {name: {"DataType": "String", "StringValue": str(value)}
                      for name, value in (facts | {"rejected_because": reason}).items()}
        sqs_client().send_message(QueueUrl=os.environ["DEAD_LETTER_QUEUE_URL"], MessageBody=record.body,
                                  MessageAttributes=attributes)

    def lambda_handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self._idempotency_config.register_lambda_context(context)
        return process_sqs_batch(event, self._handle_or_dead_letter)
