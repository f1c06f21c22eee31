"""A device's timeline: every service's events about it, in the order they happened, and what
each kind of reader may see of it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from intake.handlers import api, consumer
from shared.events.refurb import ErasureCertified, WorkOrderAssigned
from shared.events.sales import WarrantyClaimOpened
from tests.unit.support import T0, call, deliver, device_ready, device_received, device_reserved, device_sold, erasure

DEVICE = {"serial_number": "5CG8231XYZ", "make": "HP", "model": "EliteBook 840 G5", "device_type": "laptop",
          "specs": {"cpu_model": "i5-8250U", "ram_gb": 8, "drives": [{"kind": "nvme", "size_gb": 256}]}}


def _timeline(device_id: str, role: str = "donor", **kwargs):
    return call(api.handler, "GET", f"/intake/devices/{device_id}/timeline", role, **kwargs)


@pytest.fixture
def device_id(lot_id) -> str:
    response = call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", DEVICE)
    assert response.status == 201, response.body
    return response.body["device_id"]


@pytest.fixture
def journey(device_id):
    """The device's whole life, delivered out of order in two batches, as queues may do."""
    reserved = device_reserved(device_id, reservation_id="res-1")
    steps = [
        device_received(device_id).to_envelope(occurred_at=T0),
        WorkOrderAssigned(device_id=device_id, workshop_id="workshop-rennes").to_envelope(
            occurred_at=T0 + timedelta(minutes=1)),
        ErasureCertified(device_id=device_id, certificate_id="c-1", certificate_sha256="b" * 64,
                         drives=[erasure()]).to_envelope(occurred_at=T0 + timedelta(hours=2)),
        device_ready(device_id).to_envelope(occurred_at=T0 + timedelta(hours=3)),
        reserved.to_envelope(occurred_at=T0 + timedelta(days=1)),
        device_sold(device_id, "res-1").to_envelope(occurred_at=T0 + timedelta(days=2, microseconds=5)),
        WarrantyClaimOpened(device_id=device_id, claim_id="claim-1", claim_reference="pos-rennes-centre-2026-000001-W1",
                            sale_id="sale-1", fault_category="battery").to_envelope(occurred_at=T0 + timedelta(days=40)),
    ]
    assert deliver(consumer.handler, steps[5], steps[2], steps[4], steps[6])["batchItemFailures"] == []
    assert deliver(consumer.handler, steps[3], steps[0], steps[1])["batchItemFailures"] == []
    return steps, reserved


def test_an_administrator_sees_every_step_whole_in_the_order_it_happened(device_id, journey):
    steps, reserved = journey
    response = _timeline(device_id, "admin")

    assert response.status == 200
    lines = response.body["items"]
    assert [line["event_type"] for line in lines] == [
        "DeviceReceived", "WorkOrderAssigned", "ErasureCertified", "DeviceReady", "DeviceReserved", "DeviceSold",
        "WarrantyClaimOpened"]
    assert [line["event_id"] for line in lines] == [s.event_id for s in steps]
    assert lines[4]["payload"]["referral_id"] == reserved.referral_id


def test_the_donor_sees_the_journey_and_nothing_about_the_beneficiary(device_id, journey):
    steps, reserved = journey
    response = _timeline(device_id, "donor")

    assert response.status == 200
    lines = response.body["items"]
    assert [line["event_type"] for line in lines] == [s.event_type for s in steps]
    assert lines[0]["details"]["lot_id"] == steps[0].payload["lot_id"]
    assert lines[1]["details"] == {"workshop_id": "workshop-rennes"}
    assert lines[3]["details"]["grade"] == "A"
    text = json.dumps(response.body)
    for secret in (reserved.referral_id, reserved.reservation_id, "res-1", "sale-1", "job_seeker", "battery",
                   "price_eur", "receipt_number", "pos-rennes-centre-2026", "correlation_id", steps[4].correlation_id):
        assert secret not in text, secret
    assert all(line["details"] == {} for line in lines[4:])


def test_the_workshop_follows_the_devices_assigned_to_it_only(device_id, lot_id):
    deliver(consumer.handler, device_received(device_id).to_envelope(occurred_at=T0))
    assert _timeline(device_id, "workshop").status == 404  # not assigned yet: not there
    deliver(consumer.handler, WorkOrderAssigned(device_id=device_id, workshop_id="workshop-rennes").to_envelope())

    assert _timeline(device_id, "workshop").status == 200
    assert _timeline(device_id, "workshop", partner_id="workshop-nantes").status == 404
    assert call(api.handler, "GET", f"/intake/devices/{device_id}", "workshop").status == 200


def test_referrers_and_points_of_sale_see_no_timeline_other_partners_none_of_others_devices(device_id, journey):
    assert _timeline(device_id, "point_of_sale").status == 403
    assert _timeline(device_id, "referrer").status == 403
    assert _timeline(device_id, "donor", partner_id="donor-departement-44").status == 404
    assert _timeline(device_id, "warehouse", territory="44").status == 404
    assert _timeline(device_id, "warehouse").status == 200


def test_an_unknown_device_has_no_timeline(table):
    response = _timeline("dev-unknown", "admin")
    assert response.status == 404
    assert "dev-unknown" in response.body["message"]


def test_a_redelivered_event_appears_once_in_the_timeline(device_id):
    envelope = device_received(device_id).to_envelope()
    deliver(consumer.handler, envelope, envelope)
    deliver(consumer.handler, envelope)
    assert [line["event_id"] for line in _timeline(device_id, "admin").body["items"]] == [envelope.event_id]


def test_the_same_fact_announced_again_under_a_new_event_id_appears_once(device_id):
    first = device_received(device_id).to_envelope(occurred_at=T0)
    again = first.model_copy(update={"event_id": "re-published-1", "correlation_id": "re-published-1"})
    deliver(consumer.handler, first)
    deliver(consumer.handler, again, again.model_copy(update={"event_id": "re-published-2"}))
    assert [line["event_id"] for line in _timeline(device_id, "admin").body["items"]] == [first.event_id]


def test_a_device_given_back_to_a_workshop_it_had_before_shows_each_assignment(device_id):
    assignments = [WorkOrderAssigned(device_id=device_id, workshop_id=workshop).to_envelope(
        occurred_at=T0 + timedelta(hours=hour)) for hour, workshop in enumerate(["w-a", "w-b", "w-a"])]
    deliver(consumer.handler, *assignments)
    lines = _timeline(device_id, "admin").body["items"]
    assert [line["payload"]["workshop_id"] for line in lines] == ["w-a", "w-b", "w-a"]


def test_timelines_of_two_devices_do_not_mix(lot_id, device_id):
    other = call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse",
                 {**DEVICE, "serial_number": "5CG0000ABC"}).body["device_id"]
    first, second = device_received(device_id).to_envelope(), device_received(other).to_envelope()
    deliver(consumer.handler, first, second)
    assert [line["event_id"] for line in _timeline(device_id, "admin").body["items"]] == [first.event_id]
    assert [line["event_id"] for line in _timeline(other, "admin").body["items"]] == [second.event_id]


def test_a_partner_without_a_known_role_cannot_read_a_timeline(device_id):
    assert _timeline(device_id, role="nobody").status == 403
