"""Stream publisher: outbox items on a service's table stream → the event bus.

Runs on the table's DynamoDB stream. Every new outbox item is re-validated against its
contract and put on the bus in `PutEvents` calls of at most 10 entries. Entries that
`PutEvents` reports as failed (`FailedEntryCount`) are re-sent, exactly those, a few
times with backoff; if some still fail, the invocation fails, so the stream retries the
batch and nothing is lost silently. Re-sending may deliver an event twice: consumers are
idempotent on the event id.
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from typing import Any, Iterable

import boto3
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent

from shared.events import EventEnvelope, open_envelope
from shared.observability import counted, entry_point, logger
from shared.outbox import OUTBOX_PREFIX

PUT_EVENTS_MAX_ENTRIES = 10
RESEND_ATTEMPTS = 3


class PublishFailed(Exception):
    """Some entries were still refused by the bus after the re-sends."""


@lru_cache(maxsize=None)
def events_client():
    return counted(boto3.client("events"))


def outbox_envelopes(records: Iterable[Any]) -> list[EventEnvelope]:
    """The envelopes of the outbox items inserted in a stream batch, in stream order."""
    envelopes = []
    for record in records:
        if record.event_name is None or record.event_name.name != "INSERT":
            continue
        image = record.dynamodb.new_image if record.dynamodb else None
        if not image or not str(image.get("pk", "")).startswith(OUTBOX_PREFIX):
            continue
        envelope = EventEnvelope.model_validate_json(image["envelope"])
        open_envelope(envelope)  # validated again on the way out
        envelopes.append(envelope)
    return envelopes


def to_entry(envelope: EventEnvelope, bus_name: str) -> dict[str, Any]:
    return {
        "Source": envelope.source,
        "DetailType": envelope.event_type,
        "Detail": envelope.model_dump_json(),
        "EventBusName": bus_name,
        "Resources": [f"device/{envelope.subject}"],
    }


def put_events(entries: list[dict[str, Any]], client=None, *, sleep=time.sleep) -> None:
    """Put entries on the bus, 10 at a time, re-sending exactly the failed ones."""
    client = client or events_client()
    for start in range(0, len(entries), PUT_EVENTS_MAX_ENTRIES):
        pending = entries[start:start + PUT_EVENTS_MAX_ENTRIES]
        for attempt in range(RESEND_ATTEMPTS + 1):
            response = client.put_events(Entries=pending)
            if not response.get("FailedEntryCount"):
                break
            failed = [
                (entry, result)
                for entry, result in zip(pending, response["Entries"])
                if result.get("ErrorCode")
            ]
            logger.warning(
                "bus refused entries",
                extra={"attempt": attempt, "errors": [r.get("ErrorCode") for _, r in failed]},
            )
            pending = [entry for entry, _ in failed]
            if attempt < RESEND_ATTEMPTS:
                sleep(0.1 * 2**attempt)
        else:
            raise PublishFailed(
                f"{len(pending)} event(s) still refused by the bus after {RESEND_ATTEMPTS} re-sends: "
                + ", ".join(f"{e['DetailType']}" for e in pending)
            )


@entry_point
def handler(event: dict[str, Any], context: Any) -> None:
    envelopes = outbox_envelopes(DynamoDBStreamEvent(event).records)
    if envelopes:
        put_events([to_entry(e, os.environ["EVENT_BUS_NAME"]) for e in envelopes])
        logger.info("published", extra={"count": len(envelopes), "types": [e.event_type for e in envelopes]})
