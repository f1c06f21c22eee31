"""Dead letters on the local cloud: a consumer that cannot apply an event sends it, after its last
delivery, to its dead-letter queue with the error; an administrator sees it over /operations, fixes
the cause, redrives it, and the event takes effect exactly once, even if a copy comes twice.

The poison is real: sales sells a reserved device whose reservation allocation has lost (the test
removes the item from allocation's table, and puts it back as "the fix"), so allocation's consumer
raises on the genuine DeviceSold. Allocation's queue hides a failed message for 60 s and allows 5
deliveries: for the test's duration its visibility timeout is cut to a few seconds, then restored.
"""

from __future__ import annotations

import json
import time
import uuid
from contextlib import contextmanager

import pytest

from devtools import thin_path
from devtools.localcloud.__main__ import session_for
from tests.localcloud.cloud import LocalCloud, eventually

TERRITORY = "35"
QUICK_VISIBILITY_SECONDS = "3"


@contextmanager
def quick_retries(cloud: LocalCloud, queue_output: str):
    sqs, url = cloud.client("sqs"), cloud.outputs[queue_output]
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": QUICK_VISIBILITY_SECONDS})
    try:
        yield
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=before)


def reserved_device(cloud: LocalCloud) -> tuple[str, str, dict]:
    """A ready device reserved for a new referral, and its quote in sales (thin path, up to the sale)."""
    cloud.expect(200, "PUT", "/refurb/workshops/workshop-rennes", "admin",
                 {"name": "Atelier Rennes", "territories": [TERRITORY], "capacity": 1000})
    thin_path.register_donor(cloud, TERRITORY)
    lot = cloud.expect(201, "POST", "/intake/lots", "donor", {"expected_count": 1, "pickup_site": "Hôtel du Département"})
    device_id = cloud.expect(201, "POST", f"/intake/lots/{lot['lot_id']}/devices", "warehouse", {
        "serial_number": f"5CG{uuid.uuid4().hex[:7].upper()}", "make": "HP", "model": "EliteBook 840 G5",
        "device_type": "laptop", "specs": {"cpu_model": "i5-8250U", "ram_gb": 8, "drives": [{"kind": "nvme", "size_gb": 256}]},
    })["device_id"]
    eventually(lambda: cloud.call("GET", f"/refurb/work-orders/{device_id}", "workshop").ok, what="the work order")
    thin_path.refurbish(cloud, device_id)
    thin_path.register_referrer(cloud, TERRITORY)
    referral_id = cloud.expect(201, "POST", "/allocation/referrals", "referrer", {
        "beneficiary_ref": f"FT-{uuid.uuid4().hex[:8]}", "category": "job_seeker", "territory": TERRITORY,
        "eligibility_proof_ref": "attestation-2026-11"})["referral_id"]
    quote = eventually(lambda: (r := cloud.call("GET", f"/sales/quotes/{device_id}", "pos")).ok and r.json(),
                       what="the reservation's quote in sales", timeout=60)
    return device_id, referral_id, quote


def dead_letters(cloud: LocalCloud, queue: str) -> dict:
    [listed] = cloud.expect(200, "GET", f"/operations/dead-letters?queue={queue}&limit=50", "admin")["queues"]
    return listed


def dead_letter_of(cloud: LocalCloud, queue: str, device_id: str, event_type: str) -> dict | None:
    """The dead letter of `event_type` for the device: its id is the sale's event, unknown to the test."""
    for message in dead_letters(cloud, queue)["messages"]:
        if message["event_type"] == event_type and device_id in (message.get("error_message") or ""):
            return message
    return None


def logged(cloud: LocalCloud, function_part: str, phrase: str, value: str) -> int:
    """How many lines of the function's log say `phrase` about `value`."""
    logs, count = cloud.client("logs"), 0
    groups = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
              if function_part in g["logGroupName"]]
    for group in groups:
        for event in logs.filter_log_events(logGroupName=group, filterPattern=f'"{value}"').get("events", []):
            try:
                line = json.loads(event["message"])
            except ValueError:
                continue
            count += line.get("message") == phrase
    return count


def message_body(cloud: LocalCloud, queue_output: str, message_id: str) -> str | None:
    """A message's body, read straight from the queue and left visible."""
    response = cloud.client("sqs").receive_message(QueueUrl=cloud.outputs[queue_output], MaxNumberOfMessages=10,
                                                   VisibilityTimeout=0)
    return next((m["Body"] for m in response.get("Messages", []) if m["MessageId"] == message_id), None)


