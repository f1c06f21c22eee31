"""Forged events on the local cloud: an event whose source is not the owner of its type lands in the
consumers' dead-letter queues, with its reason, and changes nothing.

Locally IAM is not enforced, so anyone may put any source on the bus: this is exactly the
case the consumers' own check is for (on AWS the publishers' roles are also limited to their
own source, which tests/template proves).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from devtools import thin_path
from shared.events.sales import DeviceSold, SaleCancelled
from shared.publisher import to_entry
from tests.localcloud.cloud import LocalCloud, eventually

PATIENCE = 60.0


def put_forged(cloud: LocalCloud, envelope, *, bus_source: str) -> None:
    entry = to_entry(envelope, cloud.outputs["EventBusName"]) | {"Source": bus_source}
    assert cloud.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def dead_letter(cloud: LocalCloud, queue_output: str, event_id: str) -> dict[str, Any] | None:
    """The DLQ message carrying `event_id`, left visible for the other checks."""
    sqs = cloud.client("sqs")
    response = sqs.receive_message(QueueUrl=cloud.outputs[queue_output], MaxNumberOfMessages=10,
                                   VisibilityTimeout=0, MessageAttributeNames=["All"])
    for message in response.get("Messages", []):
        if json.loads(message["Body"])["detail"]["event_id"] == event_id:
            return {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    return None


def logged_rejection(cloud: LocalCloud, function_part: str, event_id: str) -> dict[str, Any] | None:
    logs = cloud.client("logs")
    groups = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
              if function_part in g["logGroupName"]]
    for group in groups:
        for event in logs.filter_log_events(logGroupName=group, filterPattern=f'"{event_id}"').get("events", []):
            try:
                line = json.loads(event["message"])
            except ValueError:
                continue
            if "rejected" in line.get("message", ""):
                return line
    return None


def test_a_sale_announced_by_intake_lands_in_a_dead_letter_queue_with_its_reason(local_cloud: LocalCloud):
    cloud = local_cloud
    forged = DeviceSold(device_id="forged-device", sale_id="forged-sale", reservation_id="forged-reservation",
                        point_of_sale_id="pos-rennes-centre", receipt_number="pos-rennes-centre-2026-999999",
                        price_eur="1.00").to_envelope().model_copy(update={"source": "seconde-vie.intake"})
    put_forged(cloud, forged, bus_source="seconde-vie.intake")  # intake's rule takes DeviceSold from any service

    attributes = eventually(lambda: dead_letter(cloud, "IntakeDeadLetterQueueUrl", forged.event_id),
                            what="the forged sale in intake's dead-letter queue", timeout=PATIENCE)
    assert attributes["claimed_source"] == "seconde-vie.intake"
    assert attributes["expected_source"] == "seconde-vie.sales"
    assert attributes["event_type"] == "DeviceSold"
    line = eventually(lambda: logged_rejection(cloud, "IntakeConsumer", forged.event_id),
                      what="the rejection in intake's consumer log", timeout=PATIENCE)
    assert (line["event_id"], line["claimed_source"], line["expected_source"]) == (
        forged.event_id, "seconde-vie.intake", "seconde-vie.sales")
    assert cloud.call("GET", "/intake/devices/forged-device/timeline", "admin").status_code == 404


@pytest.mark.usefixtures("thin_path_workshop_restored")
def test_a_cancellation_signed_by_another_service_does_not_reopen_a_referral(local_cloud: LocalCloud):
    cloud = local_cloud
    run = thin_path.run(cloud)
    # The bus says sales (what a role without the IAM condition could claim), the envelope says intake.
    forged = SaleCancelled(device_id=run.device_id, sale_id=run.sale["sale_id"],
                           reservation_id=run.sale["reservation_id"], refund_eur=run.sale["price_eur"],
                           ).to_envelope().model_copy(update={"source": "seconde-vie.intake"})
    put_forged(cloud, forged, bus_source="seconde-vie.sales")

    attributes = eventually(lambda: dead_letter(cloud, "AllocationDeadLetterQueueUrl", forged.event_id),
                            what="the forged cancellation in allocation's dead-letter queue", timeout=PATIENCE)
    assert (attributes["claimed_source"], attributes["envelope_source"], attributes["expected_source"]) == (
        "seconde-vie.sales", "seconde-vie.intake", "seconde-vie.sales")
    eventually(lambda: dead_letter(cloud, "IntakeDeadLetterQueueUrl", forged.event_id),
               what="the forged cancellation in intake's dead-letter queue", timeout=PATIENCE)
    referral = cloud.call("GET", f"/allocation/referrals/{run.referral_id}", "referrer").json()
    assert referral["status"] == "fulfilled" and referral["device_id"] == run.device_id
    timeline = cloud.call("GET", f"/intake/devices/{run.device_id}/timeline", "admin").json()["items"]
    assert "SaleCancelled" not in [s["event_type"] for s in timeline]
