"""A device brought back under warranty: its work order reopens for repair → ready (or scrap)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from refurb.handlers import api, consumer
from shared.events import open_envelope
from shared.events.refurb import WarrantyRepairCompleted
from shared.events.sales import WarrantyClaimOpened
from tests.unit.refurb.test_api import STEP_BODIES, receive, register, step, walk, workshop_state
from tests.unit.support import all_items, call, deliver, device_received, outbox_envelopes_in


def claim(device_id: str = "dev-1", claim_id: str = "claim-1") -> WarrantyClaimOpened:
    return WarrantyClaimOpened(device_id=device_id, claim_id=claim_id, sale_id="sale-1",
                               claim_reference=f"pos-1-2026-000001-W{claim_id[-1]}", fault_category="keyboard")


@pytest.fixture
def sold_device(table) -> str:
    register()
    receive("dev-1")
    walk("dev-1", *STEP_BODIES)
    return "dev-1"


def test_a_warranty_claim_reopens_the_work_order_with_its_workshop(sold_device):
    assert deliver(consumer.handler, claim().to_envelope())["batchItemFailures"] == []
    order = call(api.handler, "GET", f"/refurb/work-orders/{sold_device}", "workshop").body
    assert (order["kind"], order["status"], order["workshop_id"]) == ("warranty", "awaiting_repair", "workshop-rennes")
    assert [(c["claim_id"], c["claim_reference"], c["fault_category"]) for c in order["claims"]] == [
        ("claim-1", "pos-1-2026-000001-W1", "keyboard")]  # what the workshop reads and quotes
    assert workshop_state()["open_orders"] == 1


def test_a_warranty_repair_ends_in_its_own_event_not_a_second_device_ready(sold_device, dynamodb):
    deliver(consumer.handler, claim().to_envelope())
    assert step(sold_device, "grade").status == 409  # repair → ready only
    repaired = step(sold_device, "repair", {"parts": [{"name": "keyboard fr-azerty", "cost_eur": "18.50"}],
                                            "retested": {"keyboard": "works"}})
    assert repaired.status == 200, repaired.body
    assert step(sold_device, "ready").status == 200

    assert len(outbox_envelopes_in(dynamodb, "DeviceReady")) == 1  # the first one, from refurbishment
    [completed] = outbox_envelopes_in(dynamodb, "WarrantyRepairCompleted")
    event = open_envelope(completed)
    assert isinstance(event, WarrantyRepairCompleted)
    assert (event.claim_ids, event.parts, event.cost_eur, event.workshop_id) == (
        ["claim-1"], ["keyboard fr-azerty"], Decimal("18.50"), "workshop-rennes")
    assert workshop_state()["open_orders"] == 0


def test_a_device_back_under_warranty_can_be_scrapped(sold_device, dynamodb):
    deliver(consumer.handler, claim().to_envelope())
    scrapped = step(sold_device, "scrap", {"reason": "liquid_damage", "recycling_channel": "ecosystem"})
    assert (scrapped.status, scrapped.body["status"]) == (200, "scrapped")
    assert open_envelope(outbox_envelopes_in(dynamodb, "DeviceScrapped")[0]).at_step == "repair"


def test_a_claim_delivered_twice_or_for_an_unknown_or_scrapped_device_changes_nothing(table, dynamodb):
    register()
    receive("dev-2")
    step("dev-2", "scrap", {"reason": "motherboard_failure", "recycling_channel": "ecosystem"})
    before = [i for i in all_items(dynamodb) if i["pk"] != "IDEMPOTENCY"]

    result = deliver(consumer.handler, claim("dev-unknown").to_envelope(), claim("dev-2").to_envelope())
    assert result["batchItemFailures"] == []  # nothing to retry: they could never succeed
    after = [i for i in all_items(dynamodb) if i["pk"] != "IDEMPOTENCY"]
    assert after == before


def test_a_second_claim_joins_the_open_repair(sold_device):
    opened = claim().to_envelope()
    deliver(consumer.handler, opened, opened, claim(claim_id="claim-2").to_envelope())
    order = call(api.handler, "GET", f"/refurb/work-orders/{sold_device}", "workshop").body
    assert ([c["claim_id"] for c in order["claims"]], order["cycle"]) == (["claim-1", "claim-2"], 1)
    assert workshop_state()["open_orders"] == 1


def test_a_reception_and_a_claim_delivered_twice_claim_one_place_and_keep_no_idempotency_record(table, dynamodb):
    """Refurb's consumer is idempotent by its own writes: a redelivery finds the work order (or the
    claim) written and changes nothing, without two more requests for an idempotency record."""
    register()
    received = device_received("dev-1").to_envelope()
    assert deliver(consumer.handler, received, received)["batchItemFailures"] == []
    deliver(consumer.handler, received)
    assert workshop_state()["open_orders"] == 1
    assert len(outbox_envelopes_in(dynamodb, "WorkOrderAssigned")) == 1

    walk("dev-1", *STEP_BODIES)
    opened = claim().to_envelope()
    deliver(consumer.handler, opened)
    stored = sorted(str(i) for i in all_items(dynamodb))
    deliver(consumer.handler, opened, opened)
    assert sorted(str(i) for i in all_items(dynamodb)) == stored
    assert workshop_state()["open_orders"] == 1
    assert [i for i in all_items(dynamodb) if i["pk"] == "IDEMPOTENCY"] == []
