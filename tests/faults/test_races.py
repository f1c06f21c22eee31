"""Races of 20: on one person, one serial, one device and one point of sale, every racer sent at
the same instant (a barrier), and the winners counted in the tables, not only in status codes.

- 20 referrals of one beneficiary: one referral exists;
- 20 receptions of one serial: one device, one DeviceReceived, one work order;
- 20 sales of one device: one sale, one DeviceSold, the receipt counter moved by one;
- 20 sales of 20 devices at one point of sale: the receipts issued are gap-free and distinct,
  and so are they once the losers try again one by one (all of them are expected to win in the
  race itself once sales retries with backoff; how many do today is reported).

The devices sold are real reservations: ready devices of the tier's territory put in allocation's
pool (refurb's DeviceReady on the bus) and reserved by the tier's referrer, so that the sales
that follow are fulfilled by allocation like any other.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest
import requests

from shared.events.refurb import DeviceReady
from shared.events.vocabulary import DeviceSpecs, FunctionalSummary, Provenance
from tests.faults.conftest import PARTNERS, RUN, TERRITORY, FaultPartners
from tests.faults.plumbing import outbox, publish, scan, settled
from tests.localcloud.cloud import LocalCloud, eventually

RACERS = 20
RACE_TIMEOUT = 300  # seconds: room for the first race's cold starts
PRICE: dict[str, str] = {}  # each sellable device's quote, read once before the races
SPECS = DeviceSpecs(cpu_model="i5-8350U", ram_gb=8, drives=[{"kind": "ssd", "size_gb": 256}])


def race(partners: FaultPartners, role: str, service: str,
         attempt: Callable[[int], requests.Response]) -> list[requests.Response]:
    """`attempt(i)` by RACERS threads released together, as `role`, on `service`'s routes.

    The local cloud starts one worker per concurrent call: the first race on a function waits
    for 20 cold starts (a minute on a laptop's two cores), which end together, so the racers
    still meet. One call first puts the key's authorization in the HTTP API's cache (15 s),
    so that the authorizer does not have to start 20 workers too."""
    partners.expect(200, "GET", f"/{service}/health", role)
    start = threading.Barrier(RACERS)

    def racer(i: int) -> requests.Response:
        start.wait()
        return attempt(i)

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return list(pool.map(racer, range(RACERS)))


def statuses(responses: list[requests.Response]) -> dict[int, int]:
    return dict(sorted(Counter(r.status_code for r in responses).items()))


def referral(beneficiary_ref: str) -> dict:
    return {"beneficiary_ref": beneficiary_ref, "category": "job_seeker", "territory": TERRITORY,
            "eligibility_proof_ref": f"attestation-{RUN}"}


@pytest.fixture(scope="module")
def sellable(local_cloud: LocalCloud, partners: FaultPartners) -> list[str]:
    """1 + RACERS devices reserved in allocation for referrals of the tier's territory, and known
    to sales as sellable by the tier's point of sale."""
    devices = [f"race-{RUN}-{i:02d}" for i in range(1 + RACERS)]
    publish(local_cloud, [DeviceReady(
        device_id=d, grade="B", device_type="laptop", specs=SPECS,
        provenance=Provenance(donor_type="public_body", territory=TERRITORY), workshop_id=f"workshop-faults-{RUN}",
        erasure_certificate_id=f"cert-{d}", functional=FunctionalSummary(battery_health_pct=80, webcam=True),
    ).to_envelope() for d in devices])
    for d in devices:
        eventually(lambda d=d: partners.call("GET", f"/allocation/devices/{d}", "admin").ok,
                   f"{d} in allocation's pool", timeout=60)
    for i, _ in enumerate(devices):
        made = partners.expect(201, "POST", "/allocation/referrals", "referrer", referral(f"race-{RUN}-b{i:02d}"))
        assert made["status"] == "reserved", made
    for d in devices:
        quote = eventually(lambda d=d: (r := partners.call("GET", f"/sales/quotes/{d}", "point_of_sale")).ok and r.json(),
                           f"sales learning the reservation of {d}", timeout=60)
        PRICE[d] = quote["price_eur"]
    return devices


def sell(partners: FaultPartners, device_id: str, timeout: float = 60) -> requests.Response:
    return partners.call("POST", "/sales/sales", "point_of_sale", timeout=timeout, body={
        "device_id": device_id, "payments": [{"method": "cash", "amount_eur": PRICE[device_id]}]})


def receipts_issued(cloud: LocalCloud) -> int:
    """The tier's point of sale's receipt counter, read in sales' table (0 before its first sale)."""
    counter = [item for item in scan(cloud, "sales", f"RECEIPTS#{PARTNERS['point_of_sale']}#")
               if item["sk"] == "COUNTER"]
    return int(counter[0]["last_number"]) if counter else 0


def test_twenty_referrals_of_one_beneficiary_make_one(local_cloud: LocalCloud, partners: FaultPartners, figures):
    beneficiary = f"race-{RUN}-person"
    responses = race(partners, "referrer", "allocation", lambda _: partners.call(
        "POST", "/allocation/referrals", "referrer", referral(beneficiary), timeout=RACE_TIMEOUT))
    stored = scan(local_cloud, "allocation", "REFERRAL#", beneficiary_ref=beneficiary)
    winners = [r for r in responses if r.status_code == 201]
    for winner in winners:  # a waiting referral would take the next device of the territory
        partners.expect(200, "POST", f"/allocation/referrals/{winner.json()['referral_id']}/cancellation",
                        "referrer", {"reason": "fin de la course"})
    referrals = {item["referral_id"] for item in stored if item["sk"] == "REFERRAL"}
    figures.sent, figures.correct = RACERS, len(referrals)
    figures.duplicated = max(len(referrals) - 1, 0)
    figures.note = f"answers {statuses(responses)}; referrals stored: {len(referrals)}"
    assert len(winners) == 1 and referrals == {winners[0].json()["referral_id"]}, statuses(responses)
    assert all(r.status_code in (409, 422) for r in responses if r.status_code != 201), [r.text for r in responses]


def test_twenty_receptions_of_one_serial_make_one_device(local_cloud: LocalCloud, partners: FaultPartners, figures):
    lot = partners.expect(201, "POST", "/intake/lots", "donor", {"expected_count": 1, "pickup_site": "Essai"})
    serial = f"RC{uuid.uuid4().hex[:8].upper()}"
    device = {"serial_number": serial, "make": "Lenovo", "model": "ThinkPad T480", "device_type": "laptop",
              "specs": SPECS.model_dump(mode="json", exclude_none=True)}
    responses = race(partners, "warehouse", "intake", lambda _: partners.call(
        "POST", f"/intake/lots/{lot['lot_id']}/devices", "warehouse", device, timeout=RACE_TIMEOUT))
    settled(local_cloud, ["refurb", "intake"])
    devices = partners.expect(200, "GET", f"/intake/lots/{lot['lot_id']}/devices", "warehouse")["items"]
    announced = [e for e in scan(local_cloud, "intake", "OUTBOX#", envelope=serial)]
    orders = scan(local_cloud, "refurb", "WORKORDER#", serial_number=serial)
    figures.sent, figures.correct = RACERS, len(devices)
    figures.duplicated = max(len(devices) - 1, 0) + max(len(announced) - 1, 0) + max(len(orders) - 1, 0)
    figures.note = (f"answers {statuses(responses)}; devices {len(devices)}, DeviceReceived {len(announced)}, "
                    f"work orders {len(orders)}")
    assert statuses(responses).get(201) == 1, statuses(responses)
    assert all(r.status_code == 409 for r in responses if r.status_code != 201), [r.text for r in responses]
    [winner] = [r.json() for r in responses if r.status_code == 201]
    assert [d["device_id"] for d in devices] == [winner["device_id"]]
    assert len(announced) == 1 and [o["pk"] for o in orders] == [f"WORKORDER#{winner['device_id']}"]


def test_twenty_sales_of_one_device_make_one_sale(local_cloud: LocalCloud, partners: FaultPartners, sellable,
                                                  figures):
    device_id, issued_before = sellable[0], receipts_issued(local_cloud)
    responses = race(partners, "point_of_sale", "sales", lambda _: sell(partners, device_id, RACE_TIMEOUT))
    sales = scan(local_cloud, "sales", "SALE#", device_id=device_id)
    announced = [e for e in outbox(local_cloud, "sales", device_id) if e.event_type == "DeviceSold"]
    figures.sent, figures.correct = RACERS, len(sales)
    figures.duplicated = max(len(sales) - 1, 0) + max(len(announced) - 1, 0)
    figures.note = (f"answers {statuses(responses)}; sales {len(sales)}, DeviceSold {len(announced)}, "
                    f"receipts issued {receipts_issued(local_cloud) - issued_before}")
    assert statuses(responses).get(201) == 1, statuses(responses)
    assert all(r.status_code in (404, 409) for r in responses if r.status_code != 201), [r.text for r in responses]
    [winner] = [r.json() for r in responses if r.status_code == 201]
    assert [s["sale_id"] for s in sales] == [winner["sale_id"]] and len(announced) == 1
    assert receipts_issued(local_cloud) == issued_before + 1 == winner["sequence"]


def test_twenty_sales_at_one_point_of_sale_all_go_through_with_gap_free_receipts(
        local_cloud: LocalCloud, partners: FaultPartners, sellable, figures):
    """Nobody at the counter is turned away by contention (sales retries the receipt counter
    with jittered backoff, decision on receipts in docs/architecture.md)."""
    devices, issued_before = sellable[1:], receipts_issued(local_cloud)
    responses = race(partners, "point_of_sale", "sales", lambda i: sell(partners, devices[i], RACE_TIMEOUT))
    won = [r.json() for r in responses if r.status_code == 201]
    sequences = sorted(sale["sequence"] for sale in won)
    receipts = [sale["receipt_number"] for sale in won]
    duplicated = len(receipts) - len(set(receipts))
    figures.sent, figures.correct, figures.duplicated = RACERS, len(won), duplicated
    figures.lost = RACERS - len(won)
    figures.note = (f"answers {statuses(responses)}; receipts {sequences[:1] + sequences[-1:]}, "
                    f"lost = customers turned away")
    assert statuses(responses) == {201: RACERS}, [r.text for r in responses if r.status_code != 201]
    assert sequences == list(range(issued_before + 1, issued_before + 1 + RACERS))
    assert duplicated == 0 and receipts_issued(local_cloud) == issued_before + RACERS
