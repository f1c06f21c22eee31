"""Allocation through its Lambda entry points: ready devices are reserved, fairly and only once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from allocation import reservations
from allocation.adapters.repository import AllocationRepository
from allocation.domain.matching import AvailableDevice, Referral, longest_waiting_first
from allocation.handlers import api, consumer
from shared.events import open_envelope
from shared.events.allocation import DeviceReserved
from shared.outbox import ConcurrencyConflict
from tests.unit.support import (
    ROLE_PARTNERS,
    T0,
    LambdaContext,
    call,
    deliver,
    device_ready,
    device_sold,
    items_with_prefix,
    outbox_envelopes_in,
    sqs_batch,
    sqs_record,
)

REFERRAL = {"beneficiary_ref": "FT-8812-XK", "category": "job_seeker", "territory": "35",
            "eligibility_proof_ref": "pole-emploi-attestation-2026-11"}


def add_referral(referral_id: str, waited_days: int, beneficiary_ref: str | None = None) -> Referral:
    referral = Referral(referral_id=referral_id, partner_id=ROLE_PARTNERS["referrer"],
                        beneficiary_ref=beneficiary_ref or f"FT-{referral_id}", category="student",
                        territory="35", eligibility_proof_ref="proof", created_at=T0 - timedelta(days=waited_days))
    AllocationRepository().add_referral(referral)
    return referral


def get_referral(referral_id: str, partner_id: str | None = None):
    return call(api.handler, "GET", f"/allocation/referrals/{referral_id}", "referrer", partner_id=partner_id)


def test_a_referral_with_no_device_available_stays_waiting(table, dynamodb):
    response = call(api.handler, "POST", "/allocation/referrals", "referrer", REFERRAL)

    assert response.status == 201, response.body
    assert response.body["status"] == "waiting"
    assert response.body["device_id"] is None
    assert response.body["partner_id"] == ROLE_PARTNERS["referrer"]
    assert get_referral(response.body["referral_id"]).body["status"] == "waiting"
    assert outbox_envelopes_in(dynamodb) == []


def test_a_ready_device_is_reserved_for_the_longest_waiting_referral(table, dynamodb):
    add_referral("r-recent", 1)
    add_referral("r-oldest", 20, beneficiary_ref="FT-SECRET-4471")
    ready = device_ready("dev-1", grade="B").to_envelope(correlation_id="flow-dev-1")

    assert deliver(consumer.handler, ready)["batchItemFailures"] == []

    oldest = get_referral("r-oldest").body
    assert (oldest["status"], oldest["device_id"]) == ("reserved", "dev-1")
    reservation = oldest["reservation"]
    assert (reservation["status"], reservation["device_id"], reservation["referral_id"]) == (
        "active", "dev-1", "r-oldest")
    assert reservation["explanation"]["rule"] == "longest waiting referral first"
    assert reservation["explanation"]["passed_over"] == [{"referral_id": "r-recent", "why": "referred later"}]
    assert get_referral("r-recent").body["status"] == "waiting"

    [reserved] = outbox_envelopes_in(dynamodb, "DeviceReserved")
    event = open_envelope(reserved)
    assert isinstance(event, DeviceReserved)
    assert (event.device_id, event.referral_id, event.reservation_id, event.grade) == (
        "dev-1", "r-oldest", reservation["reservation_id"], "B")
    assert event.expires_at == reserved.occurred_at + timedelta(days=14)
    # the flow is traceable, and no beneficiary detail leaves the service
    assert (reserved.correlation_id, reserved.causation_id) == ("flow-dev-1", ready.event_id)
    raw = reserved.model_dump_json()
    assert "beneficiary_ref" not in raw and "FT-SECRET-4471" not in raw


def test_a_ready_device_with_nobody_waiting_stays_available_for_the_next_referral(table, dynamodb):
    assert deliver(consumer.handler, device_ready("dev-1").to_envelope())["batchItemFailures"] == []
    assert outbox_envelopes_in(dynamodb) == []

    response = call(api.handler, "POST", "/allocation/referrals", "referrer", REFERRAL)

    assert response.status == 201
    assert (response.body["status"], response.body["device_id"]) == ("reserved", "dev-1")
    [reserved] = outbox_envelopes_in(dynamodb, "DeviceReserved")
    assert open_envelope(reserved).referral_id == response.body["referral_id"]
    assert "FT-8812-XK" not in reserved.model_dump_json()


def test_a_redelivered_device_ready_does_not_reserve_a_second_time(table, dynamodb):
    add_referral("r-1", 3)
    add_referral("r-2", 2)
    ready = device_ready("dev-1")
    deliver(consumer.handler, ready.to_envelope())
    # a re-publication of the same fact under a new event id
    assert deliver(consumer.handler, ready.to_envelope())["batchItemFailures"] == []

    assert len(outbox_envelopes_in(dynamodb, "DeviceReserved")) == 1
    assert len(items_with_prefix(dynamodb, "RESERVATION#")) == 1
    assert get_referral("r-2").body["status"] == "waiting"


def add_available_device(device_id: str) -> None:
    """A device in the pool, not yet matched (as if nobody was waiting when it became ready)."""
    event = device_ready(device_id)
    AllocationRepository().add_device(AvailableDevice(
        device_id=device_id, grade=event.grade, device_type=event.device_type, specs=event.specs,
        provenance=event.provenance, ready_at=T0,
    ))


def test_a_device_is_never_reserved_twice_from_the_same_read(table, dynamodb):
    add_available_device("dev-1")
    add_referral("r-1", 5)
    add_referral("r-2", 4)
    repository = AllocationRepository()
    device = repository.get_device("dev-1")  # one read, two concurrent decisions
    match_a = longest_waiting_first(device, [repository.get_referral("r-1")])
    match_b = longest_waiting_first(device, [repository.get_referral("r-2")])

    reservations.reserve(repository, match_a)
    with pytest.raises(ConcurrencyConflict, match="device dev-1 was reserved meanwhile"):
        reservations.reserve(repository, match_b)

    assert len(items_with_prefix(dynamodb, "RESERVATION#")) == 1
    assert [open_envelope(e).referral_id for e in outbox_envelopes_in(dynamodb, "DeviceReserved")] == ["r-1"]
    assert repository.get_referral("r-2").status == "waiting"
    assert [r.referral_id for r in repository.waiting_referrals()] == ["r-2"]
    assert repository.available_devices() == []


def test_a_referral_is_never_given_two_devices_from_the_same_read(table, dynamodb):
    add_available_device("dev-1")
    add_available_device("dev-2")
    add_referral("r-1", 5)
    repository = AllocationRepository()
    referral = repository.get_referral("r-1")
    reservations.reserve(repository, longest_waiting_first(repository.get_device("dev-1"), [referral]))
    with pytest.raises(ConcurrencyConflict, match="referral r-1 changed meanwhile"):
        reservations.reserve(repository, longest_waiting_first(repository.get_device("dev-2"), [referral]))
    assert [d.device_id for d in repository.available_devices()] == ["dev-2"]


def test_matching_that_loses_a_race_does_not_reserve_the_device_again(table, dynamodb):
    add_available_device("dev-1")
    add_referral("r-1", 5)
    add_referral("r-2", 4)

    class RacedRepository(AllocationRepository):
        """Another consumer reserves the device between our read and our write, once."""
        raced = False

        def waiting_referrals(self, limit: int = 100):
            waiting = super().waiting_referrals(limit)
            if not self.raced:
                self.raced = True
                other = AllocationRepository()
                reservations.reserve(other, longest_waiting_first(other.get_device("dev-1"), waiting))
            return waiting

    assert reservations.match_device(RacedRepository(), "dev-1") is None
    assert len(outbox_envelopes_in(dynamodb, "DeviceReserved")) == 1
    assert len(items_with_prefix(dynamodb, "RESERVATION#")) == 1


def test_a_sale_fulfils_the_reservation_the_device_and_the_referral(table, dynamodb):
    add_referral("r-1", 5)
    deliver(consumer.handler, device_ready("dev-1").to_envelope())
    reservation_id = get_referral("r-1").body["reservation_id"]

    sold = device_sold("dev-1", reservation_id)
    assert deliver(consumer.handler, sold.to_envelope())["batchItemFailures"] == []
    # the same sale announced again under a new event id changes nothing
    assert deliver(consumer.handler, sold.to_envelope())["batchItemFailures"] == []

    body = get_referral("r-1").body
    assert body["status"] == "fulfilled"
    assert body["reservation"]["status"] == "fulfilled"
    repository = AllocationRepository()
    assert repository.get_device("dev-1").status == "sold"
    assert repository.get_reservation(reservation_id)["version"] == 2


def test_a_sale_for_an_unknown_reservation_fails_its_record(table):
    add_referral("r-1", 5)
    ready, sold = device_ready("dev-1").to_envelope(), device_sold("dev-9", "res-unknown").to_envelope()
    response = consumer.handler(sqs_batch(sqs_record(sold, "m-sold"), sqs_record(ready, "m-ready")), LambdaContext())
    assert response["batchItemFailures"] == [{"itemIdentifier": "m-sold"}]
    assert get_referral("r-1").body["status"] == "reserved"


def test_a_referrer_sees_only_its_own_referrals(table):
    created = call(api.handler, "POST", "/allocation/referrals", "referrer", REFERRAL).body
    assert get_referral(created["referral_id"]).status == 200
    other = get_referral(created["referral_id"], partner_id="referrer-another-association")
    assert other.status == 404
    assert call(api.handler, "GET", f"/allocation/referrals/{created['referral_id']}", "admin").status == 200


def test_a_referral_needs_a_referrer_and_a_valid_request(table, dynamodb):
    assert call(api.handler, "POST", "/allocation/referrals", "point_of_sale", REFERRAL).status == 403
    bad = call(api.handler, "POST", "/allocation/referrals", "referrer", REFERRAL | {"beneficiary_ref": "Jean Dupont"})
    assert bad.status == 422
    assert "beneficiary_ref" in {str(p) for problem in bad.body["detail"] for p in problem["loc"]}
    assert items_with_prefix(dynamodb, "REFERRAL#") == []
