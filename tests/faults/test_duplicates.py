"""Duplicates: every real event of a device's journey delivered three times, and the same facts
announced again under new event ids, change nothing in any service's table.

The effects are read in the four tables themselves, whole (timeline lines, passports, work
orders and workshops' counts, the pool, reservations, referrals, sales, receipt counters,
outbox events): before and after the duplicates they must be identical, but for the consumers'
idempotency records. A duplicate is judged only once every consumer queue is empty again, so
each one was handled, not merely still on its way.
"""

from __future__ import annotations

import uuid

import pytest

from devtools import thin_path
from shared import clock
from tests.faults.plumbing import SERVICES, changes, consumers_of, outbox, publish, settled, table_state
from tests.conftest import THIN_PATH_WORKSHOP
from tests.localcloud.cloud import LocalCloud

DELIVERIES = 3


@pytest.fixture(scope="module")
def journey(local_cloud: LocalCloud):
    """A real device through all four services and handed over; its events as each owner's outbox
    holds them. The thin path's workshop is put back as it was afterwards (tests/conftest.py)."""
    workshop = f"/refurb/workshops/{THIN_PATH_WORKSHOP}"
    was = local_cloud.call("GET", workshop, "admin")
    run = thin_path.run(local_cloud)
    local_cloud.expect(200, "POST", f"/sales/sales/{run.sale['sale_id']}/handover", "pos",
                       {"handed_over_on": clock.today().isoformat()})
    settled(local_cloud)
    events = [envelope for service in SERVICES for envelope in outbox(local_cloud, service, run.device_id)]
    events.sort(key=lambda e: e.occurred_at)
    assert [e.event_type for e in events] == [*thin_path.THIN_PATH, "DeviceHandedOver"]
    yield run, events
    previous = was.json() if was.ok else {"name": "Atelier Rennes", "territories": ["35"], "capacity": 0}
    local_cloud.expect(200, "PUT", workshop, "admin", {k: previous[k] for k in ("name", "territories", "capacity")})


def whole_state(cloud: LocalCloud) -> dict[str, dict]:
    return {service: table_state(cloud, service) for service in SERVICES}


def differences(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    return [f"{service}: {change}" for service in SERVICES for change in changes(before[service], after[service])]


def test_every_event_delivered_three_times_has_its_effects_once(local_cloud: LocalCloud, journey, figures):
    run, events = journey
    before = whole_state(local_cloud)
    timeline_before = local_cloud.expect(200, "GET", f"/intake/devices/{run.device_id}/timeline", "admin")["items"]

    for _ in range(DELIVERIES - 1):  # each was delivered once already, by its own publisher
        publish(local_cloud, events)
    settled(local_cloud)

    after = whole_state(local_cloud)
    changed = differences(before, after)
    figures.sent = (DELIVERIES - 1) * sum(len(consumers_of(e.event_type)) for e in events)
    figures.duplicated = len(changed)
    figures.correct = figures.sent if not changed else 0
    figures.note = f"{len(events)} real events × {DELIVERIES} deliveries to every consumer, 4 tables compared whole"
    assert changed == []
    timeline = local_cloud.expect(200, "GET", f"/intake/devices/{run.device_id}/timeline", "admin")["items"]
    assert timeline == timeline_before
    assert [step["event_id"] for step in timeline] == [e.event_id for e in events]
    assert local_cloud.call("GET", f"/sales/quotes/{run.device_id}", "pos").status_code == 404  # still sold


def test_the_same_facts_announced_again_under_new_event_ids_change_nothing(local_cloud: LocalCloud, journey,
                                                                          figures):
    """A service re-announcing a fact (a stream replayed, an outbox item re-published, a
    DeviceReceived rebuilt from the device's record) gives it a new event id, same content."""
    run, events = journey
    before = whole_state(local_cloud)

    again = [e.model_copy(update={"event_id": str(uuid.uuid4())}) for e in events]
    publish(local_cloud, again)
    settled(local_cloud)

    changed = differences(before, whole_state(local_cloud))
    figures.sent = sum(len(consumers_of(e.event_type)) for e in again)
    figures.duplicated = len(changed)
    figures.correct = figures.sent if not changed else 0
    figures.note = f"{len(again)} facts re-announced under new ids, 4 tables compared whole"
    assert changed == []
    timeline = local_cloud.expect(200, "GET", f"/intake/devices/{run.device_id}/timeline", "admin")["items"]
    assert [step["event_id"] for step in timeline] == [e.event_id for e in events]
