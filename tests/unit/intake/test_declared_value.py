"""The value a donor declares for each device: captured at reception, in a file or a declaration,
and refused above 300 € for a public body or a school, before anything is written."""

from __future__ import annotations

import pytest

from intake.domain.inventory import parse_euros, read_inventory
from intake.handlers import api
from tests.unit.intake.conftest import queued_messages, run_worker
from tests.unit.intake.test_api import COLLEGE, COMPANY, device
from tests.unit.intake.test_imports import DECLARATION_HEADERS, devices, upload
from tests.unit.intake.test_inventory import FRENCH_HEADERS, csv_file, row
from tests.unit.support import all_items, call

WITH_VALUE = FRENCH_HEADERS + ["Valeur (€)"]


def lot_of(donor: dict) -> str:
    """A lot declared by `donor`, registered first by the administrator."""
    assert call(api.handler, "POST", "/intake/donors", "admin", donor).status == 201
    response = call(api.handler, "POST", "/intake/lots", "donor", {"expected_count": 5, "pickup_site": "Rennes"},
                    partner_id=donor["donor_id"])
    assert response.status == 201, response.body
    return response.body["lot_id"]


def test_the_warehouse_records_the_declared_value_of_a_device_it_receives(lot_id):
    response = call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse",
                    device(declared_value_eur=249.9))

    assert response.status == 201, response.body
    assert response.body["declared_value_eur"] == "249.90"
    stored = call(api.handler, "GET", f"/intake/devices/{response.body['device_id']}", "donor").body
    assert stored["declared_value_eur"] == "249.90"


@pytest.mark.parametrize("path, body", [
    ("devices", device(declared_value_eur="300.01")),
    ("rejections", device(declared_value_eur=450, reason="physical_damage")),
], ids=["reception", "rejection at reception"])
def test_a_public_body_may_not_give_a_device_worth_more_than_300_euros(lot_id, dynamodb, path, body):
    before = all_items(dynamodb)

    response = call(api.handler, "POST", f"/intake/lots/{lot_id}/{path}", "warehouse", body)

    assert response.status == 422
    assert response.body["message"].startswith("declared_value_eur: ")
    assert "at most 300 €" in response.body["message"]
    assert all_items(dynamodb) == before  # no device, no serial held, no event


def test_exactly_300_euros_is_allowed_and_a_school_has_the_same_cap(table):
    college_lot = lot_of(COLLEGE)
    at_cap = call(api.handler, "POST", f"/intake/lots/{college_lot}/devices", "warehouse",
                  device(declared_value_eur=300))
    over = call(api.handler, "POST", f"/intake/lots/{college_lot}/devices", "warehouse",
                device("5CG0000002", declared_value_eur=300.5))

    assert (at_cap.status, at_cap.body["declared_value_eur"]) == (201, "300.00")
    assert over.status == 422 and "declared_value_eur" in over.body["message"]


def test_a_company_has_no_cap(table):
    response = call(api.handler, "POST", f"/intake/lots/{lot_of(COMPANY)}/devices", "warehouse",
                    device(declared_value_eur=1450))
    assert (response.status, response.body["declared_value_eur"]) == (201, "1450.00")


@pytest.mark.parametrize("value", [-1, "deux cents", 12.345, 10_000_000])
def test_a_malformed_value_is_refused_naming_the_field(lot_id, dynamodb, value):
    before = all_items(dynamodb)
    response = call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse",
                    device(declared_value_eur=value))
    assert response.status == 422
    assert ["body", "declared_value_eur"] in [problem["loc"] for problem in response.body["detail"]]
    assert all_items(dynamodb) == before


# ── files ────────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("header", ["Valeur", "Valeur déclarée", "Valeur (€)", "Valeur nette comptable (EUR)"])
def test_a_files_value_column_is_found_under_its_usual_french_headers(header):
    data = csv_file([row() + ["249,90 €"]], headers=FRENCH_HEADERS + [header])
    parsed = read_inventory(data, specs_required=True)
    assert parsed.columns["declared_value_eur"] == header
    assert str(parsed.accepted[0].device.declared_value_eur) == "249.90"


