"""Queue consumer: per-record failures, one handling per domain event, no silent drop."""

from __future__ import annotations

import hashlib
import json

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from shared.consumer import EventConsumer
from shared.events.intake import DeviceReceived
from shared.events.refurb import DeviceReady
from tests.unit.support import (
    LambdaContext,
    device_ready,
    device_received,
    items_with_prefix,
    sqs_batch,
    sqs_record,
)


class Recorder:
    def __init__(self, fail_on: set[str] | None = None):
        self.seen: list[str] = []
        self.fail_on = fail_on or set()

    def __call__(self, event, envelope) -> None:
        if envelope.subject in self.fail_on:
            raise RuntimeError(f"cannot handle {envelope.subject}")
        self.seen.append(envelope.event_id)


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def consumer(table, recorder):
    return EventConsumer({DeviceReceived: recorder})


def test_a_poison_record_fails_alone_and_the_good_ones_are_handled(consumer, recorder):
    good_1, good_2 = device_received("dev-1").to_envelope(), device_received("dev-2").to_envelope()
    invalid_envelope = {k: v for k, v in json.loads(good_1.model_dump_json()).items() if k != "event_id"}
    records = [sqs_record(good_1, "m-1"), sqs_record(invalid_envelope, "m-poison"), sqs_record(good_2, "m-2")]

    response = consumer.lambda_handler(sqs_batch(*records), LambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-poison"}]}
    assert recorder.seen == [good_1.event_id, good_2.event_id]


def test_a_record_whose_payload_breaks_its_contract_fails_alone(consumer, recorder):
    good = device_received("dev-1").to_envelope()
    broken = device_received("dev-2").to_envelope()
    broken = broken.model_copy(update={"payload": {**broken.payload, "device_type": "toaster"}})

    response = consumer.lambda_handler(sqs_batch(sqs_record(broken, "m-broken"), sqs_record(good, "m-good")),
                                       LambdaContext())

    assert response["batchItemFailures"] == [{"itemIdentifier": "m-broken"}]
    assert recorder.seen == [good.event_id]


def test_a_handler_error_fails_that_record_and_it_is_handled_on_redelivery(table):
    flaky = Recorder(fail_on={"dev-1"})
    consumer = EventConsumer({DeviceReceived: flaky})
    failing, fine = device_received("dev-1").to_envelope(), device_received("dev-2").to_envelope()

    first = consumer.lambda_handler(sqs_batch(sqs_record(failing, "m-1"), sqs_record(fine, "m-2")), LambdaContext())
    assert first["batchItemFailures"] == [{"itemIdentifier": "m-1"}]

    # the failure did not mark the event as handled: once the cause is fixed, the retry goes through
    flaky.fail_on.clear()
    second = consumer.lambda_handler(sqs_batch(sqs_record(failing, "m-1")), LambdaContext())
    assert second["batchItemFailures"] == []
    assert flaky.seen == [fine.event_id, failing.event_id]


def test_the_same_domain_event_delivered_twice_is_handled_once(consumer, recorder, dynamodb):
    envelope = device_received("dev-1").to_envelope()

    response = consumer.lambda_handler(sqs_batch(sqs_record(envelope, "m-1"), sqs_record(envelope, "m-2")),
                                       LambdaContext())
    assert response["batchItemFailures"] == []
    later = consumer.lambda_handler(sqs_batch(sqs_record(envelope, "m-3")), LambdaContext())
    assert later["batchItemFailures"] == []

    assert recorder.seen == [envelope.event_id]
    records = items_with_prefix(dynamodb, "IDEMPOTENCY")
    assert len(records) == 1
    # keyed on the domain event id, not on the SQS message
    event_id_hash = hashlib.md5(json.dumps(envelope.event_id).encode()).hexdigest()
    assert records[0]["sk"].endswith("#" + event_id_hash)
    assert records[0]["status"] == "COMPLETED"


def test_two_events_about_the_same_device_are_both_handled(consumer, recorder, dynamodb):
    first, second = device_received("dev-1").to_envelope(), device_received("dev-1").to_envelope()
    consumer.lambda_handler(sqs_batch(sqs_record(first), sqs_record(second)), LambdaContext())
    assert recorder.seen == [first.event_id, second.event_id]
    assert len(items_with_prefix(dynamodb, "IDEMPOTENCY")) == 2


def test_an_event_type_without_a_handler_fails_its_record(consumer, recorder):
    routed, unrouted = device_received("dev-1").to_envelope(), device_ready("dev-1").to_envelope()
    response = consumer.lambda_handler(sqs_batch(sqs_record(unrouted, "m-ready"), sqs_record(routed, "m-received")),
                                       LambdaContext())
    assert response["batchItemFailures"] == [{"itemIdentifier": "m-ready"}]
    assert recorder.seen == [routed.event_id]


def test_a_batch_where_every_record_fails_fails_the_invocation(consumer, recorder):
    with pytest.raises(BatchProcessingError):
        consumer.lambda_handler(sqs_batch(sqs_record({"not": "an envelope"}, "m-1")), LambdaContext())
    assert recorder.seen == []


def test_events_are_routed_by_type(table):
    received, ready = Recorder(), Recorder()
    consumer = EventConsumer({DeviceReceived: received, DeviceReady: ready})
    assert consumer.event_types == ["DeviceReady", "DeviceReceived"]
    r1, r2 = device_received("dev-1").to_envelope(), device_ready("dev-1").to_envelope()
    consumer.lambda_handler(sqs_batch(sqs_record(r2), sqs_record(r1)), LambdaContext())
    assert (received.seen, ready.seen) == ([r1.event_id], [r2.event_id])


def test_types_idempotent_by_their_own_writes_keep_no_idempotency_record(table, dynamodb):
    recorder = Recorder()
    consumer = EventConsumer({DeviceReceived: recorder, DeviceReady: Recorder()},
                             idempotent_by_own_writes=[DeviceReceived])
    received, ready = device_received("dev-1").to_envelope(), device_ready("dev-1").to_envelope()

    consumer.lambda_handler(sqs_batch(sqs_record(received, "m-1"), sqs_record(received, "m-2"),
                                      sqs_record(ready, "m-3")), LambdaContext())

    assert recorder.seen == [received.event_id, received.event_id]  # its writes make the second a no-op
    [record] = items_with_prefix(dynamodb, "IDEMPOTENCY")  # the other type keeps its record
    assert record["status"] == "COMPLETED"


def test_a_type_declared_idempotent_must_have_a_handler(table):
    with pytest.raises(ValueError, match="without a handler"):
        EventConsumer({DeviceReceived: Recorder()}, idempotent_by_own_writes=[DeviceReady])
