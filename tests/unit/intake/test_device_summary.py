"""The summary intake keeps of each device from the events: what the documents and the passport read.

Queues deliver late, twice and out of order: the summary must still say what the events say in
the order they happened."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from intake.adapters.repository import IntakeRepository
from intake.domain.passport import DeviceStage, stage_after
from intake.handlers import consumer
from shared.events.allocation import ReservationReleased
from shared.events.refurb import DeviceScrapped
from shared.events.sales import DeviceHandedOver, SaleCancelled, WarrantyClaimOpened
from shared.events.vocabulary import BeneficiaryCategory
from tests.unit.intake.document_samples import certificate
from tests.unit.support import T0, deliver, device_ready, device_received, device_reserved, device_sold, items_with_prefix

DEVICE = "dev-1"


def summary():
    return IntakeRepository().summary(DEVICE)


def life_of_a_device() -> list:
    """A device's events as they happened: reserved once, released, reserved again, sold, handed over,
    brought back under warranty."""
    first, second = device_reserved(DEVICE, reservation_id="res-1"), device_reserved(DEVICE, reservation_id="res-2")
    first = first.model_copy(update={"beneficiary_category": BeneficiaryCategory.YOUNG_PERSON})
    sold = device_sold(DEVICE, "res-2")
    events = [
        device_received(DEVICE),
        certificate(DEVICE, "NV-001", "HD-002"),
        device_ready(DEVICE, grade="B"),
        first,
        ReservationReleased(device_id=DEVICE, reservation_id="res-1", referral_id=first.referral_id, reason="expired"),
        second,
        sold,
        DeviceHandedOver(device_id=DEVICE, sale_id=sold.sale_id, point_of_sale_id="pos-rennes-centre"),
        WarrantyClaimOpened(device_id=DEVICE, claim_id="claim-1", sale_id=sold.sale_id, claim_reference="pos-1-2026-000001-W1",
                            fault_category="battery"),
    ]
    return [e.to_envelope(occurred_at=T0 + timedelta(hours=n)) for n, e in enumerate(events)]


@pytest.mark.parametrize("seed", range(4))
def test_whatever_the_delivery_order_the_summary_is_the_devices_story_in_the_order_it_happened(table, seed):
    envelopes = life_of_a_device()
    shuffled = envelopes[:]
    random.Random(seed).shuffle(shuffled)

    for start in range(0, len(shuffled), 3):  # in batches, as the queue hands them over
        assert deliver(consumer.handler, *shuffled[start:start + 3])["batchItemFailures"] == []
    deliver(consumer.handler, *shuffled[:2])  # and some twice

    found = summary()
    assert found.stage == stage_after(e.event_type for e in envelopes) == DeviceStage.HANDED_OVER
    assert found.grade == "B"
    assert found.beneficiary_category == "job_seeker"  # the reservation that led to the sale, not the released one
    assert found.erasure_certificate == certificate(DEVICE, "NV-001", "HD-002")


def test_the_summary_keeps_the_beneficiarys_category_never_the_referral(table, dynamodb):
    reserved = device_reserved(DEVICE)
    deliver(consumer.handler, reserved.to_envelope(occurred_at=T0))

    [item] = [i for i in items_with_prefix(dynamodb, f"DEVICE#{DEVICE}") if i["sk"] == "PASSPORT"]
    assert item["beneficiary_category"] == "job_seeker"
    text = json.dumps(item, default=str)
    assert reserved.referral_id not in text and reserved.reservation_id not in text


@pytest.mark.parametrize("story, stage", [
    (["received", "scrapped"], DeviceStage.SCRAPPED),
    (["received", "ready", "reserved", "sold", "cancelled"], DeviceStage.READY),
    (["received", "ready", "reserved"], DeviceStage.RESERVED),
])
def test_the_stage_follows_scraps_and_cancelled_sales(table, story, stage):
    make = {
        "received": lambda: device_received(DEVICE),
        "ready": lambda: device_ready(DEVICE),
        "reserved": lambda: device_reserved(DEVICE, reservation_id="res-1"),
        "sold": lambda: device_sold(DEVICE, "res-1"),
        "cancelled": lambda: SaleCancelled(device_id=DEVICE, sale_id="s-1", reservation_id="res-1", refund_eur="99"),
        "scrapped": lambda: DeviceScrapped(device_id=DEVICE, reason="motherboard_failure"),
    }
    envelopes = [make[name]().to_envelope(occurred_at=T0 + timedelta(hours=n)) for n, name in enumerate(story)]
    deliver(consumer.handler, *reversed(envelopes))
    assert summary().stage == stage



def test_a_redelivered_story_changes_nothing_and_keeps_no_idempotency_record(table, dynamodb):
    """Intake's consumer is idempotent by its own writes: each event costs its timeline line and
    summary facts, not two more requests for an idempotency record."""
    envelopes = life_of_a_device()
    deliver(consumer.handler, *envelopes)
    stored = sorted((i["pk"], i["sk"], json.dumps(i, sort_keys=True, default=str)) for i in items_with_prefix(dynamodb, "DEVICE#"))

    deliver(consumer.handler, *envelopes)  # every event again, same ids
    deliver(consumer.handler, *reversed(envelopes))

    again = sorted((i["pk"], i["sk"], json.dumps(i, sort_keys=True, default=str)) for i in items_with_prefix(dynamodb, "DEVICE#"))
    assert again == stored
    assert len([i for i in stored if i[1].startswith("TIMELINE#")]) == len(envelopes)
    assert items_with_prefix(dynamodb, "IDEMPOTENCY") == []
