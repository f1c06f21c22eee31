"""A device's timeline: every service's events about it, in the order they happened."""

from __future__ import annotations

from datetime import timedelta

from intake.handlers import api, consumer
from tests.unit.support import T0, call, deliver, device_ready, device_received, device_reserved, device_sold, erasure
from shared.events.refurb import ErasureCertified


def _timeline(device_id: str, role: str = "donor"):
    return call(api.handler, "GET", f"/intake/devices/{device_id}/timeline", role)


def test_a_device_without_events_has_no_timeline(table):
    response = _timeline("dev-unknown")
    assert response.status == 404
    assert "dev-unknown" in response.body["message"]


def test_the_timeline_lists_every_service_step_in_the_order_it_happened(table):
    device_id = "dev-1"
    reserved = device_reserved(device_id, reservation_id="res-1")
    steps = [
        device_received(device_id).to_envelope(occurred_at=T0),
        ErasureCertified(device_id=device_id, certificate_id="c-1", certificate_sha256="b" * 64,
                         drives=[erasure()]).to_envelope(occurred_at=T0 + timedelta(hours=2)),
        device_ready(device_id).to_envelope(occurred_at=T0 + timedelta(hours=3)),
        reserved.to_envelope(occurred_at=T0 + timedelta(days=1)),
        device_sold(device_id, "res-1").to_envelope(occurred_at=T0 + timedelta(days=2, microseconds=5)),
    ]
    # delivered out of order, in two batches, as queues may do
    assert deliver(consumer.handler, steps[4], steps[1], steps[3])["batchItemFailures"] == []
    assert deliver(consumer.handler, steps[2], steps[0])["batchItemFailures"] == []

    response = _timeline(device_id, role="point_of_sale")

    assert response.status == 200
    assert response.body["device_id"] == device_id
    lines = response.body["steps"]
    assert [line["event_type"] for line in lines] == [
        "DeviceReceived", "ErasureCertified", "DeviceReady", "DeviceReserved", "DeviceSold"]
    assert [line["event_id"] for line in lines] == [s.event_id for s in steps]
    assert [line["source"] for line in lines] == [
        "seconde-vie.intake", "seconde-vie.refurb", "seconde-vie.refurb", "seconde-vie.allocation",
        "seconde-vie.sales"]
    assert lines[3]["payload"]["referral_id"] == reserved.referral_id
    assert "beneficiary_ref" not in lines[3]["payload"]


def test_a_redelivered_event_appears_once_in_the_timeline(table):
    envelope = device_received("dev-1").to_envelope()
    deliver(consumer.handler, envelope, envelope)
    deliver(consumer.handler, envelope)
    assert [line["event_id"] for line in _timeline("dev-1").body["steps"]] == [envelope.event_id]


def test_timelines_of_two_devices_do_not_mix(table):
    first, second = device_received("dev-1").to_envelope(), device_received("dev-2").to_envelope()
    deliver(consumer.handler, first, second)
    assert [line["event_id"] for line in _timeline("dev-1").body["steps"]] == [first.event_id]
    assert [line["event_id"] for line in _timeline("dev-2").body["steps"]] == [second.event_id]


def test_a_partner_without_a_device_role_cannot_read_a_timeline(table):
    deliver(consumer.handler, device_received("dev-1").to_envelope())
    assert _timeline("dev-1", role="nobody").status == 403
