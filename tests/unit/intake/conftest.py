"""Intake fixtures: its table as the template declares it, a registered donor, a lot, the import
queue, and a way to run the import worker."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import boto3
import pytest

import intake.adapters.import_queue
from intake.handlers import api, import_worker
from tests.unit.support import (
    REGION,
    ROLE_PARTNERS,
    HttpResult,
    LambdaContext,
    call,
    create_declared_table,
    http_event,
    sqs_batch,
)

DEPARTEMENT = {
    "donor_id": ROLE_PARTNERS["donor"], "name": "Département d'Ille-et-Vilaine", "donor_type": "public_body",
    "territory": "35", "legal_basis": {"convention_ref": "CD35-2026-014", "signed_on": "2026-03-12"},
}
LOT = {"expected_count": 12, "pickup_site": "Hôtel du Département", "pickup_date": "2026-12-01"}


@pytest.fixture
def table(dynamodb) -> str:
    return create_declared_table(dynamodb, "IntakeTable")


@pytest.fixture(autouse=True)
def fresh_intake_state(monkeypatch):
    """The worker keeps its repository per process, the API its queue; both are per test here."""
    import_worker.repository.cache_clear()
    api.import_queue.cache_clear()
    intake.adapters.import_queue.sqs_client.cache_clear()
    yield
    import_worker.repository.cache_clear()
    api.import_queue.cache_clear()
    intake.adapters.import_queue.sqs_client.cache_clear()


@pytest.fixture
def donor(table) -> dict:
    response = call(api.handler, "POST", "/intake/donors", "admin", DEPARTEMENT)
    assert response.status == 201, response.body
    return response.body


@pytest.fixture
def lot_id(donor) -> str:
    response = call(api.handler, "POST", "/intake/lots", "donor", LOT)
    assert response.status == 201, response.body
    return response.body["lot_id"]


@pytest.fixture
def sqs(aws):
    return boto3.client("sqs", region_name=REGION)


@pytest.fixture
def import_queue(sqs, monkeypatch) -> str:
    url = sqs.create_queue(QueueName="intake-imports")["QueueUrl"]
    monkeypatch.setenv("IMPORT_QUEUE_URL", url)
    return url


def queued_messages(sqs, queue_url: str) -> list[dict]:
    """Take every message off the queue (as the event source mapping would)."""
    messages = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        messages.extend(batch)
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
    return messages


def as_sqs_record(message: dict) -> dict:
    return {
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795771800000",
                       "SenderId": "AIDAINTAKEAPI", "ApproximateFirstReceiveTimestamp": "1795771800001"},
        "messageAttributes": {}, "md5OfBody": "0" * 32, "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:intake-imports", "awsRegion": REGION,
    }


def run_worker(messages: list[dict], batch_size: int = 2) -> list[dict]:
    """Hand the messages to the import worker in batches; the batch item failures it reports."""
    failures = []
    for start in range(0, len(messages), batch_size):
        batch = sqs_batch(*(as_sqs_record(m) for m in messages[start:start + batch_size]))
        failures += import_worker.handler(batch, LambdaContext())["batchItemFailures"]
    return failures


def new_serial(prefix: str = "5CG") -> str:
    return f"{prefix}{uuid.uuid4().hex[:7].upper()}"


def get(handler, path: str, role: str | None, query: dict | None = None, **kwargs) -> HttpResult:
    """A GET with a query string, as the HTTP API passes it (support.call has none)."""
    event = http_event("GET", path, role, **kwargs)
    if query:
        event["rawQueryString"] = urlencode(query)
        event["queryStringParameters"] = {k: str(v) for k, v in query.items()}
    response = handler(event, LambdaContext())
    return HttpResult(response["statusCode"], json.loads(response["body"]) if response.get("body") else None)
