"""Allocation on the local cloud: 30 ready devices from mixed donors and 50 referrals from three
territories, then sales, a handover, a cancelled sale, a withdrawn referral, an expiry by the
schedule, and many referrals racing for one device.

The devices reach allocation as refurb announces them: a DeviceReady on the bus (the dev
partners have one donor, a public body of territory 35 whose registration cannot change, so
mixed donors in other territories cannot come through intake's HTTP API; the thin path and
test_refurb prove that path). The referrals come over HTTP, one after the other, so that the
expected reservations are known: `Model` below is the documented rules written plainly (the
territory first for public bodies' and schools' devices for 30 days, needs, then fairness) and
every decision of the system must be the model's.

Territories 2A, 974 and 56 are used by no other test: the devices and referrals here never meet
theirs. The test leaves no referral waiting and no device open to every territory in the pool.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import requests

from shared import clock
from devtools import thin_path
from shared.events.refurb import DeviceReady
from shared.events.vocabulary import DeviceSpecs, FunctionalSummary, Provenance
from shared.publisher import to_entry
from tests.localcloud.cloud import LocalCloud, eventually

RUN = uuid.uuid4().hex[:6]
NOW = datetime.now(timezone.utc)
KEPT_FOR_TERRITORY = {"public_body", "school"}
WINDOW = timedelta(days=30)
RACERS = 8
PATIENCE = 60.0  # seconds for an event to go through the bus, a queue and a consumer on 2 shared cores


@dataclass
class Device:
    key: str
    donor: str
    territory: str
    ready_at: datetime
    webcam: bool = True
    battery: int | None = 90
    layout: str | None = "fr-azerty"
    ram: int = 8
    grade: str = "B"

    @property
    def id(self) -> str:
        return f"alloc-{RUN}-{self.key}"

    def ready(self) -> DeviceReady:
        return DeviceReady(
            device_id=self.id, grade=self.grade, device_type="laptop",
            specs=DeviceSpecs(cpu_model="i5-8350U", ram_gb=self.ram, drives=[{"kind": "ssd", "size_gb": 256}]),
            provenance=Provenance(donor_type=self.donor, territory=self.territory),
            workshop_id="workshop-rennes", erasure_certificate_id=f"cert-{self.key}",
            functional=FunctionalSummary(battery_health_pct=self.battery, webcam=self.webcam,
                                         keyboard_layout=self.layout))


@dataclass
class Referral:
    key: str
    territory: str
    priority: int = 3
    needs: dict[str, Any] = field(default_factory=dict)
    order: int = -1
    id: str | None = None

    def body(self) -> dict[str, Any]:
        return {"beneficiary_ref": f"B-{RUN}-{self.key}", "category": "young_person", "territory": self.territory,
                "eligibility_proof_ref": f"proof-{self.key}", "priority": self.priority,
                "needs": {"requirements": self.needs}}


def minutes_ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


# 20 devices ready before anyone is referred, then 10 while people wait (one is 40 days old: open to all)
POOL = (
    [Device(f"a{n:02d}", "public_body", "2A", minutes_ago(90 - n)) for n in range(4)]
    + [Device(f"a{n:02d}", "public_body", "2A", minutes_ago(90 - n), webcam=False, battery=55, ram=4, grade="C")
       for n in (4, 5)]
    + [Device(f"a{n:02d}", "school", "974", minutes_ago(90 - n), battery=80) for n in (6, 7, 8)]
    + [Device(f"a{n:02d}", "school", "974", minutes_ago(90 - n), battery=80, layout="us-qwerty") for n in (9, 10)]
    + [Device(f"a{n:02d}", "company", "56", minutes_ago(90 - n), battery=95, ram=16, grade="A") for n in (11, 12)]
    + [Device("a13", "company", "56", minutes_ago(77), webcam=False, battery=None, ram=4, grade="C")]
    + [Device(f"a{n:02d}", "company", "56", minutes_ago(90 - n), battery=95, ram=16, grade="A") for n in (14, 15)]
    + [Device(f"a{n:02d}", "company", "2A", minutes_ago(90 - n), webcam=False, battery=70) for n in (16, 17, 18)]
    + [Device("a19", "public_body", "56", minutes_ago(71), webcam=False, battery=60)]
)
ARRIVALS = (
    [Device(f"c{n:02d}", "public_body", "2A", minutes_ago(30 - n)) for n in (20, 21, 22)]
    + [Device(f"c{n:02d}", "school", "974", minutes_ago(30 - n), battery=85) for n in (23, 24)]
    + [Device(f"c{n:02d}", "company", "56", minutes_ago(30 - n), ram=16) for n in (25, 26, 27)]
    + [Device("c28", "public_body", "2A", NOW - timedelta(days=40))]
    + [Device("c29", "company", "974", minutes_ago(1), webcam=False, battery=50)]
)
EXPIRY_DEVICE = "a19"  # a public body's device of 56 that none of the 56 referrals can use (no webcam)


def priority(n: int, urgent: set[int], high: set[int]) -> int:
    return 1 if n in urgent else 2 if n in high else 3


NEEDS = {2: {"webcam": True}, 4: {"min_ram_gb": 16}, 7: {"webcam": True, "min_battery_health_pct": 85},
         10: {"keyboard_layout": "us-qwerty"}, 13: {"webcam": True},
         20: {"min_battery_health_pct": 85}, 25: {"keyboard_layout": "us-qwerty"}, 28: {"webcam": True},
         38: {"webcam": True, "min_ram_gb": 16}, 45: {"webcam": True, "min_battery_health_pct": 95}}
REFERRALS = (
    [Referral(f"r{n:02d}", "2A", priority(n, {5, 12}, {3, 9, 15}), NEEDS.get(n, {})) for n in range(18)]
    + [Referral(f"r{n:02d}", "974", priority(n, {22, 30}, {19, 27}), NEEDS.get(n, {})) for n in range(18, 34)]
    + [Referral(f"r{n:02d}", "56", priority(n, {40, 47}, {36, 44}), NEEDS.get(n, {"webcam": True}))
       for n in range(34, 50)]
)


# --- the documented rules, written plainly ------------------------------------------------------

def kept_for(device: Device, now: datetime) -> str | None:
    return device.territory if device.donor in KEPT_FOR_TERRITORY and now < device.ready_at + WINDOW else None


def meets(device: Device, needs: dict[str, Any]) -> bool:
    return ((not needs.get("webcam") or device.webcam)
            and device.ram >= needs.get("min_ram_gb", 0)
            and ("min_battery_health_pct" not in needs
                 or (device.battery is not None and device.battery >= needs["min_battery_health_pct"]))
            and needs.get("keyboard_layout", device.layout) == device.layout)


def may_have(device: Device, referral: Referral, now: datetime) -> bool:
    return kept_for(device, now) in (None, referral.territory) and meets(device, referral.needs)


@dataclass
class Model:
    available: dict[str, Device] = field(default_factory=dict)
    waiting: dict[str, Referral] = field(default_factory=dict)
    holder: dict[str, str] = field(default_factory=dict)  # device key -> referral key

    def referral_arrives(self, referral: Referral) -> Device | None:
        """A referral takes a device kept for its territory first, then the one ready longest."""
        fits = [d for d in self.available.values() if may_have(d, referral, NOW)]
        if not fits:
            self.waiting[referral.key] = referral
            return None
        chosen = min(fits, key=lambda d: (kept_for(d, NOW) != referral.territory, d.ready_at, d.id))
        self._reserve(chosen, referral)
        return chosen

    def device_arrives(self, device: Device) -> Referral | None:
        """A device goes to the partner's priority first, then the longest waiting."""
        fits = [r for r in self.waiting.values() if may_have(device, r, NOW)]
        if not fits:
            self.available[device.key] = device
            return None
        return self._reserve(device, min(fits, key=lambda r: (r.priority, r.order)))

    def _reserve(self, device: Device, referral: Referral) -> Referral:
        self.available.pop(device.key, None)
        self.waiting.pop(referral.key, None)
        self.holder[device.key] = referral.key
        return referral

    def release(self, device: Device, back_in_line: Referral | None = None) -> None:
        """A reservation ends: the referral (if it goes back) waits at its place, the device looks first."""
        referral_key = self.holder.pop(device.key)
        if back_in_line is not None:
            assert back_in_line.key == referral_key
            self.waiting[referral_key] = back_in_line
        self.device_arrives(device)
        if back_in_line is not None and back_in_line.key in self.waiting:
            self.waiting.pop(back_in_line.key)
            self.referral_arrives(back_in_line)


