"""Intake's partner API, through the Lambda entry point with HTTP API v2.0 requests."""

from __future__ import annotations

import re
import uuid

import pytest

from intake.handlers.api import handler
from shared.events import open_envelope
from shared.events.intake import DeviceReceived
from tests.unit.support import ROLE_PARTNERS, all_items, call, outbox_envelopes_in

LOT = {"donor_type": "public_body", "territory": "35", "expected_count": 12, "pickup_site": "Hôtel du Département",
       "pickup_date": "2026-12-01"}


def device(serial: str = "5CG8231XYZ", make: str = "HP", **overrides) -> dict:
    return {
        "serial_number": serial, "make": make, "model": "EliteBook 840 G5", "device_type": "laptop",
        "asset_tag": "CD35-2019-0412",
        "specs": {"cpu_model": "i5-8250U", "ram_gb": 8, "drives": [{"kind": "nvme", "size_gb": 256}]},
    } | overrides


@pytest.fixture
def lot_id(table) -> str:
    response = call(handler, "POST", "/intake/lots", "donor", LOT)
    assert response.status == 201, response.body
    return response.body["lot_id"]


def test_health_answers_without_touching_the_table():
    response = call(handler, "GET", "/intake/health", "donor")
    assert (response.status, response.body) == (200, {"service": "intake", "status": "ok"})


def test_a_donor_declares_a_lot(table, dynamodb):
    response = call(handler, "POST", "/intake/lots", "donor", LOT)

    assert response.status == 201
    lot = response.body
    assert lot["donor_id"] == ROLE_PARTNERS["donor"]  # from the authorizer, never from the body
    assert lot["provenance"] == {"donor_type": "public_body", "territory": "35"}
    assert (lot["expected_count"], lot["status"], lot["pickup_date"]) == (12, "declared", "2026-12-01")
    assert [i["pk"] for i in all_items(dynamodb)] == [f"LOT#{lot['lot_id']}"]

    read = call(handler, "GET", f"/intake/lots/{lot['lot_id']}", "warehouse")
    assert read.status == 200
    assert read.body["lot_id"] == lot["lot_id"] and read.body["devices"] == []


def test_the_warehouse_receives_a_device_with_its_event_in_the_same_write(lot_id, dynamodb):
    response = call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device())

    assert response.status == 201, response.body
    body = response.body
    device_id = body["device_id"]
    assert (body["lot_id"], body["donor_id"], body["status"]) == (lot_id, ROLE_PARTNERS["donor"], "received")
    assert re.fullmatch(r"SV-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", body["label_code"])
    assert not {"pk", "sk", "gsi1pk", "gsi1sk", "version"} & set(body)

    keys = {i["pk"] for i in all_items(dynamodb)}
    assert {f"DEVICE#{device_id}", "SERIAL#HP#5CG8231XYZ", f"LABEL#{body['label_code']}"} <= keys

    [envelope] = outbox_envelopes_in(dynamodb)
    event = open_envelope(envelope)
    assert isinstance(event, DeviceReceived)
    assert (envelope.source, envelope.subject) == ("seconde-vie.intake", device_id)
    assert (event.lot_id, event.serial_number, event.make, event.label_code) == (
        lot_id, "5CG8231XYZ", "HP", body["label_code"])
    assert event.provenance.territory == "35"
    assert envelope.occurred_at.isoformat() == body["received_at"]

    read = call(handler, "GET", f"/intake/devices/{device_id}", "workshop").body
    same = ("device_id", "lot_id", "donor_id", "label_code", "serial_number", "make", "model", "status", "received_at")
    assert {k: read[k] for k in same} == {k: body[k] for k in same}
    lot = call(handler, "GET", f"/intake/lots/{lot_id}", "donor").body
    assert [d["device_id"] for d in lot["devices"]] == [device_id]


