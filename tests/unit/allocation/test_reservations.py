"""Allocation through its Lambda entry points: ready devices are reserved by the rules, once, with the
explanation; a sale fulfils the referral; a cancellation or a release puts the device to the next in line."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from allocation.adapters.repository import AllocationRepository
from allocation.handlers import api, consumer
from shared.events import open_envelope
from shared.events.sales import SaleCancelled
from shared.events.vocabulary import FunctionalSummary
from tests.unit.allocation.helpers import (
    NO_WEBCAM,
    REFERRER,
    add_referral,
    get_referral,
    make_ready,
    published,
    ready,
    refer,
)
from tests.unit.support import (
    T0,
    LambdaContext,
    all_items,
    call,
    deliver,
    device_ready,
    device_sold,
    items_with_prefix,
    outbox_envelopes_in,
    sqs_batch,
    sqs_record,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def reservation_of(referral_id: str) -> dict:
    return get_referral(referral_id).body["reservation"]


def device_status(device_id: str) -> str:
    return call(api.handler, "GET", f"/allocation/devices/{device_id}", "admin").body["status"]


def test_a_referral_with_no_device_available_stays_waiting(partner, dynamodb):
    response = refer()

    assert response.status == 201, response.body
    assert (response.body["status"], response.body["device_id"]) == ("waiting", None)
    assert response.body["partner_id"] == REFERRER
    assert get_referral(response.body["referral_id"]).body["status"] == "waiting"
    assert outbox_envelopes_in(dynamodb) == []


def test_a_ready_device_goes_to_the_first_in_line_and_the_reservation_says_why(table, dynamodb):
    add_referral("r-recent", 1)
    add_referral("r-oldest", 20)
    add_referral("r-urgent", 0.5, priority=1)
    envelope = device_ready("dev-1", grade="B").to_envelope(occurred_at=T0, correlation_id="flow-dev-1")

    make_ready(envelope)

    urgent = get_referral("r-urgent").body
    assert (urgent["status"], urgent["device_id"]) == ("reserved", "dev-1")
    reservation = urgent["reservation"]
    assert (reservation["status"], reservation["device_id"], reservation["referral_id"]) == (
        "active", "dev-1", "r-urgent")
    assert at(reservation["held_until"]) == T0 + timedelta(days=14)
    explanation = reservation["explanation"]
    assert explanation["chosen"]["referral_id"] == "r-urgent"
    assert explanation["passed_over_by_reason"]["lower_priority"]["count"] == 2
    assert [r["referral_id"] for r in explanation["passed_over_by_reason"]["lower_priority"]["first"]] == [
        "r-oldest", "r-recent"]
    assert device_status("dev-1") == "reserved"
    assert {get_referral(r).body["status"] for r in ("r-recent", "r-oldest")} == {"waiting"}

    [reserved] = outbox_envelopes_in(dynamodb, "DeviceReserved")
    event = open_envelope(reserved)
    assert (event.device_id, event.referral_id, event.reservation_id, event.grade) == (
        "dev-1", "r-urgent", reservation["reservation_id"], "B")
    assert event.expires_at == T0 + timedelta(days=14)
    # the flow is traceable, and no beneficiary detail leaves the service
    assert (reserved.correlation_id, reserved.causation_id) == ("flow-dev-1", envelope.event_id)
    assert "FT-r-urgent" not in reserved.model_dump_json()


def test_a_device_kept_for_its_territory_waits_for_that_territory_while_a_companys_goes_to_anyone(table):
    add_referral("r-56", 30, territory="56")
    add_referral("r-35", 1)

    make_ready(ready("dev-public-35"), ready("dev-company-35", donor="company"))

    assert get_referral("r-35").body["device_id"] == "dev-public-35"
    assert get_referral("r-56").body["device_id"] == "dev-company-35"
    passed_over = reservation_of("r-35")["explanation"]["passed_over_by_reason"]
    assert [r["referral_id"] for r in passed_over["other_territory"]["first"]] == ["r-56"]


def test_a_device_goes_only_to_a_referral_whose_needs_it_meets(table):
    add_referral("r-webcam", 10, webcam=True, min_battery_health_pct=80)
    add_referral("r-any", 1)

    make_ready(ready("dev-no-webcam", functional=NO_WEBCAM))

    assert get_referral("r-any").body["device_id"] == "dev-no-webcam"
    assert get_referral("r-webcam").body["status"] == "waiting"
    [skipped] = reservation_of("r-any")["explanation"]["passed_over_by_reason"]["needs_not_met"]["first"]
    assert skipped["referral_id"] == "r-webcam"
    assert skipped["unmet"] == ["needs a webcam; the device has none",
                                "needs a battery at 80% health or more; the device's is at 60%"]

    make_ready(ready("dev-webcam"))  # 85% battery, a webcam: what refurb tested
    assert get_referral("r-webcam").body["device_id"] == "dev-webcam"
    device = call(api.handler, "GET", "/allocation/devices/dev-webcam", "admin").body
    assert device["functional"] == {"battery_health_pct": 85, "webcam": True, "keyboard_layout": "fr-azerty"}


def test_a_ready_device_with_nobody_waiting_stays_in_the_pool_for_the_next_referral(partner, dynamodb):
    make_ready(ready("dev-1"))
    assert outbox_envelopes_in(dynamodb) == []
    assert device_status("dev-1") == "available"

    response = refer()

    assert response.status == 201
    assert (response.body["status"], response.body["device_id"]) == ("reserved", "dev-1")
    assert response.body["reservation"]["explanation"]["trigger"] == "referral_arrived"
    [reserved] = published(dynamodb, "DeviceReserved")
    assert reserved.referral_id == response.body["referral_id"]


def test_the_same_device_announced_again_joins_the_pool_once_and_is_reserved_once(table, dynamodb):
    add_referral("r-1", 3)
    add_referral("r-2", 2)
    envelope = ready("dev-1")
    make_ready(envelope)
    make_ready(envelope)  # the queue delivered it again
    make_ready(device_ready("dev-1").to_envelope(occurred_at=T0))  # refurb published the same fact again

    assert len([i for i in items_with_prefix(dynamodb, "DEVICE#") if i["sk"] == "DEVICE"]) == 1
    assert len(items_with_prefix(dynamodb, "RESERVATION#")) == 1
    assert len(outbox_envelopes_in(dynamodb, "DeviceReserved")) == 1
    assert get_referral("r-2").body["status"] == "waiting"


def test_a_sale_fulfils_the_reservation_the_device_and_the_referral(table, dynamodb):
    add_referral("r-1", 5)
    make_ready(ready("dev-1"))
    reservation_id = get_referral("r-1").body["reservation_id"]

    sold = device_sold("dev-1", reservation_id)
    sale = sold.to_envelope(occurred_at=T0 + timedelta(days=2))
    assert deliver(consumer.handler, sale)["batchItemFailures"] == []
    # the same sale announced again under a new event id changes nothing
    assert deliver(consumer.handler, sold.to_envelope())["batchItemFailures"] == []

    body = get_referral("r-1").body
    assert (body["status"], at(body["fulfilled_at"])) == ("fulfilled", T0 + timedelta(days=2))
    assert (body["reservation"]["status"], body["reservation"]["sale_id"]) == ("fulfilled", sold.sale_id)
    assert device_status("dev-1") == "sold"
    assert AllocationRepository().get_reservation(reservation_id).version == 2


def test_a_sale_for_an_unknown_reservation_fails_its_record(table):
    add_referral("r-1", 5)
    unknown, good = device_sold("dev-9", "res-unknown").to_envelope(), ready("dev-1")
    response = consumer.handler(sqs_batch(sqs_record(unknown, "m-sold"), sqs_record(good, "m-ready")), LambdaContext())
    assert response["batchItemFailures"] == [{"itemIdentifier": "m-sold"}]
    assert get_referral("r-1").body["status"] == "reserved"


def cancellation_of(sold) -> SaleCancelled:
    return SaleCancelled(device_id=sold.device_id, sale_id=sold.sale_id, reservation_id=sold.reservation_id,
                         refund_eur=Decimal("105.00"))


def test_a_cancelled_sale_puts_the_device_back_and_the_referral_back_in_line_at_its_place(table, dynamodb):
    add_referral("r-1", 20)
    add_referral("r-2", 1)
    make_ready(ready("dev-1"))
    first = get_referral("r-1").body
    sold = device_sold("dev-1", first["reservation_id"])
    make_ready(sold.to_envelope())
    assert get_referral("r-1").body["status"] == "fulfilled"

    make_ready(cancellation_of(sold).to_envelope())

    [released] = published(dynamodb, "ReservationReleased")
    assert (released.reservation_id, released.referral_id, released.reason) == (
        first["reservation_id"], "r-1", "sale cancelled")
    old = AllocationRepository().get_reservation(first["reservation_id"])
    assert (old.status, old.released_because, old.cancelled_sale_ids) == ("released", "sale cancelled",
                                                                          (sold.sale_id,))
    # r-1 kept its place (it waited longest): the device is reserved for it again, under a new reservation
    again = get_referral("r-1").body
    assert (again["status"], again["device_id"], again["fulfilled_at"]) == ("reserved", "dev-1", None)
    assert again["created_at"] == first["created_at"]
    assert again["reservation_id"] != first["reservation_id"]
    assert get_referral("r-2").body["status"] == "waiting"
    assert len(published(dynamodb, "DeviceReserved")) == 2


def test_a_cancellation_that_arrives_before_its_sale_is_not_undone_by_the_late_sale(table, dynamodb):
    add_referral("r-1", 20)
    make_ready(ready("dev-1"))
    sold = device_sold("dev-1", get_referral("r-1").body["reservation_id"])

    make_ready(cancellation_of(sold).to_envelope())  # the queue delivered them out of order
    make_ready(sold.to_envelope())

    referral = get_referral("r-1").body
    assert (referral["status"], referral["reservation"]["status"]) == ("reserved", "active")
    assert referral["reservation_id"] != sold.reservation_id
    assert device_status("dev-1") == "reserved"


def cancel(referral_id: str, reason: str = "the family moved away", **kwargs):
    return call(api.handler, "POST", f"/allocation/referrals/{referral_id}/cancellation", "referrer",
                {"reason": reason}, **kwargs)


def test_the_referring_partner_withdraws_a_waiting_referral(partner, dynamodb):
    created = refer().body

    assert cancel(created["referral_id"], partner_id="referrer-another-association").status == 404
    assert cancel(created["referral_id"], "").status == 422
    response = cancel(created["referral_id"])

    assert response.status == 200, response.body
    assert (response.body["status"], response.body["closed_because"]) == ("cancelled", "the family moved away")
    assert at(response.body["closed_at"]) == T0
    again = cancel(created["referral_id"])
    assert again.status == 409 and "cannot go from cancelled to cancelled" in again.body["message"]
    assert outbox_envelopes_in(dynamodb) == []


def test_withdrawing_a_reserved_referral_gives_its_device_to_the_next_in_line(table, dynamodb):
    add_referral("r-1", 10)
    add_referral("r-2", 1)
    make_ready(ready("dev-1"))
    reservation_id = get_referral("r-1").body["reservation_id"]

    response = cancel("r-1")

    assert (response.status, response.body["status"]) == (200, "cancelled")
    [released] = published(dynamodb, "ReservationReleased")
    assert (released.reservation_id, released.reason) == (reservation_id, "referral cancelled")
    assert get_referral("r-2").body["device_id"] == "dev-1"


@pytest.mark.parametrize("reason, what", [
    ("Mme Martin a déménagé", "a person's name"),
    ("partie vivre au 8 chemin des Vignes", "a postal address"),
    ("nouvelle adresse 29200 Brest", "a postcode and town"),
    ("joindre au 06 12 34 56 78", "a phone number"),
])
def test_a_withdrawal_reason_naming_or_locating_the_person_is_refused_and_nothing_changes(
        table, dynamodb, reason, what):
    add_referral("r-1", 10)
    make_ready(ready("dev-1"))
    reservation_id = get_referral("r-1").body["reservation_id"]
    before = all_items(dynamodb)

    for response in (cancel("r-1", reason), release(reservation_id, reason)):
        assert response.status == 422
        assert response.body["message"] == (
            f"body.reason: looks like personal data ({what}): say why, without naming or locating the person")
    assert all_items(dynamodb) == before


def test_a_withdrawal_reason_stays_in_allocation(table, dynamodb):
    add_referral("r-1", 10)
    make_ready(ready("dev-1"))

    cancel("r-1", "la famille a trouvé un autre ordinateur")

    [released] = outbox_envelopes_in(dynamodb, "ReservationReleased")
    assert open_envelope(released).reason == "referral cancelled"
    assert "autre ordinateur" not in released.model_dump_json()


def test_a_referral_fulfilled_by_a_sale_cannot_be_withdrawn(table):
    add_referral("r-1", 10)
    make_ready(ready("dev-1"))
    make_ready(device_sold("dev-1", get_referral("r-1").body["reservation_id"]).to_envelope())

    response = cancel("r-1")

    assert response.status == 409 and "cannot go from fulfilled to cancelled" in response.body["message"]


def release(reservation_id: str, reason: str = "needs a larger screen", **kwargs):
    return call(api.handler, "POST", f"/allocation/reservations/{reservation_id}/release", "referrer",
                {"reason": reason}, **kwargs)


def test_a_partner_releasing_a_reservation_puts_its_referral_back_in_line_never_to_be_offered_that_device(
        table, dynamodb):
    add_referral("r-1", 10)
    add_referral("r-2", 1)
    make_ready(ready("dev-1"))
    first = get_referral("r-1").body

    assert release(first["reservation_id"], partner_id="referrer-another-association").status == 404
    response = release(first["reservation_id"])

    assert response.status == 200, response.body
    assert (response.body["status"], response.body["released_because"], response.body["release_note"]) == (
        "released", "released by the partner", "needs a larger screen")
    [released] = published(dynamodb, "ReservationReleased")
    assert released.reason == "released by the partner"
    assert get_referral("r-2").body["device_id"] == "dev-1"
    back = get_referral("r-1").body
    assert (back["status"], back["declined_device_ids"], back["created_at"]) == (
        "waiting", ["dev-1"], first["created_at"])

    # the next device goes to r-1, who has waited longest
    make_ready(ready("dev-2"))
    assert get_referral("r-1").body["device_id"] == "dev-2"
    assert release(first["reservation_id"]).status == 409


def test_a_keyboard_layout_spelt_otherwise_by_the_workshop_is_still_understood(table):
    add_referral("r-azerty", 2, keyboard_layout="fr-azerty")
    odd = FunctionalSummary(battery_health_pct=80, webcam=True, keyboard_layout=" FR Azerty ")

    make_ready(ready("dev-odd", functional=odd))

    assert get_referral("r-azerty").body["device_id"] == "dev-odd"
    with pytest.raises(ValidationError):  # a layout nobody can read never reaches an event
        FunctionalSummary(battery_health_pct=80, webcam=True, keyboard_layout="?")


def test_a_ready_device_its_sale_and_its_cancellation_delivered_twice_keep_no_idempotency_record(table, dynamodb):
    """Allocation's consumer is idempotent by its own writes: each redelivery finds its work done
    (one reservation, one fulfilment, one release), and no idempotency record is written."""
    add_referral("r-1", 20)
    add_referral("r-2", 1)
    ready_once = ready("dev-1")
    make_ready(ready_once)
    make_ready(ready_once)  # the same delivery again: the device is reserved already
    first = get_referral("r-1").body
    assert (first["status"], len(outbox_envelopes_in(dynamodb, "DeviceReserved"))) == ("reserved", 1)

    sold = device_sold("dev-1", first["reservation_id"]).to_envelope()
    make_ready(sold)
    stored = sorted(str(i) for i in all_items(dynamodb))
    make_ready(sold, ready_once)
    assert sorted(str(i) for i in all_items(dynamodb)) == stored

    cancelled = cancellation_of(open_envelope(sold)).to_envelope()
    make_ready(cancelled)
    make_ready(cancelled)
    assert len(published(dynamodb, "ReservationReleased")) == 1
    assert get_referral("r-1").body["status"] == "reserved"  # back in line at its place, the device again
    assert items_with_prefix(dynamodb, "IDEMPOTENCY") == []