# --- the partners' side ---------------------------------------------------------------------------

def publish(cloud: LocalCloud, *devices: Device, twice: bool = False) -> None:
    """Put DeviceReady on the bus as refurb's publisher does (same entry, same source)."""
    envelopes = [d.ready().to_envelope(occurred_at=d.ready_at) for d in devices]
    entries = [to_entry(e, cloud.outputs["EventBusName"]) for e in envelopes]
    if twice:
        entries += entries + [to_entry(d.ready().to_envelope(occurred_at=d.ready_at), cloud.outputs["EventBusName"])
                              for d in devices]
    events = cloud.client("events")
    for start in range(0, len(entries), 10):
        assert events.put_events(Entries=entries[start:start + 10])["FailedEntryCount"] == 0


def as_referrer_of(cloud: LocalCloud, territory: str) -> None:
    thin_path.register_referrer(cloud, territory)


def warm_up(cloud: LocalCloud) -> None:
    """The first requests to freshly deployed functions start their workers: on a busy machine, slowly."""
    eventually(lambda: answered(lambda: cloud.call("GET", "/allocation/health", "admin").ok),
               "allocation's API answering", timeout=120, interval=1.0)


def answered(probe):
    """A polled probe: a request that timed out is an answer not there yet, not a failure."""
    try:
        return probe()
    except requests.exceptions.Timeout:
        return None