def queue_drained(cloud: LocalCloud, queue_output: str) -> bool:
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.outputs[queue_output],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return all(int(value) == 0 for value in attributes.values())


@pytest.mark.usefixtures("thin_path_workshop_restored")
def test_a_sale_allocation_could_not_apply_is_redriven_after_the_fix_and_applied_once(local_cloud: LocalCloud):
    cloud = local_cloud
    device_id, referral_id, quote = reserved_device(cloud)
    table = session_for(cloud.endpoint).resource("dynamodb").Table(cloud.outputs["AllocationTableName"])
    reservation_key = {"pk": f"RESERVATION#{quote['reservation_id']}", "sk": "RESERVATION"}
    reservation = table.get_item(Key=reservation_key, ConsistentRead=True)["Item"]

    with quick_retries(cloud, "AllocationQueueUrl"):
        table.delete_item(Key=reservation_key)  # the cause: allocation no longer knows the reservation
        sale = cloud.expect(201, "POST", "/sales/sales", "pos", {
            "device_id": device_id, "payments": [{"method": "card", "amount_eur": quote["price_eur"]}]})
        started = time.monotonic()
        stuck = eventually(lambda: dead_letter_of(cloud, "allocation", device_id, "DeviceSold"),
                           what="the sale in allocation's dead-letter queue", timeout=90, interval=1)
        seconds_to_dead_letter = time.monotonic() - started

        assert stuck["error"] == "LookupError"
        assert stuck["error_message"] == (f"sale of {device_id} for unknown reservation {quote['reservation_id']}")
        redrive_policy = json.loads(cloud.client("sqs").get_queue_attributes(
            QueueUrl=cloud.outputs["AllocationQueueUrl"], AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])
        assert stuck["receive_count"] == int(redrive_policy["maxReceiveCount"]) and stuck["failed_at"]
        assert cloud.call("GET", f"/allocation/referrals/{referral_id}", "referrer").json()["status"] == "reserved"

        # A last delivery slower than the test's 3 s visibility (a fresh worker, a busy machine) lets the
        # queue move a second copy itself, without the error. Once the source queue is empty, every copy
        # is here; both are redriven and the sale still counts once.
        eventually(lambda: queue_drained(cloud, "AllocationQueueUrl"), what="no copy left in allocation's queue")
        listing = dead_letters(cloud, "allocation")
        copies = sum(m["event_id"] == stuck["event_id"] for m in listing["messages"])
        body = eventually(lambda: message_body(cloud, "AllocationDeadLetterQueueUrl", stuck["message_id"]),
                          what="the dead letter's body")
        table.put_item(Item=reservation)  # the fix
        moved = cloud.expect(200, "POST", "/operations/dead-letters/allocation/redrive", "admin")
        assert moved["method"] == "receive-send-delete"  # the emulator refuses StartMessageMoveTask
        assert moved["moved"] == moved["to_move"] == listing["waiting"] >= copies >= 1

        referral = eventually(
            lambda: (r := cloud.call("GET", f"/allocation/referrals/{referral_id}", "referrer").json())["status"]
            == "fulfilled" and r, what="the referral fulfilled by the redriven sale", timeout=60)
        assert referral["device_id"] == device_id
        # A crash between the redrive's send and its delete would deliver the sale again: absorbed.
        cloud.client("sqs").send_message(QueueUrl=cloud.outputs["AllocationQueueUrl"], MessageBody=body)
        eventually(lambda: queue_drained(cloud, "AllocationQueueUrl"), what="the copy handled", timeout=60)

    assert logged(cloud, "AllocationConsumer", "referral fulfilled", referral_id) == 1
    assert stuck["event_id"] not in [m["event_id"] for m in dead_letters(cloud, "allocation")["messages"]]
    stored = table.get_item(Key=reservation_key, ConsistentRead=True)["Item"]
    assert (stored["status"], stored["sale_id"]) == ("fulfilled", sale["sale_id"])
    print(f"\nsale dead-lettered {seconds_to_dead_letter:.1f} s after it was made ({stuck['receive_count']} deliveries, "
          f"{QUICK_VISIBILITY_SECONDS} s visibility), {copies} cop{'y' if copies == 1 else 'ies'} waiting; "
          f"redrive moved {moved['moved']} by {moved['method']}")
