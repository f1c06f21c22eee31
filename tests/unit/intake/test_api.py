"""Intake's partner API, through the Lambda entry point with HTTP API v2.0 requests."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest

from intake.handlers.api import handler
from shared.events import open_envelope
from shared.events.intake import DeviceReceived, DeviceRejected
from tests.unit.intake.conftest import DEPARTEMENT, LOT, get
from tests.unit.support import ROLE_PARTNERS, all_items, call, items_with_prefix, outbox_envelopes_in

COLLEGE = {"donor_id": "college-chateaugiron", "name": "Collège Victor Segalen", "donor_type": "school",
           "territory": "35", "legal_basis": {"convention_ref": "CD35-CLG-2026-03", "signed_on": "2026-04-02"}}
COMPANY = {"donor_id": "donor-octo-rennes", "name": "Octo Rennes", "donor_type": "company", "territory": "35"}


def device(serial: str = "5CG8231XYZ", make: str = "HP", **overrides) -> dict:
    return {
        "serial_number": serial, "make": make, "model": "EliteBook 840 G5", "device_type": "laptop",
        "asset_tag": "CD35-2019-0412",
        "specs": {"cpu_model": "i5-8250U", "ram_gb": 8, "drives": [{"kind": "nvme", "size_gb": 256}]},
    } | overrides


def test_health_answers_without_touching_the_table():
    response = call(handler, "GET", "/intake/health", "donor")
    assert (response.status, response.body) == (200, {"service": "intake", "status": "ok"})


# ── donors ──────────────────────────────────────────────────────────────────────────────

def test_an_administrator_registers_a_public_donor_with_its_convention(table, dynamodb):
    response = call(handler, "POST", "/intake/donors", "admin", DEPARTEMENT)

    assert response.status == 201, response.body
    # the statute it gives under defaults to the one every public body gives under
    statute = "article L. 3212-2 du code général de la propriété des personnes publiques"
    assert {k: response.body[k] for k in DEPARTEMENT} == DEPARTEMENT | {
        "legal_basis": DEPARTEMENT["legal_basis"] | {"statute": statute}}
    assert [i["pk"] for i in all_items(dynamodb)] == [f"DONOR#{DEPARTEMENT['donor_id']}"]
    # the donor reads its own record; another donor does not see it
    assert call(handler, "GET", f"/intake/donors/{DEPARTEMENT['donor_id']}", "donor").body["name"] == DEPARTEMENT["name"]
    assert call(handler, "GET", f"/intake/donors/{DEPARTEMENT['donor_id']}", "donor",
                partner_id="another-donor").status == 404


@pytest.mark.parametrize("registration", [
    {k: v for k, v in DEPARTEMENT.items() if k != "legal_basis"},
    {k: v for k, v in COLLEGE.items() if k != "legal_basis"},
    DEPARTEMENT | {"legal_basis": None},
])
def test_a_public_body_or_a_school_without_its_convention_is_refused(table, dynamodb, registration):
    response = call(handler, "POST", "/intake/donors", "admin", registration)
    assert response.status == 422
    assert ["body", "legal_basis"] in [problem["loc"] for problem in response.body["detail"]]
    assert all_items(dynamodb) == []


def test_a_company_gives_without_a_convention(table):
    response = call(handler, "POST", "/intake/donors", "admin", COMPANY)
    assert response.status == 201, response.body
    assert response.body["legal_basis"] is None


@pytest.mark.parametrize("registration, field", [
    (DEPARTEMENT | {"legal_basis": {"convention_ref": "CD35-2026-014", "signed_on": "2999-01-01"}}, "signed_on"),
    (DEPARTEMENT | {"legal_basis": {"convention_ref": "  ", "signed_on": "2026-03-12"}}, "convention_ref"),
    (DEPARTEMENT | {"territory": "Bretagne"}, "territory"),
    (DEPARTEMENT | {"donor_type": "charity"}, "donor_type"),
    ({k: v for k, v in DEPARTEMENT.items() if k != "name"}, "name"),
])
def test_a_malformed_donor_is_refused_with_the_field_named(table, dynamodb, registration, field):
    response = call(handler, "POST", "/intake/donors", "admin", registration)
    assert response.status == 422
    assert field in {str(part) for problem in response.body["detail"] for part in problem["loc"]}
    assert all_items(dynamodb) == []


def test_registering_the_same_donor_again_changes_nothing_and_other_details_are_refused(donor, dynamodb):
    before = all_items(dynamodb)

    again = call(handler, "POST", "/intake/donors", "admin", DEPARTEMENT)
    changed = call(handler, "POST", "/intake/donors", "admin", DEPARTEMENT | {"territory": "56"})

    assert (again.status, again.body) == (200, donor)
    assert changed.status == 409
    assert changed.body["message"] == f"donor {DEPARTEMENT['donor_id']} is already registered with another territory"
    assert all_items(dynamodb) == before


def test_only_an_administrator_registers_donors(table, dynamodb):
    response = call(handler, "POST", "/intake/donors", "donor", DEPARTEMENT)
    assert response.status == 403
    assert all_items(dynamodb) == []


# ── lots ────────────────────────────────────────────────────────────────────────────────

def test_a_donor_declares_a_lot_whose_provenance_comes_from_its_record(donor, dynamodb):
    response = call(handler, "POST", "/intake/lots", "donor", LOT)

    assert response.status == 201
    lot = response.body
    assert lot["donor_id"] == ROLE_PARTNERS["donor"]  # from the authorizer, never from the body
    assert lot["provenance"] == {"donor_type": "public_body", "territory": "35"}
    assert (lot["expected_count"], lot["status"], lot["pickup_date"]) == (12, "declared", "2026-12-01")
    assert len(items_with_prefix(dynamodb, "LOT#")) == 1

    read = call(handler, "GET", f"/intake/lots/{lot['lot_id']}", "warehouse")
    assert read.status == 200
    assert read.body["lot_id"] == lot["lot_id"] and read.body["devices"] == []


def test_a_donor_that_is_not_registered_cannot_declare_a_lot(table, dynamodb):
    response = call(handler, "POST", "/intake/lots", "donor", LOT, partner_id="donor-unknown")
    assert response.status == 409
    assert response.body["message"].startswith("donor donor-unknown is not registered")
    assert "POST /intake/donors" in response.body["message"]
    assert all_items(dynamodb) == []


def test_a_lot_moves_forward_only_and_a_closed_lot_takes_no_more_devices(lot_id, dynamodb):
    def move(status: str):
        return call(handler, "POST", f"/intake/lots/{lot_id}/status", "warehouse", {"status": status})

    collected = move("collected")
    assert (collected.status, collected.body["status"]) == (200, "collected")
    assert collected.body["collected_at"]
    back = move("declared")
    assert back.status == 409
    assert back.body["message"].startswith(f"lot {lot_id} is collected: it can only move forward")
    assert move("closed").body["status"] == "closed"  # a step may be skipped
    before = all_items(dynamodb)

    refused = call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device())

    assert refused.status == 409
    assert refused.body["message"] == f"lot {lot_id} is closed: no device can be added to it"
    assert all_items(dynamodb) == before


def test_a_donor_lists_its_lots_and_the_warehouse_names_the_donor(lot_id):
    mine = call(handler, "GET", "/intake/lots", "donor")
    assert [lot["lot_id"] for lot in mine.body["items"]] == [lot_id]
    assert call(handler, "GET", "/intake/lots", "donor", partner_id="another-donor").body["items"] == []

    unnamed = call(handler, "GET", "/intake/lots", "admin")
    assert unnamed.status == 422 and "donor_id" in unnamed.body["message"]
    named = get(handler, "/intake/lots", "warehouse", {"donor_id": ROLE_PARTNERS["donor"]})
    assert [lot["lot_id"] for lot in named.body["items"]] == [lot_id]


def test_a_warehouse_lists_every_lot_of_its_territory_and_none_of_another(lot_id):
    call(handler, "POST", "/intake/donors", "admin", COMPANY | {"territory": "44"})
    elsewhere = call(handler, "POST", "/intake/lots", "donor", LOT, partner_id=COMPANY["donor_id"]).body["lot_id"]

    mine = call(handler, "GET", "/intake/lots", "warehouse")
    assert (mine.status, mine.body["territory"]) == (200, "35")
    assert [lot["lot_id"] for lot in mine.body["items"]] == [lot_id]
    assert mine.body["items"][0]["pickup_site"] == LOT["pickup_site"]
    theirs = call(handler, "GET", "/intake/lots", "warehouse", territory="44").body["items"]
    assert [lot["lot_id"] for lot in theirs] == [elsewhere]


def test_the_devices_of_a_lot_come_page_by_page(lot_id):
    received = [call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse",
                     device(serial=f"5CG00{n}")).body["device_id"] for n in range(5)]

    seen, cursor = [], None
    while True:
        page = get(handler, f"/intake/lots/{lot_id}/devices", "donor", {"limit": 2} | ({"cursor": cursor} if cursor else {})).body
        assert len(page["items"]) <= 2
        seen += [d["device_id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break

    assert sorted(seen) == sorted(received)
    bad = get(handler, f"/intake/lots/{lot_id}/devices", "donor", {"cursor": "bm90LWEtY3Vyc29y"})
    assert bad.status == 422 and bad.body["message"].startswith("cursor:")


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
    assert envelope.occurred_at == datetime.fromisoformat(body["received_at"])

    read = call(handler, "GET", f"/intake/devices/{device_id}", "warehouse").body
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
    assert again.body["message"] == "serial 5cg8231xyz (hp) is already registered"
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
    ("/intake/lots", LOT | {"territory": "35"}, "territory"),  # provenance comes from the donor record
    ("/intake/lots", LOT | {"donor_type": "company"}, "donor_type"),
    ("/intake/lots", LOT | {"donor_id": "someone-else"}, "donor_id"),
    ("/intake/lots/{lot}/status", {"status": "lost"}, "status"),
    ("/intake/lots/{lot}/devices", {k: v for k, v in device().items() if k != "model"}, "model"),
    ("/intake/lots/{lot}/devices", device(serial="   "), "serial_number"),
    ("/intake/lots/{lot}/devices", device(specs={"ram_gb": 8, "drives": []}), "drives"),
    ("/intake/lots/{lot}/devices", device(device_type="printer"), "device_type"),
    ("/intake/lots/{lot}/rejections", device(), "reason"),
    ("/intake/lots/{lot}/rejections", device(reason="screen cracked"), "reason"),
    ("/intake/lots/{lot}/rejections", device(reason="other", note="remis par Mme Martin"), "note"),
    ("/intake/lots/{lot}/devices", device(visible_condition="rayures, appeler le 06 12 34 56 78"), "visible_condition"),
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
    ("POST", "/intake/lots/{lot}/rejections", "donor", device(reason="physical_damage")),
    ("POST", "/intake/lots/{lot}/status", "donor", {"status": "collected"}),
    ("GET", "/intake/lots/{lot}", "workshop", None),
    ("POST", "/intake/donors", "warehouse", COMPANY),
])
def test_a_partner_cannot_act_outside_its_role(lot_id, dynamodb, method, path, role, body):
    before = all_items(dynamodb)
    response = call(handler, method, path.format(lot=lot_id), role, body)
    assert response.status == 403
    assert role in response.body["message"]
    assert all_items(dynamodb) == before


def test_an_admin_may_act_in_any_role(lot_id):
    assert call(handler, "POST", f"/intake/lots/{lot_id}/devices", "admin", device()).status == 201
    assert call(handler, "POST", f"/intake/lots/{lot_id}/status", "admin", {"status": "collected"}).status == 200


def test_a_request_without_partner_identity_is_unauthenticated(table):
    assert call(handler, "POST", "/intake/lots", None, LOT).status == 401
    assert call(handler, "GET", "/intake/lots/x", "nonexistent-role").status == 403


def test_a_device_reads_back_with_the_numbers_it_was_received_with(lot_id):
    body = call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device()).body
    read = call(handler, "GET", f"/intake/devices/{body['device_id']}", "warehouse").body
    assert read["specs"] == body["specs"]
    assert read["specs"]["ram_gb"] == 8


def test_a_donor_sees_only_its_own_lots_and_devices(lot_id):
    assert call(handler, "GET", f"/intake/lots/{lot_id}", "donor").status == 200
    other_donor = call(handler, "GET", f"/intake/lots/{lot_id}", "donor", partner_id="another-donor")
    assert other_donor.status == 404
    device_id = call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device()).body["device_id"]
    assert call(handler, "GET", f"/intake/devices/{device_id}", "donor").status == 200
    assert call(handler, "GET", f"/intake/devices/{device_id}", "donor", partner_id="another-donor").status == 404


# ── rejection at reception ──────────────────────────────────────────────────────────────

def test_a_device_not_worth_refurbishing_is_rejected_at_reception_with_its_reason(lot_id, dynamodb):
    response = call(handler, "POST", f"/intake/lots/{lot_id}/rejections", "warehouse",
                    device(reason="physical_damage", note="cracked motherboard", specs=None))

    assert response.status == 201, response.body
    body = response.body
    assert (body["status"], body["rejection_reason"], body["rejection_note"], body["lot_id"]) == (
        "rejected", "physical_damage", "cracked motherboard", lot_id)
    assert body["label_code"].startswith("SV-")
    [envelope] = outbox_envelopes_in(dynamodb)
    event = open_envelope(envelope)
    assert isinstance(event, DeviceRejected)
    assert (event.device_id, event.lot_id, event.reason) == (body["device_id"], lot_id, "physical_damage")
    assert "cracked motherboard" not in envelope.model_dump_json()  # the warehouse's note stays in intake
    assert outbox_envelopes_in(dynamodb, "DeviceReceived") == []

    # the same device cannot come back in as received: its serial is held
    again = call(handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse", device())
    assert again.status == 409
    assert again.body["message"] == "serial 5CG8231XYZ (HP) is already registered"