def device_state(cloud: LocalCloud, device: Device) -> dict | None:
    response = answered(lambda: cloud.call("GET", f"/allocation/devices/{device.id}", "admin"))
    return response.json() if response is not None and response.ok else None


def referral_state(cloud: LocalCloud, referral: Referral) -> dict:
    return cloud.expect(200, "GET", f"/allocation/referrals/{referral.id}", "referrer")


def holder_of(cloud: LocalCloud, device: Device) -> str | None:
    """The referral id a device is reserved for (None while in the pool)."""
    state = device_state(cloud, device)
    if not state or state["status"] != "reserved":
        return None
    return answered(lambda: cloud.expect(200, "GET", f"/allocation/reservations/{state['reservation_id']}",
                                         "admin")["referral_id"])


def wait_reserved_for(cloud: LocalCloud, device: Device, referral: Referral, what: str) -> None:
    eventually(lambda: holder_of(cloud, device) == referral.id, what, timeout=PATIENCE, interval=0.3)


def sell(cloud: LocalCloud, device: Device) -> dict:
    """Sold by the association's staff: a point of sale sells the reservations of its own territory
    only, and most of these beneficiaries live where the local partners have no point of sale."""
    quote = eventually(lambda: answered(lambda: (r := cloud.call("GET", f"/sales/quotes/{device.id}", "admin")).ok
                                        and r.json()),
                       f"a quote for {device.key} in sales", timeout=PATIENCE, interval=0.3)
    return cloud.expect(201, "POST", "/sales/sales", "admin", {
        "device_id": device.id, "payments": [{"method": "card", "amount_eur": quote["price_eur"]}]})


