"""Administrators see what waits in the dead-letter queues and move it back; nothing is lost or shown raw."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

import dead_letter_queues
import operations_api
from shared.dead_letters import failure_attributes
from tests.unit.support import REGION, bus_event, call, device_received


@pytest.fixture
def sqs(aws):
    return boto3.client("sqs", region_name=REGION)


@pytest.fixture
def queues(sqs, monkeypatch) -> dict[str, dict[str, str]]:
    config = {name: {"dead_letters": sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"],
                     "source": sqs.create_queue(QueueName=name)["QueueUrl"]} for name in ("sales", "allocation")}
    monkeypatch.setenv("DEAD_LETTER_QUEUES", json.dumps(config))
    monkeypatch.delenv("REDRIVE_METHOD", raising=False)
    operations_api.dead_letters.cache_clear()
    yield config
    operations_api.dead_letters.cache_clear()


class EmulatorSqs:
    """The moto client, refusing StartMessageMoveTask the way the local emulator does."""

    def __init__(self, client, refusal: str = "InvalidAction"):
        self._client, self.refusal, self.move_tasks = client, refusal, []

    def __getattr__(self, name):
        return getattr(self._client, name)

    def start_message_move_task(self, **kwargs):
        raise ClientError({"Error": {"Code": self.refusal, "Message": "not valid for this endpoint"}},
                          "StartMessageMoveTask")


class AwsSqs(EmulatorSqs):
    def start_message_move_task(self, **kwargs):
        self.move_tasks.append(kwargs)
        return {"TaskHandle": "task-1"}


def use_client(monkeypatch, client) -> None:
    operations_api.dead_letters.cache_clear()
    monkeypatch.setattr(dead_letter_queues, "sqs_client", lambda: client)


def api(method: str, path: str, role: str | None = "admin", **kwargs):
    return call(operations_api.handler, method, path, role, territory="", **kwargs)


def dead_letter(sqs, url: str, device_id: str, error: Exception | None = LookupError("no reservation res-1")):
    envelope = device_received(device_id).to_envelope()
    body = json.dumps(bus_event(json.loads(envelope.model_dump_json()), detail_type="DeviceReceived"))
    attributes = failure_attributes(error, envelope.event_id, "DeviceReceived", 5) if error else {}
    sqs.send_message(QueueUrl=url, MessageBody=body, **({"MessageAttributes": attributes} if attributes else {}))
    return envelope, body


def bodies(sqs, url: str) -> list[str]:
    return sorted(m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))


def test_the_list_counts_each_queue_and_describes_each_message_without_its_body(sqs, queues):
    envelope, body = dead_letter(sqs, queues["sales"]["dead_letters"], "dev-1")
    moved_by_the_queue, _ = dead_letter(sqs, queues["sales"]["dead_letters"], "dev-2", error=None)

    listed = api("GET", "/operations/dead-letters")

    assert listed.status == 200
    by_queue = {q["queue"]: q for q in listed.body["queues"]}
    assert (by_queue["sales"]["waiting"], by_queue["allocation"]["waiting"]) == (2, 0)
    described = {m["event_id"]: m for m in by_queue["sales"]["messages"]}
    recorded = described[envelope.event_id]
    assert (recorded["event_type"], recorded["error"], recorded["error_message"], recorded["receive_count"]) == (
        "DeviceReceived", "LookupError", "no reservation res-1", 5)
    assert recorded["failed_at"] and recorded["age_seconds"] >= 0
    unknown = described[moved_by_the_queue.event_id]
    assert unknown["error"] is None and unknown["error_message"].startswith("not recorded")
    assert "payload" not in json.dumps(listed.body) and "dev-1" not in json.dumps(listed.body)


def test_looking_leaves_every_message_in_place_and_visible(sqs, queues):
    url = queues["sales"]["dead_letters"]
    sent = sorted(dead_letter(sqs, url, f"dev-{i}")[1] for i in range(12))

    for _ in range(2):
        assert len(api("GET", "/operations/dead-letters", query={"queue": "sales", "limit": "50"}).body[
            "queues"][0]["messages"]) == 12
    seen = []
    for _ in range(2):
        seen += [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                        VisibilityTimeout=30).get("Messages", [])]
    assert sorted(seen) == sent


def test_a_redrive_where_the_cloud_refuses_the_move_task_receives_sends_then_deletes(sqs, queues, monkeypatch):
    use_client(monkeypatch, EmulatorSqs(sqs))
    pair = queues["allocation"]
    sent = sorted(dead_letter(sqs, pair["dead_letters"], f"dev-{i}")[1] for i in range(13))

    moved = api("POST", "/operations/dead-letters/allocation/redrive")

    assert moved.status == 200
    assert moved.body == {"queue": "allocation", "method": "receive-send-delete",
                          "task_handle": None, "to_move": 13, "moved": 13, "remaining": 0}
    assert sorted(bodies(sqs, pair["source"]) + bodies(sqs, pair["source"])) == sent
    assert bodies(sqs, pair["dead_letters"]) == []


def test_a_redrive_never_deletes_what_the_source_queue_did_not_accept(sqs, queues, monkeypatch):
    class SourceRefuses(EmulatorSqs):
        def send_message_batch(self, **kwargs):
            return {"Successful": [], "Failed": [{"Id": e["Id"], "SenderFault": False, "Code": "InternalError"}
                                                 for e in kwargs["Entries"]]}

    use_client(monkeypatch, SourceRefuses(sqs))
    pair = queues["sales"]
    sent = dead_letter(sqs, pair["dead_letters"], "dev-1")[1]

    moved = api("POST", "/operations/dead-letters/sales/redrive")

    assert (moved.body["moved"], moved.body["remaining"]) == (0, 1)
    assert bodies(sqs, pair["dead_letters"]) == [sent]  # still there, and visible at once


def test_where_the_cloud_has_the_move_task_the_redrive_starts_it(sqs, queues, monkeypatch):
    client = AwsSqs(sqs)
    use_client(monkeypatch, client)
    dead_letter(sqs, queues["sales"]["dead_letters"], "dev-1")

    moved = api("POST", "/operations/dead-letters/sales/redrive")

    assert moved.body == {"queue": "sales", "method": "message-move-task", "task_handle": "task-1", "to_move": 1,
                          "moved": None, "remaining": 1}
    dlq_arn = sqs.get_queue_attributes(QueueUrl=queues["sales"]["dead_letters"],
                                       AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert client.move_tasks == [{"SourceArn": dlq_arn}]


def test_another_refusal_of_the_move_task_is_an_error_not_a_silent_fallback(sqs, queues, monkeypatch):
    use_client(monkeypatch, EmulatorSqs(sqs, refusal="UnsupportedOperation"))
    dead_letter(sqs, queues["sales"]["dead_letters"], "dev-1")
    with pytest.raises(ClientError):
        api("POST", "/operations/dead-letters/sales/redrive")


def test_only_administrators_may_look_or_move_and_an_unknown_queue_is_refused_naming_the_queues(queues):
    for role in ("donor", "warehouse", "workshop", "referrer", "point_of_sale"):
        assert api("GET", "/operations/dead-letters", role=role).status == 403
        assert api("POST", "/operations/dead-letters/sales/redrive", role=role).status == 403
    refused = api("POST", "/operations/dead-letters/billing/redrive")
    assert refused.status == 422
    assert "'intake', 'intake-import', 'refurb', 'allocation' or 'sales'" in refused.body["message"]
