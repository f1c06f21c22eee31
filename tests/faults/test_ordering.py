"""Shuffled delivery: the journeys of 12 devices, every event delivered in a random order, end in
the right timelines (the order things happened, whatever the order they arrived) and the right
public passports (the last fact wins, never the last delivered).

The devices are really received in intake (over HTTP, as the tier's warehouse); the rest of each
journey is the other services' events, sent straight into intake's queue as the bus delivers
them, so that no other service acts on these made-up facts.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import requests

from shared.events import EventEnvelope
from shared.events.allocation import DeviceReserved, ReservationReleased
from shared.events.refurb import DeviceReady, DeviceScrapped, DriveErasure, ErasureCertified, WorkOrderAssigned
from shared.events.sales import DeviceHandedOver, DeviceSold
from shared.events.vocabulary import DeviceSpecs, FunctionalSummary, Provenance
from tests.faults.conftest import TERRITORY, FaultPartners
from tests.faults.plumbing import bus_message, enqueue, settled
from tests.localcloud.cloud import LocalCloud

DEVICES = 12
SPECS = DeviceSpecs(cpu_model="i5-8250U", ram_gb=8, drives=[{"kind": "ssd", "size_gb": 256}])
# What each kind of journey ends as on the public passport: (grade, erasure done, outcome).
ENDS = {"handed over": ("A", True, "handed_over"), "sold after a release": ("B", True, "sold"),
        "released": ("C", True, "ready"), "scrapped": (None, False, "recycled")}


def journey(kind: str, device_id: str, received_at: datetime) -> list[EventEnvelope]:
    """The events after reception of one kind of journey, a minute apart, in the order they happen."""
    grade, _, _ = ENDS[kind]
    workshop, pos = f"workshop-faults-{TERRITORY}", f"pos-faults-{TERRITORY}"
    facts: list = [WorkOrderAssigned(device_id=device_id, workshop_id=workshop)]
    if kind == "scrapped":
        facts.append(DeviceScrapped(device_id=device_id, reason="motherboard_failure",
                                    recycling_channel="ecosystem", at_step="diagnosis"))
    else:
        reservations = [str(uuid.uuid4()) for _ in range(2)]
        reserved = [DeviceReserved(device_id=device_id, reservation_id=r, referral_id=str(uuid.uuid4()),
                                   beneficiary_category="student", grade=grade, device_type="laptop",
                                   expires_at=received_at + timedelta(days=14), territory=TERRITORY)
                    for r in reservations]
        released = ReservationReleased(device_id=device_id, reservation_id=reservations[0],
                                       referral_id=reserved[0].referral_id, reason="expired")
        sale_id = str(uuid.uuid4())
        sold = DeviceSold(device_id=device_id, sale_id=sale_id, reservation_id=reserved[-1].reservation_id,
                          point_of_sale_id=pos, receipt_number=f"{pos}-2026-{random.randrange(10**6):06d}",
                          price_eur="90.00")
        facts += [
            ErasureCertified(device_id=device_id, certificate_id=f"cert-{device_id}", certificate_sha256="e" * 64,
                             drives=[DriveErasure(level="purge", technique="nvme_sanitize", tool="nvme-cli 2.8",
                                                  operator="tech-22", passed=True, completed_at=received_at)]),
            DeviceReady(device_id=device_id, grade=grade, device_type="laptop", specs=SPECS,
                        provenance=Provenance(donor_type="public_body", territory=TERRITORY), workshop_id=workshop,
                        erasure_certificate_id=f"cert-{device_id}",
                        functional=FunctionalSummary(battery_health_pct=80, webcam=True)),
            reserved[0],
        ]
        facts += {"handed over": [sold.model_copy(update={"reservation_id": reservations[0]}),
                                  DeviceHandedOver(device_id=device_id, sale_id=sale_id, point_of_sale_id=pos)],
                  "sold after a release": [released, reserved[1], sold],
                  "released": [released]}[kind]
    return [fact.to_envelope(occurred_at=received_at + timedelta(minutes=1 + i)) for i, fact in enumerate(facts)]


def test_events_delivered_in_a_random_order_end_in_the_right_timelines_and_passports(
        local_cloud: LocalCloud, partners: FaultPartners, figures):
    lot = partners.expect(201, "POST", "/intake/lots", "donor", {"expected_count": DEVICES, "pickup_site": "Essai"})
    kinds = [list(ENDS)[i % len(ENDS)] for i in range(DEVICES)]
    devices = [partners.expect(201, "POST", f"/intake/lots/{lot['lot_id']}/devices", "warehouse", {
        "serial_number": f"SH{uuid.uuid4().hex[:8].upper()}", "make": "Dell", "model": "Latitude 5490",
        "device_type": "laptop", "specs": SPECS.model_dump(mode="json", exclude_none=True)}) for _ in kinds]
    settled(local_cloud, ["intake"])  # each DeviceReceived is in its timeline: the rest may come in any order
    journeys = {d["device_id"]: journey(kind, d["device_id"], datetime.fromisoformat(d["received_at"]))
                for d, kind in zip(devices, kinds)}
    shuffled = [envelope for events in journeys.values() for envelope in events]
    seed = random.randrange(10**6)
    random.Random(seed).shuffle(shuffled)

    enqueue(local_cloud, "intake", [bus_message(e) for e in shuffled])
    settled(local_cloud, ["intake"])

    wrong, lost, duplicated = [], 0, 0
    for device, kind in zip(devices, kinds):
        device_id, expected = device["device_id"], journeys[device["device_id"]]
        steps = local_cloud.expect(200, "GET", f"/intake/devices/{device_id}/timeline", "admin")["items"]
        arrived = [s["event_id"] for s in steps[1:]]  # after the real DeviceReceived
        lost += len({e.event_id for e in expected} - set(arrived))
        duplicated += len(arrived) - len(set(arrived))
        passport = requests.get(f"{local_cloud.base_url}/intake/passport/{device['label_code']}", timeout=30).json()
        if (steps[0]["event_type"] != "DeviceReceived" or arrived != [e.event_id for e in expected]
                or (passport["grade"], passport["erasure_done"], passport["outcome"]) != ENDS[kind]):
            wrong.append((device_id, kind, [s["event_type"] for s in steps], passport))
    figures.sent, figures.lost, figures.duplicated = len(shuffled), lost, duplicated
    figures.correct = DEVICES - len(wrong)
    figures.note = f"{DEVICES} devices, {len(shuffled)} events shuffled (seed {seed}); correct = devices"
    assert wrong == [], f"seed {seed}: {wrong}"