def test_referrals_and_ready_devices_are_matched_by_the_rules_and_never_twice(local_cloud: LocalCloud):
    cloud = local_cloud
    devices = {d.key: d for d in POOL + ARRIVALS}
    referrals = {r.key: r for r in REFERRALS}
    model = Model()
    try:
        warm_up(cloud)
        # 1. twenty devices become ready while nobody waits in these territories: the pool
        publish(cloud, *POOL)
        eventually(lambda: all((s := device_state(cloud, d)) and s["status"] == "available" for d in POOL),
                   "the 20 ready devices in allocation's pool", timeout=PATIENCE, interval=0.5)
        for device in POOL:
            model.device_arrives(device)
        assert device_state(cloud, devices["a13"])["functional"] == {
            "battery_health_pct": None, "webcam": False, "keyboard_layout": "fr-azerty"}

        # 2. fifty referrals, territory by territory (the partner is registered for one at a time);
        # each takes at once the device the rules give it, or waits
        territory = None
        for order, referral in enumerate(REFERRALS):
            if referral.territory != territory:
                territory = referral.territory
                as_referrer_of(cloud, territory)
                if territory == "974":  # bad input first: a 4xx naming the field, and nothing written
                    bad = cloud.call("POST", "/allocation/referrals", "referrer",
                                     referral.body() | {"needs": {"requirements": {"min_ram_gb": "lots"}}})
                    assert bad.status_code == 422 and "min_ram_gb" in bad.json()["message"]
                    outside = cloud.call("POST", "/allocation/referrals", "referrer", referral.body() | {"territory": "2A"})
                    assert outside.status_code == 409 and outside.json()["message"].startswith("territory:")
                    assert cloud.call("POST", "/allocation/referrals", "pos", referral.body()).status_code == 403
                    # nothing was written: the same beneficiary is referred just below
            referral.order = order
            body = cloud.expect(201, "POST", "/allocation/referrals", "referrer", referral.body())
            referral.id = body["referral_id"]
            expected = model.referral_arrives(referral)
            assert body["device_id"] == (expected.id if expected else None), (referral.key, body)
            if expected:
                assert body["reservation"]["explanation"]["chosen"]["device_id"] == expected.id
        # a referral of the same beneficiary while the first is open: refused, naming the rule
        again = cloud.call("POST", "/allocation/referrals", "referrer", REFERRALS[-1].body())
        assert again.status_code == 409 and "one_open_referral" in again.json()["message"]

        # 3. ten more devices become ready while people wait: each goes to the first in line it may go to
        for device in ARRIVALS:
            publish(cloud, device)
            expected = model.device_arrives(device)
            assert expected is not None, f"test data: {device.key} should find someone"
            wait_reserved_for(cloud, device, referrals[expected.key], f"{device.key} reserved for {expected.key}")
        explanation = referral_state(cloud, referrals[model.holder["c28"]])["reservation"]["explanation"]
        assert "now open to every territory" in explanation["rules"][0]  # ready 40 days ago

        # every reservation respects the rules, as the system itself reports it
        for device_key, referral_key in model.holder.items():
            device, referral = devices[device_key], referrals[referral_key]
            state = referral_state(cloud, referral)
            assert (state["status"], state["device_id"]) == ("reserved", device.id)
            assert kept_for(device, NOW) in (None, referral.territory)
            assert meets(device, referral.needs)
        for referral in model.waiting.values():
            assert referral_state(cloud, referral)["status"] == "waiting"

        # 4. one reservation made under a hold of 15 s, to be expired by the schedule (every minute)
        matching = cloud.expect(200, "GET", "/allocation/policies/matching", "admin")["policy"]
        cloud.expect(200, "PUT", "/allocation/policies/matching", "admin", matching | {"reservation_hold": "PT15S"})
        try:
            as_referrer_of(cloud, "56")
            expiring = Referral("r-expiring", "56", order=len(REFERRALS))
            body = cloud.expect(201, "POST", "/allocation/referrals", "referrer", expiring.body())
            expiring.id = body["referral_id"]
            assert model.referral_arrives(expiring).key == EXPIRY_DEVICE
            assert body["device_id"] == devices[EXPIRY_DEVICE].id
        finally:
            cloud.expect(200, "PUT", "/allocation/policies/matching", "admin", matching)
        expiring_reservation = body["reservation_id"]

        # 5. a sale, then the handover: the referral is fulfilled
        sold_referral = referrals[model.holder["a00"]]
        sale = sell(cloud, devices["a00"])
        eventually(lambda: answered(lambda: referral_state(cloud, sold_referral)["status"] == "fulfilled"),
                   "the referral fulfilled by the sale", timeout=PATIENCE, interval=0.3)
        handed = cloud.expect(200, "POST", f"/sales/sales/{sale['sale_id']}/handover", "admin",
                              {"handed_over_on": clock.today().isoformat()})
        assert handed["status"] == "handed_over"
        assert device_state(cloud, devices["a00"])["status"] == "sold"
        model.holder.pop("a00")

        # 6. a sale cancelled before handover: the device goes back to the pool and to the first in line;
        # the referral goes back in line at its place
        cancelled_referral = referrals[model.holder["a01"]]
        first = referral_state(cloud, cancelled_referral)
        sale = sell(cloud, devices["a01"])
        eventually(lambda: answered(lambda: referral_state(cloud, cancelled_referral)["status"] == "fulfilled"),
                   "the second sale fulfilling its referral", timeout=PATIENCE, interval=0.3)
        cloud.expect(200, "POST", f"/sales/sales/{sale['sale_id']}/cancellation", "admin", {
            "reason": "payment refused", "refunds": [{"method": "card", "amount_eur": sale["price_eur"]}]})
        model.release(devices["a01"], back_in_line=cancelled_referral)
        next_in_line = referrals[model.holder["a01"]]
        eventually(lambda: answered(lambda: (s := referral_state(cloud, next_in_line))["status"] == "reserved"
                                    and s["reservation_id"] != first["reservation_id"]
                                    and s["device_id"] == devices["a01"].id),
                   f"a01 reserved again, for {next_in_line.key}", timeout=PATIENCE, interval=0.3)
        old = cloud.expect(200, "GET", f"/allocation/reservations/{first['reservation_id']}", "referrer")
        assert (old["status"], old["released_because"]) == ("released", "sale cancelled")
        back = referral_state(cloud, cancelled_referral)
        assert back["created_at"] == first["created_at"] and back["fulfilled_at"] is None

        # 7. a reserved referral withdrawn by its partner: its device goes to the first in line
        withdrawn = referrals[model.holder["a06"]]
        withdrawn_state = cloud.expect(200, "POST", f"/allocation/referrals/{withdrawn.id}/cancellation", "referrer",
                                       {"reason": "the family moved away"})
        assert withdrawn_state["status"] == "cancelled"
        model.release(devices["a06"])
        heir = referrals[model.holder["a06"]]
        wait_reserved_for(cloud, devices["a06"], heir, f"a06 reserved for {heir.key} after the withdrawal")

        # 8. the referrals still waiting are withdrawn: none is left to take another test's device
        for referral in list(model.waiting.values()):
            cloud.expect(200, "POST", f"/allocation/referrals/{referral.id}/cancellation", "referrer",
                         {"reason": "end of the test"})
            model.waiting.pop(referral.key)

        # 9. a device announced three times (twice the same event, once re-published) joins the pool once;
        # referrals racing for it at the same moment: exactly one gets it. (Each concurrent request starts
        # a Lambda worker of its own locally: eight at once already take a while on two cores.)
        race = Device("race", "company", "2A", minutes_ago(0.5))
        publish(cloud, race, twice=True)
        eventually(lambda: (s := device_state(cloud, race)) and s["status"] == "available",
                   "the race device in the pool", timeout=PATIENCE, interval=0.3)
        as_referrer_of(cloud, "2A")
        racers = [Referral(f"race-{n}", "2A") for n in range(RACERS)]

        def refer(referral: Referral) -> dict:
            response = requests.post(f"{cloud.base_url}/allocation/referrals", json=referral.body(), timeout=120,
                                     headers={"Authorization": "Bearer dev-referrer-key"})
            assert response.status_code == 201, response.text
            return response.json()

        with ThreadPoolExecutor(max_workers=len(racers)) as pool:
            results = list(pool.map(refer, racers))
        assert sorted(r["status"] for r in results) == ["reserved"] + ["waiting"] * (RACERS - 1)
        [winner] = [r for r in results if r["status"] == "reserved"]
        assert winner["device_id"] == race.id and holder_of(cloud, race) == winner["referral_id"]
        for loser in (r for r in results if r["status"] == "waiting"):
            cloud.expect(200, "POST", f"/allocation/referrals/{loser['referral_id']}/cancellation", "referrer",
                         {"reason": "end of the test"})

        # 10. the schedule expired the 15-second reservation: the referral expired, the device is back
        # in the pool (nobody in 56 can use it)
        eventually(lambda: answered(lambda: referral_state(cloud, expiring)["status"] == "expired"),
                   "the schedule expiring the reservation", timeout=100, interval=1.0)
        expired = cloud.expect(200, "GET", f"/allocation/reservations/{expiring_reservation}", "referrer")
        assert (expired["status"], expired["released_because"]) == ("released", "expired")
        assert device_state(cloud, devices[EXPIRY_DEVICE])["status"] == "available"

        # nothing open to every territory is left in the pool for another test's referral to take
        for device in devices.values():
            state = device_state(cloud, device)
            assert state["status"] != "available" or kept_for(device, NOW), (device.key, state)
    finally:
        as_referrer_of(cloud, "35")  # as the other end-to-end tests expect the dev referrer


