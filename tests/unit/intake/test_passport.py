"""A device's public passport: read by anyone holding its label, never about a beneficiary."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from intake.domain.devices import normalize_label_code
from intake.handlers import api, consumer
from shared.events.refurb import DeviceScrapped, ErasureCertified
from shared.events.sales import DeviceHandedOver, SaleCancelled
from tests.unit.intake.test_api import device
from tests.unit.support import T0, call, deliver, device_ready, device_reserved, device_sold, erasure, outbox_envelopes_in


@pytest.fixture
def received(lot_id) -> dict:
    response = call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device())
    assert response.status == 201
    return response.body


def passport(label_code: str):
    return call(api.handler, "GET", f"/intake/passport/{label_code}", None)  # no partner identity at all


def test_anyone_holding_the_label_reads_the_passport_of_a_device_just_received(received):
    response = passport(received["label_code"])

    assert response.status == 200
    assert response.body == {
        "label_code": received["label_code"], "make": "HP", "model": "EliteBook 840 G5", "device_type": "laptop",
        "grade": None, "erasure_done": False, "erasure": None, "outcome": "in_progress",
    }


def test_a_label_typed_by_hand_is_found_and_an_unknown_one_is_not(received):
    typed = received["label_code"].lower().replace("-", " ")
    assert passport(typed).body["label_code"] == received["label_code"]
    unknown = passport("SV-0000-0000")
    assert unknown.status == 404
    assert unknown.body["message"] == "no device labelled SV-0000-0000"


def test_the_passport_follows_the_device_to_its_beneficiary_without_saying_who_it_is(received):
    device_id = received["device_id"]
    reserved = device_reserved(device_id, reservation_id="res-1")
    sold = device_sold(device_id, "res-1")
    deliver(consumer.handler,
            ErasureCertified(device_id=device_id, certificate_id="c-1", certificate_sha256="b" * 64,
                             drives=[erasure()]).to_envelope(occurred_at=T0 + timedelta(hours=1)),
            device_ready(device_id, grade="B").to_envelope(occurred_at=T0 + timedelta(hours=2)),
            reserved.to_envelope(occurred_at=T0 + timedelta(days=1)),
            sold.to_envelope(occurred_at=T0 + timedelta(days=2)),
            DeviceHandedOver(device_id=device_id, sale_id=sold.sale_id, point_of_sale_id="pos-rennes-centre")
            .to_envelope(occurred_at=T0 + timedelta(days=3)))

    response = passport(received["label_code"])

    assert (response.body["grade"], response.body["erasure_done"], response.body["outcome"]) == ("B", True,
                                                                                                 "handed_over")
    assert response.body["erasure"] == {"completed_on": T0.date().isoformat(), "standard": "NIST SP 800-88",
                                        "levels": ["purge"]}
    text = json.dumps(response.body)
    for private in (reserved.referral_id, reserved.reservation_id, sold.sale_id, sold.receipt_number,
                    "job_seeker", "pos-rennes-centre", received["serial_number"], received["asset_tag"]):
        assert private not in text


def test_an_older_event_delivered_late_never_overwrites_a_newer_one(received):
    device_id = received["device_id"]
    sold = device_sold(device_id, "res-1")
    deliver(consumer.handler,
            DeviceHandedOver(device_id=device_id, sale_id=sold.sale_id, point_of_sale_id="pos-1")
            .to_envelope(occurred_at=T0 + timedelta(days=3)),
            device_ready(device_id, grade="A").to_envelope(occurred_at=T0 + timedelta(days=1)))
    deliver(consumer.handler,
            sold.to_envelope(occurred_at=T0 + timedelta(days=2)),
            device_ready(device_id, grade="C").to_envelope(occurred_at=T0 + timedelta(hours=2)))

    body = passport(received["label_code"]).body

    assert (body["outcome"], body["grade"]) == ("handed_over", "A")


def test_a_device_erased_on_several_drives_shows_the_last_day_and_every_level(received):
    device_id = received["device_id"]
    drives = [erasure(drive_serial="NV-001", level="destroy", technique="physical_destruction"),
              erasure(drive_serial="HD-002", level="clear", technique="overwrite").model_copy(
                  update={"completed_at": T0 + timedelta(days=1, hours=1)})]
    deliver(consumer.handler, ErasureCertified(device_id=device_id, certificate_id="c-1", certificate_sha256="b" * 64,
                                               drives=drives).to_envelope(occurred_at=T0 + timedelta(days=2)))

    body = passport(received["label_code"]).body

    assert body["erasure_done"] is True and body["outcome"] == "in_progress"
    assert body["erasure"] == {"completed_on": (T0 + timedelta(days=1, hours=1)).date().isoformat(),
                               "standard": "NIST SP 800-88", "levels": ["clear", "destroy"]}


@pytest.mark.parametrize("events, outcome", [
    ([lambda d: device_ready(d, grade="A")], "ready"),
    ([lambda d: device_ready(d, grade="A"), lambda d: device_reserved(d, reservation_id="res-1")], "ready"),
    ([lambda d: device_sold(d, "res-1"),
      lambda d: SaleCancelled(device_id=d, sale_id="s-1", reservation_id="res-1", refund_eur="105.00")], "ready"),
    ([lambda d: DeviceScrapped(device_id=d, reason="motherboard_failure")], "recycled"),
])
def test_the_outcome_is_the_latest_outcome_event(received, events, outcome):
    envelopes = [make(received["device_id"]).to_envelope(occurred_at=T0 + timedelta(days=n))
                 for n, make in enumerate(events, start=1)]
    deliver(consumer.handler, *reversed(envelopes))
    assert passport(received["label_code"]).body["outcome"] == outcome


def test_a_device_rejected_at_reception_shows_as_recycled(lot_id, dynamodb):
    rejected = call(api.handler, "POST", f"/intake/lots/{lot_id}/rejections", "warehouse",
                    device(reason="liquid_damage", note="boîtier fendu, carte mère oxydée")).body
    deliver(consumer.handler, *outbox_envelopes_in(dynamodb, "DeviceRejected"))

    assert passport(rejected["label_code"]).body["outcome"] == "recycled"


def test_every_other_route_still_needs_a_partner(received):
    assert call(api.handler, "GET", f"/intake/devices/{received['device_id']}", None).status == 401


@pytest.mark.parametrize("typed, code", [
    ("SV-7K2M-Q9TX", "SV-7K2M-Q9TX"), ("sv 7k2m q9tx", "SV-7K2M-Q9TX"), ("7K2MQ9TX", "SV-7K2M-Q9TX"),
    ("SV-SVAB-C0EF", "SV-SVAB-C0EF"), ("svab-coef", "SV-SVAB-C0EF"), ("SV-1I1L-0O00", "SV-1111-0000"),
])
def test_label_codes_are_read_as_people_type_them(typed, code):
    assert normalize_label_code(typed) == code
