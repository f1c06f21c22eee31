"""How the fault tests put events in front of the consumers, and watch what they did.

Two ways in, both the real ones: `publish` puts envelopes on the bus exactly as a service's
publisher does (`shared.publisher.to_entry`, the owner's source), so the bus's rules fan them
out; `enqueue` sends bodies straight into one consumer's queue, in the shape EventBridge
delivers them (`bus_message`). `settled` waits until the consumer queues have handed every
message to their functions and the functions have deleted them: only then may a test say
that a duplicate changed nothing.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable

from shared.dynamo import deserialize
from shared.events import EventEnvelope
from shared.outbox import OUTBOX_PREFIX
from shared.publisher import PUT_EVENTS_MAX_ENTRIES, to_entry
from tests.localcloud.cloud import LocalCloud

SERVICES = ("intake", "refurb", "allocation", "sales")


def publish(cloud: LocalCloud, envelopes: Iterable[EventEnvelope]) -> int:
    """Put envelopes on the bus as their owners' publishers do; returns how many."""
    entries = [to_entry(e, cloud.outputs["EventBusName"]) for e in envelopes]
    events = cloud.client("events")
    for start in range(0, len(entries), PUT_EVENTS_MAX_ENTRIES):
        response = events.put_events(Entries=entries[start:start + PUT_EVENTS_MAX_ENTRIES])
        assert response["FailedEntryCount"] == 0, response["Entries"]
    return len(entries)


def bus_message(envelope: EventEnvelope) -> str:
    """The SQS body an EventBridge rule delivers for this envelope (its `detail`)."""
    return json.dumps({
        "version": "0", "id": str(uuid.uuid4()), "detail-type": envelope.event_type, "source": envelope.source,
        "account": "000000000000", "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1", "resources": [f"device/{envelope.subject}"],
        "detail": json.loads(envelope.model_dump_json()),
    })


def enqueue(cloud: LocalCloud, service: str, bodies: list[str]) -> None:
    """Send message bodies straight into a service's consumer queue, 10 at a time."""
    sqs, url = cloud.client("sqs"), cloud.outputs[f"{service.capitalize()}QueueUrl"]
    for start in range(0, len(bodies), 10):
        response = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start:start + 10])])
        assert not response.get("Failed"), response["Failed"]


def queue_depth(cloud: LocalCloud, service: str) -> int:
    """Messages waiting in a consumer queue or being handled (received, not yet deleted)."""
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.outputs[f"{service.capitalize()}QueueUrl"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def settled(cloud: LocalCloud, services: Iterable[str] = SERVICES, *, timeout: float = 90.0,
            quiet_for: float = 1.0) -> None:
    """Wait until every consumer queue is empty (nothing waiting, nothing in flight) and stays so
    for `quiet_for` seconds: each message delivered so far was handled and deleted."""
    services = list(services)
    deadline, quiet_since = time.monotonic() + timeout, None
    while True:
        depths = {service: queue_depth(cloud, service) for service in services}
        if not any(depths.values()):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= quiet_for:
                return
        else:
            quiet_since = None
        if time.monotonic() > deadline:
            raise AssertionError(f"consumer queues still busy after {timeout:.0f} s: {depths}")
        time.sleep(0.2)


def scan(cloud: LocalCloud, service: str, prefix: str, **filters: str) -> list[dict[str, Any]]:
    """Every item of a service's table whose pk starts with `prefix` (and whose string attributes
    contain the given values), read in the table itself."""
    dynamodb = cloud.client("dynamodb")
    condition, values, names = ["begins_with(pk, :prefix)"], {":prefix": {"S": prefix}}, {}
    for i, (attribute, value) in enumerate(filters.items()):
        condition.append(f"contains(#a{i}, :v{i})")
        names[f"#a{i}"], values[f":v{i}"] = attribute, {"S": value}
    kwargs: dict[str, Any] = {"TableName": cloud.outputs[f"{service.capitalize()}TableName"],
                              "FilterExpression": " AND ".join(condition), "ExpressionAttributeValues": values}
    if names:
        kwargs["ExpressionAttributeNames"] = names
    items = []
    while True:
        page = dynamodb.scan(**kwargs)
        items += [deserialize(item) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def outbox(cloud: LocalCloud, service: str, device_id: str) -> list[EventEnvelope]:
    """The events a service's outbox holds about a device: what it published (or will)."""
    return [EventEnvelope.model_validate_json(item["envelope"])
            for item in scan(cloud, service, OUTBOX_PREFIX, envelope=f'"subject":"{device_id}"')]


def take_dead_letters(cloud: LocalCloud, service: str, marks: set[str], *, timeout: float) -> dict[str, dict]:
    """Wait until every body carrying one of `marks` is in the service's dead-letter queue, and
    take them out (the queue is left as it was found). Returns them by mark; fails naming the
    missing ones after `timeout` seconds."""
    sqs, url = cloud.client("sqs"), cloud.outputs[f"{service.capitalize()}DeadLetterQueueUrl"]
    found: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    while set(found) != marks:
        # Someone else's message is hidden for 2 s only, so the next pages show what lies behind it.
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=2,
                                           AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", []):
            mark = next((m for m in marks if m in message["Body"]), None)
            if mark is None:
                continue
            found.setdefault(mark, message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if set(found) != marks:
            if time.monotonic() > deadline:
                raise AssertionError(f"not in {service}'s dead-letter queue after {timeout:.0f} s: "
                                     f"{sorted(marks - set(found))}")
            time.sleep(0.5)
    return found


def table_state(cloud: LocalCloud, service: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item of a service's table by key, but the consumers' idempotency records (a new event
    id rightly gets one): what the service knows."""
    return {(item["pk"], item["sk"]): item for item in scan(cloud, service, "")
            if item["pk"] != "IDEMPOTENCY"}


def changes(before: dict[tuple[str, str], dict], after: dict[tuple[str, str], dict]) -> list[str]:
    """The keys of items added, removed or changed between two `table_state`s."""
    return sorted([f"+ {pk} {sk}" for pk, sk in after.keys() - before.keys()]
                  + [f"- {pk} {sk}" for pk, sk in before.keys() - after.keys()]
                  + [f"~ {pk} {sk}" for (pk, sk) in before.keys() & after.keys()
                     if before[(pk, sk)] != after[(pk, sk)]])


def consumers_of(event_type: str) -> list[str]:
    """The services whose bus rule (template.yaml) routes this event type to their queue."""
    from samtranslator.yaml_helper import yaml_parse

    from devtools.localcloud.paths import TEMPLATE

    resources = yaml_parse(TEMPLATE.read_text())["Resources"]
    return sorted(name.removesuffix("EventsRule").lower() for name, resource in resources.items()
                  if resource["Type"] == "AWS::Events::Rule"
                  and event_type in resource["Properties"].get("EventPattern", {}).get("detail-type", []))