def test_a_partner_lists_its_referrals_newest_first_by_status_with_what_was_reserved(local_cloud: LocalCloud):
    """GET /allocation/referrals over the local cloud, in territory 971, which no other test uses: three
    referrals nobody else's device can fit (256 GB of RAM), a public body's device of 971 for the urgent
    one, its sale; the list shows each with its status, the device, where to collect it and why."""
    cloud = local_cloud
    listed = Device("list", "public_body", "971", minutes_ago(2), ram=256, grade="A")
    made: list[Referral] = []
    try:
        warm_up(cloud)
        as_referrer_of(cloud, "971")
        for key, urgency in (("list-1", 1), ("list-2", 3), ("list-3", 3)):
            referral = Referral(key, "971", priority=urgency, needs={"min_ram_gb": 256})
            body = cloud.expect(201, "POST", "/allocation/referrals", "referrer", referral.body())
            assert body["status"] == "waiting", body
            referral.id = body["referral_id"]
            made.append(referral)
        urgent, second, newest = made

        def page(**query: str) -> dict:
            return cloud.expect(200, "GET", f"/allocation/referrals?{urlencode(query)}", "referrer")

        first = page(limit="2")
        assert [r["referral_id"] for r in first["items"]] == [newest.id, second.id]
        assert first["next_cursor"] and first["partner_id"] == thin_path.REFERRER["partner_id"]
        following = page(limit="2", cursor=first["next_cursor"])
        assert following["items"][0]["referral_id"] == urgent.id

        # the device goes to the urgent referral; its list entry says what, where and why
        publish(cloud, listed)
        wait_reserved_for(cloud, listed, urgent, "the 971 device reserved for the urgent referral")
        [entry] = [r for r in page(status="reserved")["items"] if r["referral_id"] == urgent.id]
        reservation = entry["reservation"]
        assert reservation["device"] == {"device_id": listed.id, "device_type": "laptop", "grade": "A"}
        assert reservation["collect_at"] == {"territory": "971", "point_of_sale_id": None}
        assert [(r["rule"], r["code"]) for r in reservation["matching"]["reasons"]] == [
            ("provenance", "kept_for_territory"), ("needs", "requirements_met"), ("order", "first_in_line")]
        assert {"code": "lower_priority", "count": 2} in reservation["matching"]["passed_over"]

        # the filter: a withdrawn referral is listed among the cancelled, not among the waiting
        cloud.expect(200, "POST", f"/allocation/referrals/{second.id}/cancellation", "referrer",
                     {"reason": "la famille a trouvé un ordinateur"})
        assert page(status="cancelled")["items"][0]["referral_id"] == second.id
        waiting = page(status="waiting")["items"]
        assert waiting[0]["referral_id"] == newest.id and {r["status"] for r in waiting} == {"waiting"}

        # once sold, the point of sale that sold it is where the beneficiary collects it
        sale = sell(cloud, listed)
        eventually(lambda: answered(lambda: referral_state(cloud, urgent)["status"] == "fulfilled"),
                   "the sale fulfilling the urgent referral", timeout=PATIENCE, interval=0.3)
        [entry] = [r for r in page(status="fulfilled")["items"] if r["referral_id"] == urgent.id]
        assert entry["reservation"]["collect_at"] == {"territory": "971", "point_of_sale_id": sale["point_of_sale_id"]}
    finally:
        for referral in made:
            if referral.id and referral_state(cloud, referral)["status"] in ("waiting", "reserved"):
                cloud.call("POST", f"/allocation/referrals/{referral.id}/cancellation", "referrer",
                           {"reason": "end of the test"})
        as_referrer_of(cloud, "35")
