"""Sales over the local cloud: fifty sales racing at one point of sale all go through with
gap-free receipt numbers, a device is sold once whatever order allocation's events arrive in,
a warranty claim sends the device back to its workshop, and a point of sale finds a device by
its label, sells it and prints its receipt."""

from __future__ import annotations

import io
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from pypdf import PdfReader

from shared import clock
from devtools import thin_path
from shared.events.allocation import DeviceReserved, ReservationReleased
from shared.publisher import to_entry
from tests.localcloud.cloud import LocalCloud, eventually

RACING_SALES = 50
# On two shared cores the emulator serves fifty racers slower than AWS: past the server's 24 s
# of retries a desk is told to retry, and does.
DESK_RETRIES = 3
RACERS_FOR_ONE_DEVICE = 20
PAID = [{"method": "cash", "amount_eur": "90.00"}]


def put_on_the_bus(cloud: LocalCloud, envelopes: list) -> None:
    """Allocation's events, put on the bus the way its publisher does."""
    entries = [to_entry(envelope, cloud.outputs["EventBusName"]) for envelope in envelopes]
    events = cloud.client("events")
    for start in range(0, len(entries), 10):
        assert events.put_events(Entries=entries[start:start + 10])["FailedEntryCount"] == 0


def reservation_of(device_id: str, territory: str = "35") -> DeviceReserved:
    return DeviceReserved(
        device_id=device_id, reservation_id=str(uuid.uuid4()), referral_id=str(uuid.uuid4()),
        beneficiary_category="student", grade="B", device_type="laptop",
        expires_at=datetime.now(timezone.utc) + timedelta(days=14), territory=territory,
    )


def announce_reservations(cloud: LocalCloud, device_ids: list[str], territory: str = "35") -> list[DeviceReserved]:
    reservations = [reservation_of(device_id, territory) for device_id in device_ids]
    put_on_the_bus(cloud, [r.to_envelope() for r in reservations])
    return reservations


def release_of(reservation: DeviceReserved) -> ReservationReleased:
    return ReservationReleased(device_id=reservation.device_id, reservation_id=reservation.reservation_id,
                               referral_id=reservation.referral_id, reason="expired")


def new_point_of_sale(cloud: LocalCloud, territory: str = "35") -> tuple[str, dict[str, str]]:
    """A point of sale of its own (so its receipts start at 1), with the key the administrator issues it."""
    partner_id = f"pos-race-{uuid.uuid4().hex[:8]}"
    issued = cloud.http.post(cloud.base_url + "/access/keys", timeout=30,
                             json={"partner_id": partner_id, "role": "point_of_sale", "territory": territory},
                             headers={"Authorization": "Bearer dev-admin-key"})
    assert issued.status_code == 201, issued.text
    return partner_id, {"Authorization": f"Bearer {issued.json()['key']}"}


