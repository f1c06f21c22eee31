"""A consumer trusts an event only from the service that owns its type; a forged one goes to the DLQ."""

from __future__ import annotations

import json
import logging
import uuid

import boto3
import pytest

from shared.consumer import EventConsumer
from shared.events.sales import DeviceSold
from tests.unit.support import (
    REGION,
    LambdaContext,
    bus_event,
    device_sold,
    items_with_prefix,
    sqs_batch,
    sqs_record,
)


class Recorder:
    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, event, envelope) -> None:
        self.seen.append(envelope.event_id)


@pytest.fixture
def dead_letter_queue(aws, monkeypatch) -> str:
    url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="unit-dlq")["QueueUrl"]
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", url)
    return url


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def consumer(table, recorder, dead_letter_queue):
    return EventConsumer({DeviceSold: recorder})


def dead_letters(url: str) -> list[dict]:
    response = boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    return response.get("Messages", [])


def record_with_outer_source(envelope, source: str, message_id: str) -> dict:
    record = sqs_record(envelope, message_id)
    body = bus_event(json.loads(envelope.model_dump_json()), detail_type=envelope.event_type, source=source)
    return record | {"body": json.dumps(body)}


def test_a_sale_announced_by_intake_goes_to_the_dead_letter_queue_and_is_not_handled(
        consumer, recorder, dead_letter_queue, dynamodb, caplog):
    genuine = device_sold("dev-1", "res-1").to_envelope()
    forged = device_sold("dev-2", "res-2").to_envelope().model_copy(update={"source": "seconde-vie.intake"})

    with caplog.at_level(logging.ERROR):
        response = consumer.lambda_handler(
            sqs_batch(sqs_record(forged, "m-forged"), sqs_record(genuine, "m-genuine")), LambdaContext())

    # handled as far as the queue is concerned: it is not retried for nothing
    assert response["batchItemFailures"] == []
    assert recorder.seen == [genuine.event_id]
    [letter] = dead_letters(dead_letter_queue)
    assert json.loads(letter["Body"])["detail"]["event_id"] == forged.event_id
    attributes = {k: v["StringValue"] for k, v in letter["MessageAttributes"].items()}
    assert attributes["claimed_source"] == "seconde-vie.intake"
    assert attributes["expected_source"] == "seconde-vie.sales"
    assert attributes["event_type"] == "DeviceSold"
    # no idempotency record: the forged id cannot shadow anything
    assert len(items_with_prefix(dynamodb, "IDEMPOTENCY")) == 1
    [line] = [r.__dict__ for r in caplog.records if "rejected" in r.getMessage()]
    assert (line["event_id"], line["claimed_source"], line["expected_source"]) == (
        forged.event_id, "seconde-vie.intake", "seconde-vie.sales")


def test_a_bus_source_that_differs_from_the_envelope_is_rejected_too(consumer, recorder, dead_letter_queue):
    # the envelope says sales, but the bus event was put by another service's role
    envelope = device_sold("dev-3", "res-3").to_envelope()
    response = consumer.lambda_handler(
        sqs_batch(record_with_outer_source(envelope, "seconde-vie.intake", "m-1")), LambdaContext())

    assert response["batchItemFailures"] == []
    assert recorder.seen == []
    [letter] = dead_letters(dead_letter_queue)
    attributes = {k: v["StringValue"] for k, v in letter["MessageAttributes"].items()}
    assert (attributes["claimed_source"], attributes["envelope_source"]) == ("seconde-vie.intake", "seconde-vie.sales")


def test_a_forged_event_that_cannot_reach_the_dead_letter_queue_fails_its_record(table, recorder, monkeypatch):
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", f"https://sqs.{REGION}.amazonaws.com/123456789012/{uuid.uuid4()}")
    consumer = EventConsumer({DeviceSold: recorder})
    forged = device_sold("dev-4", "res-4").to_envelope().model_copy(update={"source": "seconde-vie.refurb"})
    genuine = device_sold("dev-5", "res-5").to_envelope()

    response = consumer.lambda_handler(sqs_batch(sqs_record(forged, "m-forged"), sqs_record(genuine, "m-ok")),
                                       LambdaContext())

    # back to the queue, whose redrive will move it to the DLQ: never dropped silently
    assert response["batchItemFailures"] == [{"itemIdentifier": "m-forged"}]
    assert recorder.seen == [genuine.event_id]
