"""Sales over the local cloud: racing sales keep receipt numbers gap-free, and a warranty
claim sends the device back to its workshop."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from shared import clock
from devtools import thin_path
from shared.events.allocation import DeviceReserved
from shared.publisher import to_entry
from tests.localcloud.cloud import LocalCloud, eventually

RACING_SALES = 8


def announce_reservations(cloud: LocalCloud, device_ids: list[str]) -> None:
    """Allocation's DeviceReserved, put on the bus the way its publisher does."""
    expires = datetime.now(timezone.utc) + timedelta(days=14)
    entries = [
        to_entry(DeviceReserved(
            device_id=device_id, reservation_id=str(uuid.uuid4()), referral_id=str(uuid.uuid4()),
            beneficiary_category="student", grade="B", device_type="laptop", expires_at=expires, territory="35",
        ).to_envelope(), cloud.outputs["EventBusName"])
        for device_id in device_ids
    ]
    events = cloud.client("events")
    for start in range(0, len(entries), 10):
        assert events.put_events(Entries=entries[start:start + 10])["FailedEntryCount"] == 0


def test_sales_racing_at_one_point_of_sale_get_consecutive_receipt_numbers(local_cloud: LocalCloud):
    cloud = local_cloud
    devices = [f"race-{uuid.uuid4().hex[:10]}" for _ in range(RACING_SALES)]
    announce_reservations(cloud, devices)
    for device_id in devices:
        eventually(lambda d=device_id: cloud.call("GET", f"/sales/quotes/{d}", "pos").ok,
                   what=f"sales learning the reservation of {device_id}")

    def sell_as_pos(device_id: str):
        return cloud.call("POST", "/sales/sales", "pos",
                          {"device_id": device_id, "payments": [{"method": "cash", "amount_eur": "90.00"}]})

    with ThreadPoolExecutor(max_workers=RACING_SALES) as pool:
        responses = list(pool.map(sell_as_pos, devices))
    assert [r.status_code for r in responses] == [201] * RACING_SALES, [r.text for r in responses]
    sequences = sorted(r.json()["sequence"] for r in responses)
    assert sequences == list(range(sequences[0], sequences[0] + RACING_SALES))  # no gap, no repeat
    assert len({r.json()["receipt_number"] for r in responses}) == RACING_SALES
    # a device is sold once, however many times it is tried
    assert sell_as_pos(devices[0]).status_code == 404


def test_a_warranty_claim_sends_the_device_back_to_its_workshop(local_cloud: LocalCloud):
    cloud = local_cloud
    run = thin_path.run(cloud)
    sale_id = run.sale["sale_id"]
    handed = cloud.call("POST", f"/sales/sales/{sale_id}/handover", "pos",
                        {"handed_over_on": clock.today().isoformat()})
    assert handed.status_code == 200, handed.text
    note = "trois touches du clavier ne répondent plus"
    claim = cloud.call("POST", f"/sales/sales/{sale_id}/warranty-claims", "pos",
                       {"fault_category": "keyboard", "note": note})
    assert claim.status_code == 201, claim.text
    assert claim.json()["claim_reference"] == f"{run.sale['receipt_number']}-W1"

    def reopened():
        order = cloud.call("GET", f"/refurb/work-orders/{run.device_id}", "admin").json()
        return order if order.get("status") == "awaiting_repair" else None

    order = eventually(reopened, what="refurb reopening the work order for the warranty repair")
    assert order["kind"] == "warranty"
    [reopened_for] = [c for c in order["claims"] if c["claim_id"] == claim.json()["claim_id"]]
    assert (reopened_for["claim_reference"], reopened_for["fault_category"]) == (
        claim.json()["claim_reference"], "keyboard")
    def timeline_with_the_claim():
        steps = cloud.call("GET", f"/intake/devices/{run.device_id}/timeline", "admin").json()["items"]
        return steps if "WarrantyClaimOpened" in [s["event_type"] for s in steps] else None

    timeline = eventually(timeline_with_the_claim, what="the claim in the device's timeline")
    types = [s["event_type"] for s in timeline]
    assert types.index("DeviceHandedOver") < types.index("WarrantyClaimOpened")
    # the point of sale's note stayed in sales: neither the workshop nor the timeline has it
    assert note not in json.dumps(order, ensure_ascii=False) + json.dumps(timeline, ensure_ascii=False)
    kept = cloud.expect(200, "GET", f"/sales/sales/{sale_id}", "pos")["warranty_claims"]
    assert [c["note"] for c in kept] == [note]