def sales_table_items(cloud: LocalCloud, device_id: str) -> dict[str, dict]:
    """What sales holds about a device, read in its table: reservations, hold, sale claim, sales."""
    dynamodb, table = cloud.client("dynamodb"), cloud.outputs["SalesTableName"]
    found = dynamodb.query(TableName=table, ConsistentRead=True, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": f"DEVICE#{device_id}"}})["Items"]
    # every page of the scan: after a whole test run the table is larger than one page
    sales = [item for page in dynamodb.get_paginator("scan").paginate(
                 TableName=table, ConsistentRead=True, FilterExpression="sk = :sale AND device_id = :device",
                 ExpressionAttributeValues={":sale": {"S": "SALE"}, ":device": {"S": device_id}})
             for item in page["Items"]]
    items = {i["sk"]["S"]: i for i in found}
    items |= {f"SALE {i['sale_id']['S']}": i for i in sales}
    return items


def reservation_status(cloud: LocalCloud, device_id: str, reservation_id: str) -> str | None:
    item = sales_table_items(cloud, device_id).get(f"RESERVATION#{reservation_id}")
    return item["status"]["S"] if item else None


def sales_consumer_said(cloud: LocalCloud, message: str, reservation_id: str) -> bool:
    """Whether sales' consumer logged `message` about the reservation (its log group, read whole)."""
    logs, functions = cloud.client("logs"), cloud.client("lambda")
    [name] = [f["FunctionName"] for page in functions.get_paginator("list_functions").paginate()
              for f in page["Functions"] if "SalesConsumer" in f["FunctionName"]]
    lines = [event["message"] for page in logs.get_paginator("filter_log_events").paginate(
        logGroupName=f"/aws/lambda/{name}") for event in page["events"]]
    return any(message in line and reservation_id in line for line in lines)


def test_fifty_sales_racing_at_one_point_of_sale_all_go_through_with_consecutive_receipts(local_cloud: LocalCloud):
    cloud = local_cloud
    partner_id, key = new_point_of_sale(cloud)
    devices = [f"race-{uuid.uuid4().hex[:10]}" for _ in range(RACING_SALES)]
    reservations = announce_reservations(cloud, devices)
    # Read in sales' table: fifty consumers starting at once keep the emulator busy for a while.
    for reservation in reservations:
        eventually(lambda r=reservation: reservation_status(cloud, r.device_id, r.reservation_id) == "reserved",
                   what=f"sales learning the reservation of {reservation.device_id}", timeout=120, interval=0.5)

    def sell(device_id: str):
        return cloud.http.post(cloud.base_url + "/sales/sales", headers=key, timeout=120,
                               json={"device_id": device_id, "payments": PAID})

    turned_back: list[str] = []

    def sell_as_a_desk_does(device_id: str):
        """The desk's retry on a 409 "retry": the server gave up after 24 s of racing and wrote
        nothing (the counters below would show a second sale or a gap)."""
        for _ in range(DESK_RETRIES):
            response = sell(device_id)
            if not (response.status_code == 409 and response.json()["message"].endswith("retry")):
                return response
            turned_back.append(device_id)
        return response

    # The emulator runs one process per concurrent invocation: fifty cold starts at once on two
    # cores take longer than any timeout. They are made first, ten more at a time, so that the
    # race measures the receipt counter, not the emulator's start-ups (on AWS they run apart).
    warm_up_started = time.monotonic()
    for width in range(10, RACING_SALES + 1, 10):
        with ThreadPoolExecutor(max_workers=width) as pool:
            assert set(pool.map(lambda _: cloud.http.get(cloud.base_url + "/sales/price-grid", headers=key,
                                                          timeout=120).status_code, range(width))) == {200}
    print(f"\n{RACING_SALES} sales functions started in {time.monotonic() - warm_up_started:.1f} s")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=RACING_SALES) as pool:
        responses = list(pool.map(sell_as_a_desk_does, devices))
    print(f"{RACING_SALES} concurrent sales at one point of sale: {time.monotonic() - started:.1f} s, "
          f"statuses {sorted({r.status_code for r in responses})}, {len(turned_back)} told to retry")
    assert [r.status_code for r in responses] == [201] * RACING_SALES, [r.text for r in responses if not r.ok]
    assert sorted(r.json()["sequence"] for r in responses) == list(range(1, RACING_SALES + 1))  # no gap, no repeat
    assert {r.json()["receipt_number"] for r in responses} == {
        f"{partner_id}-{r.json()['year']}-{n:06d}" for r in responses[:1] for n in range(1, RACING_SALES + 1)}
    # a device is sold once, however many times it is tried
    assert sell(devices[0]).status_code == 404


def reserved_twice(cloud: LocalCloud, prefix: str):
    """A device reserved in territory 35, then again in 44 before the first's release reaches
    sales: the second is parked. Returns the device id and both DeviceReserved."""
    device_id = f"{prefix}-{uuid.uuid4().hex[:10]}"
    [first] = announce_reservations(cloud, [device_id], territory="35")
    eventually(lambda: cloud.call("GET", f"/sales/quotes/{device_id}", "pos").ok, what="sales learning the first")
    second = reservation_of(device_id, territory="44")
    put_on_the_bus(cloud, [second.to_envelope()])
    eventually(lambda: reservation_status(cloud, device_id, second.reservation_id) == "parked",
               what="sales parking the second reservation")
    return device_id, first, second


