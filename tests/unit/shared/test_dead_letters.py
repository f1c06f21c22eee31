"""A record failing on its last allowed delivery reaches the dead-letter queue with why it failed."""

from __future__ import annotations

import json

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from shared.consumer import EventConsumer
from shared.events.intake import DeviceReceived
from tests.unit.support import REGION, LambdaContext, device_received, sqs_batch, sqs_record

MAX_RECEIVES = 5


class Failing:
    def __init__(self, error: Exception):
        self.error, self.calls = error, 0

    def __call__(self, event, envelope) -> None:
        self.calls += 1
        raise self.error


@pytest.fixture
def dead_letter_queue(aws, monkeypatch) -> str:
    url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="unit-dlq")["QueueUrl"]
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", url)
    monkeypatch.setenv("MAX_RECEIVE_COUNT", str(MAX_RECEIVES))
    return url


def delivered(envelope, receive_count: int, message_id: str = "m-1") -> dict:
    record = sqs_record(envelope, message_id)
    record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return record


def dead_letters(url: str) -> list[dict]:
    return boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])


def test_a_failure_before_the_last_delivery_is_retried_by_the_queue(table, dead_letter_queue):
    consumer = EventConsumer({DeviceReceived: Failing(LookupError("no device dev-1"))})
    envelope = device_received("dev-1").to_envelope()
    batch = sqs_batch(delivered(envelope, MAX_RECEIVES - 1), delivered(device_received("dev-2").to_envelope(),
                                                                       1, "m-2"))

    with pytest.raises(BatchProcessingError):  # every record of the batch failed
        consumer.lambda_handler(batch, LambdaContext())
    assert dead_letters(dead_letter_queue) == []


def test_the_last_delivery_sends_the_record_with_its_error_and_reports_it_handled(table, dead_letter_queue):
    handler = Failing(LookupError("sale of dev-1 for unknown reservation res-9"))
    consumer = EventConsumer({DeviceReceived: handler})
    envelope = device_received("dev-1").to_envelope()
    record = delivered(envelope, MAX_RECEIVES)

    assert consumer.lambda_handler(sqs_batch(record), LambdaContext()) == {"batchItemFailures": []}

    [message] = dead_letters(dead_letter_queue)
    assert message["Body"] == record["body"]  # the same message, to be moved back as it was
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes.pop("failed_at")
    assert attributes == {"event_id": envelope.event_id, "event_type": "DeviceReceived", "error": "LookupError",
                          "error_message": "sale of dev-1 for unknown reservation res-9",
                          "receive_count": str(MAX_RECEIVES)}
    assert handler.calls == 1


def test_the_record_is_handled_once_it_is_moved_back_after_the_fix(table, dead_letter_queue):
    calls = []
    broken = True

    def handle(event, envelope):
        calls.append(envelope.event_id)
        if broken:
            raise LookupError("not yet")

    consumer = EventConsumer({DeviceReceived: handle})
    envelope = device_received("dev-1").to_envelope()
    consumer.lambda_handler(sqs_batch(delivered(envelope, MAX_RECEIVES)), LambdaContext())
    broken = False
    # Moved back: a new message, delivered afresh; then the copy a crash between send and delete would leave.
    consumer.lambda_handler(sqs_batch(delivered(envelope, 1, "m-again")), LambdaContext())
    consumer.lambda_handler(sqs_batch(delivered(envelope, 1, "m-copy")), LambdaContext())

    assert calls == [envelope.event_id, envelope.event_id]  # failed once, then applied once, copy absorbed


def test_an_error_message_that_looks_like_personal_data_is_withheld(table, dead_letter_queue):
    consumer = EventConsumer({DeviceReceived: Failing(ValueError("refused for Mme Martin, 06 12 34 56 78"))})
    consumer.lambda_handler(sqs_batch(delivered(device_received("dev-1").to_envelope(), MAX_RECEIVES)),
                            LambdaContext())
    [message] = dead_letters(dead_letter_queue)
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes["error"] == "ValueError"
    assert "Martin" not in json.dumps(attributes) and attributes["error_message"].startswith("(withheld")


def test_if_the_dead_letter_queue_refuses_the_record_fails_and_the_queue_moves_it(table, dead_letter_queue,
                                                                                 monkeypatch):
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", dead_letter_queue.replace("unit-dlq", "no-such-queue"))
    consumer = EventConsumer({DeviceReceived: Failing(LookupError("no device"))})
    with pytest.raises(BatchProcessingError):
        consumer.lambda_handler(sqs_batch(delivered(device_received("dev-1").to_envelope(), MAX_RECEIVES)),
                                LambdaContext())


def test_an_import_chunk_failing_on_its_last_delivery_is_named_by_its_import_and_index(table, dead_letter_queue,
                                                                                      monkeypatch):
    from intake.handlers import import_worker

    def broken(repository, chunk):
        raise RuntimeError(f"lot {chunk.lot_id} unreachable")

    monkeypatch.setattr(import_worker, "register_chunk", broken)
    chunk = {"import_id": "imp-1", "lot_id": "lot-1", "kind": "declaration", "index": 3, "correlation_id": "c-1",
             "rows": []}
    record = delivered(device_received("dev-1").to_envelope(), MAX_RECEIVES)
    record["body"] = json.dumps(chunk)

    assert import_worker.handler(sqs_batch(record), LambdaContext()) == {"batchItemFailures": []}
    [message] = dead_letters(dead_letter_queue)
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert (attributes["event_id"], attributes["event_type"], attributes["error"]) == (
        "imp-1#3", "ImportChunk", "RuntimeError")


def test_an_invalid_chunk_is_described_by_its_fields_never_by_the_values_it_holds(table, dead_letter_queue):
    from intake.handlers import import_worker

    chunk = {"import_id": "imp-1", "lot_id": "lot-1", "kind": "inventaire de Mme Martin", "index": 0,
             "correlation_id": "c-1", "rows": []}
    record = delivered(device_received("dev-1").to_envelope(), MAX_RECEIVES)
    record["body"] = json.dumps(chunk)

    import_worker.handler(sqs_batch(record), LambdaContext())
    [message] = dead_letters(dead_letter_queue)
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes["error"] == "ValidationError"
    assert attributes["error_message"].startswith("1 invalid field(s) in ImportChunk: kind:")
    assert "Martin" not in attributes["error_message"] and "inventaire" not in attributes["error_message"]