def test_the_same_serial_and_make_cannot_be_received_twice(lot_id, dynamodb):
    assert call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device()).status == 201
    before = all_items(dynamodb)

    # the same physical device, typed with other spacing and case
    again = call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse",
                 device(serial=" 5cg 8231xyz ", make="hp"))

    assert again.status == 409
    assert again.body["message"] == "serial 5cg 8231xyz (hp) is already registered"
    assert sorted(all_items(dynamodb), key=lambda i: i["pk"]) == sorted(before, key=lambda i: i["pk"])


def test_the_same_serial_from_another_make_is_another_device(lot_id):
    assert call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device(make="HP")).status == 201
    assert call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device(make="Dell")).status == 201


def test_a_device_for_an_unknown_lot_is_refused(table, dynamodb):
    unknown = str(uuid.uuid4())
    response = call(handler, "POST", f"/intake/lots/{unknown}/devices", "warehouse", device())
    assert response.status == 404
    assert unknown in response.body["message"]
    assert all_items(dynamodb) == []


def test_unknown_lot_and_device_are_not_found(table):
    assert call(handler, "GET", "/intake/lots/nope", "donor").status == 404
    assert call(handler, "GET", "/intake/devices/nope", "warehouse").status == 404


@pytest.mark.parametrize("path, body, field", [
    ("/intake/lots", {k: v for k, v in LOT.items() if k != "pickup_site"}, "pickup_site"),
    ("/intake/lots", LOT | {"expected_count": 0}, "expected_count"),
    ("/intake/lots", LOT | {"territory": "Bretagne"}, "territory"),
    ("/intake/lots", LOT | {"donor_id": "someone-else"}, "donor_id"),
    ("/intake/lots/{lot}/devices", {k: v for k, v in device().items() if k != "model"}, "model"),
    ("/intake/lots/{lot}/devices", device(serial="   "), "serial_number"),
    ("/intake/lots/{lot}/devices", device(specs={"ram_gb": 8, "drives": []}), "drives"),
])
def test_a_malformed_body_is_refused_with_the_field_named(lot_id, dynamodb, path, body, field):
    before = all_items(dynamodb)
    role = "donor" if path == "/intake/lots" else "warehouse"
    response = call(handler, "POST", path.format(lot=lot_id), role, body)
    assert response.status == 422
    assert field in {str(part) for problem in response.body["detail"] for part in problem["loc"]}
    assert all_items(dynamodb) == before


def test_a_body_that_is_not_json_is_refused(table):
    response = call(handler, "POST", "/intake/lots", "donor", "{not json")
    assert response.status == 422


@pytest.mark.parametrize("method, path, role, body", [
    ("POST", "/intake/lots", "point_of_sale", LOT),
    ("POST", "/intake/lots", "warehouse", LOT),
    ("POST", "/intake/lots/{lot}/devices", "donor", device()),
    ("GET", "/intake/lots/{lot}", "workshop", None),
])
def test_a_partner_cannot_act_outside_its_role(lot_id, dynamodb, method, path, role, body):
    before = all_items(dynamodb)
    response = call(handler, method, path.format(lot=lot_id), role, body)
    assert response.status == 403
    assert role in response.body["message"]
    assert all_items(dynamodb) == before


def test_an_admin_may_act_in_any_role(table):
    assert call(handler, "POST", "/intake/lots", "admin", LOT).status == 201


def test_a_request_without_partner_identity_is_unauthenticated(table):
    assert call(handler, "POST", "/intake/lots", None, LOT).status == 401
    assert call(handler, "GET", "/intake/lots/x", "nonexistent-role").status == 403


def test_a_device_reads_back_with_the_numbers_it_was_received_with(lot_id):
    body = call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device()).body
    read = call(handler, "GET", f"/intake/devices/{body['device_id']}", "warehouse").body
    assert read["specs"] == body["specs"]
    assert read["specs"]["ram_gb"] == 8


def test_a_donor_sees_only_its_own_lots(lot_id):
    assert call(handler, "GET", f"/intake/lots/{lot_id}", "donor").status == 200
    other_donor = call(handler, "GET", f"/intake/lots/{lot_id}", "donor", partner_id="another-donor")
    assert other_donor.status == 404
