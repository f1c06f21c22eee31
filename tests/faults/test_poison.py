"""Poison messages: three messages no consumer can ever handle, amid ten good ones in refurb's
queue. The ten are done (one work order each), the three land in refurb's dead-letter queue
after exactly `ConsumerMaxReceiveCount` deliveries, none is lost, and the queue is empty after.

Three kinds of poison: a body that is not an event, an event that breaks its contract, and an
event the service has no handler for (a wiring error). The queue's visibility timeout (60 s
deployed) is lowered to a few seconds for the test and put back after: it sets only the pace
of the redeliveries, so the five deliveries take seconds instead of five minutes.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import datetime, timezone

from shared.dead_letters import RECEIVE_COUNT
from shared.events import EventEnvelope
from shared.events.intake import DeviceReceived
from shared.events.sales import DeviceSold
from shared.events.vocabulary import DeviceSpecs, Provenance
from tests.faults.conftest import RUN, TERRITORY
from tests.faults.plumbing import bus_message, enqueue, settled, take_dead_letters
from tests.localcloud.cloud import LocalCloud

GOOD = 10
PACE_SECONDS = 3
SPECS = DeviceSpecs(ram_gb=8, drives=[{"kind": "ssd", "size_gb": 256}])


def received(device_id: str) -> EventEnvelope:
    return DeviceReceived(
        device_id=device_id, lot_id=f"lot-poison-{RUN}", donor_id=f"donor-faults-{RUN}",
        provenance=Provenance(donor_type="public_body", territory=TERRITORY), label_code=f"SV-{device_id[-9:]}",
        serial_number=device_id.upper(), make="HP", model="ProBook 450 G6", device_type="laptop", specs=SPECS,
    ).to_envelope()


def poisons(run: str) -> dict[str, str]:
    """Mark → body of each poison message (the mark is in the body, to find it in the DLQ)."""
    breaks_its_contract = EventEnvelope(
        event_id=str(uuid.uuid4()), event_type="DeviceReceived", schema_version=1,
        occurred_at=datetime.now(timezone.utc), source="seconde-vie.intake", subject=f"poison-contract-{run}",
        correlation_id=str(uuid.uuid4()), payload={"device_id": f"poison-contract-{run}"})
    not_for_refurb = DeviceSold(device_id=f"poison-unrouted-{run}", sale_id="s", reservation_id="r",
                                point_of_sale_id="pos-faults", receipt_number="pos-faults-2026-000001",
                                price_eur="90.00").to_envelope()
    return {f"poison-not-json-{run}": f"poison-not-json-{run} is not an event",
            f"poison-contract-{run}": bus_message(breaks_its_contract),
            f"poison-unrouted-{run}": bus_message(not_for_refurb)}


def work_orders(cloud: LocalCloud, device_ids: list[str]) -> dict[str, int]:
    """How many work orders refurb's table holds for each device."""
    dynamodb = cloud.client("dynamodb")
    return {d: len(dynamodb.query(TableName=cloud.outputs["RefurbTableName"], KeyConditionExpression="pk = :pk",
                                  ExpressionAttributeValues={":pk": {"S": f"WORKORDER#{d}"}})["Items"])
            for d in device_ids}


def deliveries_before_dead(message: dict) -> int:
    """How many times the consumer got a dead letter: the count the consumer wrote on it when it
    sent it there itself (shared/dead_letters.py), else the queue's own count, which moved with
    the message (less the receive that took it out of the DLQ)."""
    written = message.get("MessageAttributes", {}).get(RECEIVE_COUNT)
    if written:
        return int(written["StringValue"])
    return int(message["Attributes"]["ApproximateReceiveCount"]) - 1


def test_poison_messages_land_in_the_dead_letter_queue_and_the_rest_of_the_batch_is_done(
        local_cloud: LocalCloud, figures):
    sqs, queue = local_cloud.client("sqs"), local_cloud.outputs["RefurbQueueUrl"]
    run = uuid.uuid4().hex[:8]
    good = {f"poison-good-{run}-{i:02d}": received(f"poison-good-{run}-{i:02d}") for i in range(GOOD)}
    bad = poisons(run)
    bodies = [bus_message(e) for e in good.values()] + list(bad.values())
    random.shuffle(bodies)
    max_receive_count = json.loads(sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])[
        "Attributes"]["RedrivePolicy"])["maxReceiveCount"]
    paced = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": str(PACE_SECONDS)})
    try:
        started = time.monotonic()
        enqueue(local_cloud, "refurb", bodies)
        dead = take_dead_letters(local_cloud, "refurb", set(bad),
                                 timeout=(int(max_receive_count) + 3) * PACE_SECONDS + 30)
        seconds = time.monotonic() - started
        settled(local_cloud, ["refurb"])
    finally:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes=paced)

    orders = work_orders(local_cloud, list(good))
    deliveries = {mark: deliveries_before_dead(message) for mark, message in dead.items()}
    figures.sent = len(bodies)
    figures.correct = sum(count == 1 for count in orders.values()) + len(dead)
    figures.lost = sum(count == 0 for count in orders.values()) + len(bad) - len(dead)
    figures.duplicated = sum(count - 1 for count in orders.values() if count > 1)
    figures.note = (f"{GOOD} good + {len(bad)} poison in refurb's queue; poison delivered "
                    f"{sorted(set(deliveries.values()))} times, in the DLQ after {seconds:.0f} s "
                    f"(maxReceiveCount {max_receive_count}, visibility {PACE_SECONDS} s)")
    assert orders == {device_id: 1 for device_id in good}
    assert set(dead) == set(bad)
    assert set(deliveries.values()) == {int(max_receive_count)}
    assert all(dead[mark]["Body"] == body for mark, body in bad.items())  # moved whole, not rewritten