@pytest.mark.parametrize("cell, euros", [
    ("250", "250.00"), ("249,90", "249.90"), ("1 200,50 €", "1200.50"), ("1.200,50", "1200.50"),
    ("90 EUR", "90.00"), ("€ 12.5", "12.50"), ("-5", None), ("environ 200", None), ("1.200", None),
])
def test_values_are_read_as_spreadsheets_write_them(cell, euros):
    value = parse_euros(cell)
    assert (str(value) if value is not None else None) == euros


def test_a_row_above_the_cap_or_with_an_unreadable_value_is_rejected_with_the_reason(lot_id, dynamodb, sqs,
                                                                                    import_queue):
    data = csv_file([row("5CG0001") + ["300"], row("5CG0002") + ["350,00"], row("5CG0003") + ["beaucoup"],
                     row("5CG0004") + [""]], headers=WITH_VALUE)

    job = upload(lot_id, data).body
    run_worker(queued_messages(sqs, import_queue))

    assert [(r["row"], r["reason"]) for r in job["rejected_rows"]] == [
        (3, "declared value: 350.00 € declared; a public body or a school may give a device worth at most 300 € "
            "(lower the value, or leave it out if unknown)"),
        (4, "invalid declared value 'beaucoup' (expected e.g. '250' or '249,90 €')"),
    ]
    assert {d["serial_number"]: d.get("declared_value_eur") for d in devices(dynamodb)} == {
        "5CG0001": "300.00", "5CG0004": None}


def test_a_companys_file_is_not_capped(table, sqs, import_queue):
    job = upload(lot_of(COMPANY), csv_file([row() + ["1 450"]], headers=WITH_VALUE)).body
    assert (job["counts"]["accepted"], job["counts"]["rejected"]) == (1, 0)


def test_a_value_declared_by_the_donor_is_kept_at_reception_and_must_agree_with_the_warehouses(
        lot_id, dynamodb, sqs, import_queue):
    declared = [r[:6] + [value] for r, value in ((row("5CG0001"), "120"), (row("5CG0002"), ""),
                                                 (row("5CG0003"), "80"))]
    upload(lot_id, csv_file(declared, headers=DECLARATION_HEADERS + ["Valeur"]), "donor")
    run_worker(queued_messages(sqs, import_queue))
    ids = {d["serial_number"]: d["device_id"] for d in devices(dynamodb)}
    specs = {"ram_gb": 8, "drives": [{"kind": "ssd", "size_gb": 256}]}

    kept = call(api.handler, "POST", f"/intake/devices/{ids['5CG0001']}/reception", "warehouse", {"specs": specs})
    filled = call(api.handler, "POST", f"/intake/devices/{ids['5CG0002']}/reception", "warehouse",
                  {"specs": specs, "declared_value_eur": 95})
    before = all_items(dynamodb)
    differs = call(api.handler, "POST", f"/intake/devices/{ids['5CG0003']}/reception", "warehouse",
                   {"specs": specs, "declared_value_eur": 95})
    over = call(api.handler, "POST", f"/intake/devices/{ids['5CG0003']}/reception", "warehouse",
                {"specs": specs, "declared_value_eur": 301})

    assert (kept.status, kept.body["declared_value_eur"]) == (200, "120.00")
    assert (filled.status, filled.body["declared_value_eur"]) == (200, "95.00")
    assert differs.status == 422
    assert differs.body["message"] == (f"declared_value_eur: the donor declared 80.00 € for device {ids['5CG0003']}, "
                                       "not 95.00 €")
    assert over.status == 422 and over.body["message"].startswith("declared_value_eur: 301.00 € declared")
    assert all_items(dynamodb) == before

    # the same disagreement in the warehouse's reception file rejects the row
    job = upload(lot_id, csv_file([row("5CG0003") + ["95"]], headers=WITH_VALUE)).body
    assert [(r["row"], r["reason"]) for r in job["rejected_rows"]] == [
        (2, "declared value 95.00 € differs from the 80.00 € the donor declared for serial 5CG0003 (HP)")]