def test_a_device_reserved_again_before_its_release_arrives_is_sold_once(local_cloud: LocalCloud):
    """Allocation released a reservation and reserved the device for someone in another territory;
    the second DeviceReserved reaches sales before the release (queues do not keep order)."""
    cloud = local_cloud
    device_id, first, second = reserved_twice(cloud, "twice")

    def sell(point_of_sale: str):
        return cloud.call("POST", "/sales/sales", point_of_sale, {"device_id": device_id, "payments": PAID})

    racers = ["pos", "pos-44"] * (RACERS_FOR_ONE_DEVICE // 2)
    with ThreadPoolExecutor(max_workers=RACERS_FOR_ONE_DEVICE) as pool:
        responses = list(pool.map(sell, racers))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1, [r.text for r in responses]
    assert set(statuses) <= {201, 404, 409}, [r.text for r in responses]
    [sale] = [r.json() for r in responses if r.status_code == 201]
    assert (sale["reservation_id"], sale["point_of_sale_id"]) == (first.reservation_id, "pos-rennes-centre")
    items = sales_table_items(cloud, device_id)
    assert [k for k in items if k.startswith("SALE ")] == [f"SALE {sale['sale_id']}"]  # one sale, one receipt
    assert items["SOLD"]["sale_id"]["S"] == sale["sale_id"]

    # the late release of the first: it was sold, so nothing becomes sellable
    put_on_the_bus(cloud, [release_of(first).to_envelope()])
    eventually(lambda: sales_consumer_said(cloud, "release of a reservation already sold", first.reservation_id),
               what="sales hearing the late release", timeout=60, interval=1)
    assert cloud.call("GET", f"/sales/quotes/{device_id}", "pos-44").status_code == 404
    assert reservation_status(cloud, device_id, first.reservation_id) == "sold"
    assert reservation_status(cloud, device_id, second.reservation_id) == "parked"
    assert sell("pos-44").status_code == 404
    assert len([k for k in sales_table_items(cloud, device_id) if k.startswith("SALE ")]) == 1


def test_the_release_arriving_late_hands_the_device_to_the_parked_reservation(local_cloud: LocalCloud):
    cloud = local_cloud
    device_id, first, second = reserved_twice(cloud, "handed")
    assert cloud.call("GET", f"/sales/quotes/{device_id}", "pos-44").status_code == 404

    put_on_the_bus(cloud, [release_of(first).to_envelope()])

    quote = eventually(lambda: (r := cloud.call("GET", f"/sales/quotes/{device_id}", "pos-44")).ok and r.json(),
                       what="the parked reservation taking the device")
    assert quote["reservation_id"] == second.reservation_id
    assert cloud.call("GET", f"/sales/quotes/{device_id}", "pos").status_code == 404
    sold = cloud.call("POST", "/sales/sales", "pos-44", {"device_id": device_id, "payments": PAID})
    assert sold.status_code == 201, sold.text
    assert sold.json()["reservation_id"] == second.reservation_id


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


def test_a_point_of_sale_finds_a_device_by_its_label_sells_it_in_two_payments_and_prints_the_receipt(
        local_cloud: LocalCloud):
    cloud = local_cloud
    reserved = thin_path.reserve_a_device(cloud)
    typed = reserved.label_code.lower().replace("-", " ")  # as a volunteer may type it off the label
    quote = eventually(lambda: (r := cloud.call("GET", f"/sales/quotes/by-label/{typed}", "pos")).ok and r.json(),
                       what="the reserved device found by its label in sales")
    assert (quote["device_id"], quote["label_code"]) == (reserved.device_id, reserved.label_code)
    price = Decimal(quote["price_eur"])
    first = (price / 2).quantize(Decimal("0.01"))
    sale = cloud.expect(201, "POST", "/sales/sales", "pos", {"device_id": reserved.device_id, "payments": [
        {"method": "cash", "amount_eur": str(first)}, {"method": "third_party", "amount_eur": str(price - first)}]})
    assert sale["label_code"] == reserved.label_code

    listed = cloud.expect(200, "GET", "/sales/sales?limit=1", "pos")
    assert [s["sale_id"] for s in listed["items"]] == [sale["sale_id"]]  # the newest first

    receipt = cloud.call("GET", f"/sales/sales/{sale['sale_id']}/receipt", "pos")
    assert receipt.status_code == 200, receipt.text
    assert receipt.headers["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF-")
    text = " ".join(PdfReader(io.BytesIO(receipt.content)).pages[0].extract_text().split())
    assert f"Reçu de vente N° {sale['receipt_number']}" in text
    assert reserved.label_code in text
    euros = lambda amount: f"{amount:,.2f}".replace(",", " ").replace(".", ",") + " €"  # noqa: E731
    assert f"Prix {euros(price)}" in text
    assert f"Espèces {euros(first)}" in text and f"Tiers payeur (aide sociale) {euros(price - first)}" in text

    other = cloud.call("GET", f"/sales/sales/{sale['sale_id']}/receipt", "pos-44")
    assert other.status_code == 404, other.text  # a point of sale of another territory
