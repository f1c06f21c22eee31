"""The schedule: a reservation not collected within its hold is released and its referral expires; the
device goes to the next in line or back to the pool; a device kept for its territory opens to all
when its window ends. Run through the scheduled function's entry point, with a clock the test moves."""

from __future__ import annotations

from samtranslator.yaml_helper import yaml_parse

from allocation.handlers import api, expiry
from devtools.localcloud.paths import TEMPLATE
from tests.unit.allocation.helpers import add_referral, get_referral, make_ready, published, ready, refer
from tests.unit.support import LambdaContext, call, device_sold, outbox_envelopes_in

SCHEDULED_EVENT = {"version": "0", "id": "c7c8d3b9", "detail-type": "Scheduled Event", "source": "aws.events",
                   "time": "2026-12-12T09:00:00Z", "resources": ["arn:aws:events:us-east-1:123456789012:rule/x"],
                   "detail": {}}


def run_schedule() -> dict:
    return expiry.handler(SCHEDULED_EVENT, LambdaContext())


def device(device_id: str) -> dict:
    return call(api.handler, "GET", f"/allocation/devices/{device_id}", "admin").body


def test_a_reservation_not_collected_in_time_expires_and_its_device_goes_to_the_next_in_line(table, dynamodb,
                                                                                            clock):
    add_referral("r-1", 10)
    add_referral("r-2", 1)
    make_ready(ready("dev-1"))
    first = get_referral("r-1").body

    clock.advance(days=13, hours=23)
    assert run_schedule() == {"expired": 0, "windows_ended": 0, "reserved": 0}
    assert get_referral("r-1").body["status"] == "reserved"

    clock.advance(hours=1)  # fourteen days: the hold has passed
    assert run_schedule() == {"expired": 1, "windows_ended": 0, "reserved": 1}

    expired = get_referral("r-1").body
    assert expired["status"] == "expired"
    assert expired["closed_because"].startswith("the reserved device was not collected by")
    assert expired["reservation"]["status"] == "released"
    [released] = published(dynamodb, "ReservationReleased")
    assert (released.reservation_id, released.reason) == (first["reservation_id"], "expired")
    assert get_referral("r-2").body["device_id"] == "dev-1"
    # the same flow as the reservation, so that the device's timeline reads as one story
    [released_envelope] = outbox_envelopes_in(dynamodb, "ReservationReleased")
    reserved = [e for e in outbox_envelopes_in(dynamodb, "DeviceReserved")
                if e.payload["reservation_id"] == first["reservation_id"]]
    assert released_envelope.correlation_id == reserved[0].correlation_id

    assert run_schedule() == {"expired": 0, "windows_ended": 0, "reserved": 0}


def test_an_expired_reservations_device_that_nobody_waits_for_returns_to_the_pool(partner, clock):
    add_referral("r-1", 10)
    make_ready(ready("dev-1"))

    clock.advance(days=15)
    run_schedule()

    assert get_referral("r-1").body["status"] == "expired"
    assert (device("dev-1")["status"], device("dev-1")["reservation_id"]) == ("available", None)
    assert refer().body["device_id"] == "dev-1"  # the next referral takes it


def test_a_device_kept_for_its_territory_is_offered_to_every_territory_when_its_window_ends(table, clock):
    add_referral("r-56", 1, territory="56")
    make_ready(ready("dev-35"))  # a public body's device of territory 35: kept there for 30 days
    assert device("dev-35")["status"] == "available"

    clock.advance(days=29)
    assert run_schedule()["windows_ended"] == 0
    clock.advance(days=1)
    assert run_schedule() == {"expired": 0, "windows_ended": 1, "reserved": 1}

    referral = get_referral("r-56").body
    assert referral["device_id"] == "dev-35"
    assert "now open to every territory" in referral["reservation"]["explanation"]["rules"][0]
    assert run_schedule()["windows_ended"] == 0


def test_a_reservation_sold_before_its_hold_passed_does_not_expire(table, clock):
    add_referral("r-1", 10)
    make_ready(ready("dev-1"))
    make_ready(device_sold("dev-1", get_referral("r-1").body["reservation_id"]).to_envelope())

    clock.advance(days=20)
    assert run_schedule()["expired"] == 0
    assert get_referral("r-1").body["status"] == "fulfilled"


def test_the_template_runs_the_schedule_every_minute_with_its_own_role():
    resources = yaml_parse(TEMPLATE.read_text())["Resources"]
    function = resources["AllocationExpiryFunction"]["Properties"]
    assert function["Handler"] == "allocation.handlers.expiry.handler"
    assert function["Events"]["Expiry"] == {"Type": "Schedule", "Properties": {
        "Schedule": "rate(1 minute)", "Description": function["Events"]["Expiry"]["Properties"]["Description"]}}
    assert function["Role"] == {"Fn::GetAtt": ["AllocationExpiryRole", "Arn"]}
