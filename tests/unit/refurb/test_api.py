"""Refurb through its Lambda entry points: work orders open on reception, workshops move them
step by step over HTTP, and only a fully erased and tested device is announced ready."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from refurb import workflow
from refurb.handlers import api, consumer
from shared.events import open_envelope
from shared.events.refurb import DeviceReady, DeviceScrapped, ErasureCertified
from tests.unit.refurb.samples import diagnosis_body, erasure_body
from tests.unit.support import (
    TWO_DRIVE_SPECS,
    all_items,
    call,
    deliver,
    device_received,
    items_with_prefix,
    outbox_envelopes_in,
)

ORDER = "/refurb/work-orders"
STEP_BODIES = {
    "diagnosis": diagnosis_body(),
    "erasure": {"drives": [erasure_body()]},
    "repair": {"parts": []},
    "installation": {"os_name": "Linux Mint", "os_version": "22"},
    "grade": None,
    "ready": None,
}


def register(workshop_id: str = "workshop-rennes", territories=("35",), capacity: int = 10):
    response = call(api.handler, "PUT", f"/refurb/workshops/{workshop_id}", "admin",
                    {"territories": list(territories), "capacity": capacity})
    assert response.status == 200, response.body
    return response.body


def receive(device_id: str, **overrides) -> None:
    assert deliver(consumer.handler, device_received(device_id, **overrides).to_envelope())["batchItemFailures"] == []


def step(device_id: str, name: str, body=None, role: str = "workshop", **kwargs):
    return call(api.handler, "POST", f"{ORDER}/{device_id}/{name}", role, body, **kwargs)


def walk(device_id: str, *steps: str) -> dict:
    response = None
    for name in steps:
        response = step(device_id, name, STEP_BODIES[name])
        assert response.status == 200, (name, response.body)
    return response.body


def workshop_state(workshop_id: str = "workshop-rennes") -> dict:
    return call(api.handler, "GET", f"/refurb/workshops/{workshop_id}", "admin").body


@pytest.fixture
def device_id(table) -> str:
    register()
    receive("dev-1")
    return "dev-1"


def test_a_received_device_gets_a_work_order_in_its_territory_workshop(device_id):
    response = call(api.handler, "GET", f"{ORDER}/{device_id}", "workshop")
    assert response.status == 200
    assert (response.body["status"], response.body["next_step"], response.body["workshop_id"]) == (
        "awaiting_diagnosis", "diagnosis", "workshop-rennes")
    assert (response.body["serial_number"], response.body["provenance"]["territory"]) == ("5CG1234567", "35")
    assert (workshop_state()["open_orders"], workshop_state()["free"]) == (1, 9)


def test_a_device_received_twice_gets_one_work_order_counted_once(table, dynamodb):
    register()
    received = device_received("dev-1").to_envelope()
    assert deliver(consumer.handler, received, received)["batchItemFailures"] == []
    receive("dev-1")  # a second event about the same device
    assert len(items_with_prefix(dynamodb, "WORKORDER#")) == 1
    assert workshop_state()["open_orders"] == 1


def test_a_workshop_takes_a_device_to_ready_through_every_step(device_id, dynamodb):
    erased = walk(device_id, "diagnosis", "erasure")
    assert erased["status"] == "awaiting_repair"
    [certified] = outbox_envelopes_in(dynamodb, "ErasureCertified")
    event = open_envelope(certified)
    assert isinstance(event, ErasureCertified)
    assert (event.certificate_id, event.certificate_sha256) == (
        erased["certificate"]["certificate_id"], erased["certificate"]["sha256"])

    graded = walk(device_id, "repair", "installation", "grade")
    assert (graded["status"], graded["grade"]["grade"], graded["grade"]["rule_set_version"]) == (
        "awaiting_ready", "A", 0)
    assert [f["rule"] for f in graded["grade"]["fired"]] == ["cpu", "ram", "ssd", "nvme"]
    # the assignment at opening and the certificate: the other steps announce nothing
    assert sorted(e.event_type for e in outbox_envelopes_in(dynamodb)) == ["ErasureCertified", "WorkOrderAssigned"]

    ready = walk(device_id, "ready")
    assert (ready["status"], ready["next_step"]) == ("ready", None)
    [announced] = outbox_envelopes_in(dynamodb, "DeviceReady")
    event = open_envelope(announced)
    assert isinstance(event, DeviceReady)
    assert (event.grade, event.erasure_certificate_id, event.workshop_id) == (
        "A", erased["certificate"]["certificate_id"], "workshop-rennes")
    assert (event.specs.cpu_score, event.specs.drives[0].serial_number) == (6100, "NV-001")  # as measured
    assert event.functional.model_dump() == {"battery_health_pct": 84, "webcam": True, "keyboard_layout": "fr-azerty"}
    assert (event.provenance.donor_type, event.provenance.territory) == ("public_body", "35")
    assert workshop_state()["open_orders"] == 0  # its place is free again


@pytest.mark.parametrize("name, missing", [
    ("erasure", "diagnosis"), ("repair", "diagnosis"), ("installation", "diagnosis"), ("grade", "diagnosis"),
    ("ready", "diagnosis"),
])
def test_a_step_out_of_order_is_a_conflict_naming_the_missing_step_and_changes_nothing(device_id, dynamodb,
                                                                                     name, missing):
    before = all_items(dynamodb)
    response = step(device_id, name, STEP_BODIES[name])
    assert response.status == 409
    assert f"the {missing} step is missing" in response.body["message"]
    assert all_items(dynamodb) == before


def test_ready_right_after_erasure_names_the_repair_step(device_id):
    walk(device_id, "diagnosis", "erasure")
    response = step(device_id, "ready")
    assert (response.status, "the repair step is missing" in response.body["message"]) == (409, True)


def test_a_failed_erasure_is_recorded_announces_nothing_and_holds_the_device(device_id, dynamodb):
    walk(device_id, "diagnosis")
    failed = step(device_id, "erasure", {"drives": [erasure_body(passed=False)]})
    assert failed.status == 200
    assert (failed.body["status"], failed.body["erasure_pending"]) == (
        "awaiting_erasure", ["drive NV-001 failed its erasure: redo it or destroy the drive"])
    assert outbox_envelopes_in(dynamodb, "ErasureCertified") == []

    held = step(device_id, "repair", STEP_BODIES["repair"])
    assert held.status == 409
    assert "NV-001 failed its erasure: redo it or destroy the drive" in held.body["message"]

    destroyed = step(device_id, "erasure", {"drives": [erasure_body(level="destroy", technique="physical_destruction")]})
    assert destroyed.body["status"] == "awaiting_repair"
    assert len(outbox_envelopes_in(dynamodb, "ErasureCertified")) == 1


def test_every_drive_found_at_diagnosis_must_be_erased(table, dynamodb):
    register()
    receive("dev-2", specs=TWO_DRIVE_SPECS)
    step("dev-2", "diagnosis", diagnosis_body(drives=[
        {"serial_number": "SSD-1", "kind": "ssd", "size_gb": 512, "smart_status": "passed"},
        {"serial_number": "HDD-1", "kind": "hdd", "size_gb": 1000, "smart_status": "passed"}]))
    partial = step("dev-2", "erasure", {"drives": [erasure_body("SSD-1", technique="ata_secure_erase")]})
    assert partial.body["erasure_pending"] == ["drive HDD-1 has no erasure record"]
    assert outbox_envelopes_in(dynamodb, "ErasureCertified") == []


# --- bad input: 422 naming the field, nothing written -------------------------------------------------

@pytest.mark.parametrize("method, path, role, body, field", [
    ("POST", "dev-1/diagnosis", "workshop", {k: v for k, v in diagnosis_body().items() if k != "webcam"}, "webcam"),
    ("POST", "dev-1/diagnosis", "workshop", diagnosis_body(battery_health_pct=120), "battery_health_pct"),
    ("POST", "dev-1/diagnosis", "workshop", diagnosis_body(screen="fine"), "screen"),
    ("POST", "dev-1/erasure", "workshop", {"drives": [erasure_body(level="purge", technique="overwrite")]}, "drives"),
    ("POST", "dev-1/erasure", "workshop", {"drives": [{k: v for k, v in erasure_body().items()
                                                        if k != "drive_serial"}]}, "drive_serial"),
    ("POST", "dev-1/repair", "workshop", {"parts": [{"name": "battery", "cost_eur": "-3"}]}, "cost_eur"),
    ("POST", "dev-1/installation", "workshop", {"os_version": "22"}, "os_name"),
    ("POST", "dev-1/grade", "workshop", {"grade": "A"}, "grade"),  # a grade is computed, not typed
    ("POST", "dev-1/scrap", "workshop", {"recycling_channel": "ecosystem"}, "reason"),
    ("POST", "dev-1/scrap", "workshop", {"reason": "carte mère HS", "recycling_channel": "ecosystem"}, "reason"),
    ("POST", "dev-1/scrap", "workshop", {"reason": "other", "recycling_channel": "la déchetterie"}, "recycling_channel"),
    ("POST", "dev-1/diagnosis", "workshop", diagnosis_body(keyboard_layout="?"), "keyboard_layout"),
    ("POST", "dev-1/erasure", "workshop", {"drives": [erasure_body(operator="Jean Martin")]}, "operator"),
    ("POST", "dev-1/assignment", "admin", {"workshop_id": "Not An Id"}, "workshop_id"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(device_id, dynamodb, method, path, role, body,
                                                                      field):
    before = all_items(dynamodb)
    response = call(api.handler, method, f"{ORDER}/{path}", role, body)
    assert response.status == 422
    assert field in response.text
    assert all_items(dynamodb) == before


@pytest.mark.parametrize("path, body, field", [
    ("/refurb/workshops/workshop-x", {"territories": ["35"], "capacity": -1}, "capacity"),
    ("/refurb/workshops/workshop-x", {"territories": ["Ille"], "capacity": 3}, "territories"),
    ("/refurb/grading-rules", {"label": "x", "points": [], "grades": [{"grade": "D", "min_points": 0}]}, "points"),
])
def test_bad_administration_input_is_refused_naming_the_field(table, dynamodb, path, body, field):
    response = call(api.handler, "PUT", path, "admin", body)
    assert (response.status, field in response.text) == (422, True)
    assert all_items(dynamodb) == []


def test_an_unknown_device_has_no_work_order(table):
    assert call(api.handler, "GET", f"{ORDER}/nope", "workshop").status == 404
    assert step("nope", "diagnosis", diagnosis_body()).status == 404


# --- who may do what ---------------------------------------------------------------------------------

def test_a_workshop_acts_only_on_its_own_work_orders(device_id, dynamodb):
    before = all_items(dynamodb)
    other = step(device_id, "diagnosis", diagnosis_body(), partner_id="workshop-brest")
    assert other.status == 404  # another workshop's work order does not exist for it
    assert other.body["message"] == f"no work order for device {device_id}"
    assert call(api.handler, "GET", f"{ORDER}/{device_id}", "workshop", partner_id="workshop-brest").status == 404
    assert step(device_id, "diagnosis", diagnosis_body(), role="warehouse").status == 403
    assert all_items(dynamodb) == before
    assert step(device_id, "diagnosis", diagnosis_body(), role="admin").status == 200  # administrators may


def test_only_administrators_register_workshops_load_rules_and_assign(device_id, dynamodb):
    before = all_items(dynamodb)
    assert call(api.handler, "PUT", "/refurb/workshops/workshop-rennes", "workshop",
                {"territories": ["35"], "capacity": 1000}).status == 403
    assert call(api.handler, "PUT", "/refurb/grading-rules", "workshop",
                call(api.handler, "GET", "/refurb/grading-rules", "workshop").body["rules"]).status == 403
    assert step(device_id, "assignment", {"workshop_id": "workshop-rennes"}).status == 403
    assert all_items(dynamodb) == before


# --- assignment and queues ---------------------------------------------------------------------------

def test_orders_go_to_the_territory_then_to_any_room_then_wait_unassigned(table):
    register("workshop-rennes", ["35"], capacity=1)
    register("workshop-brest", ["29"], capacity=1)
    for device in ("dev-1", "dev-2", "dev-3"):
        receive(device)  # all from territory 35
    owner = {d: call(api.handler, "GET", f"{ORDER}/{d}", "admin").body["workshop_id"] for d in ("dev-1", "dev-2", "dev-3")}
    assert owner == {"dev-1": "workshop-rennes", "dev-2": "workshop-brest", "dev-3": None}

    unassigned = call(api.handler, "GET", "/refurb/unassigned-work-orders", "admin")
    assert [o["device_id"] for o in unassigned.body["items"]] == ["dev-3"]
    assert step("dev-3", "diagnosis", diagnosis_body()).status == 404  # nobody's yet

    call(api.handler, "PUT", "/refurb/workshops/workshop-rennes", "admin", {"territories": ["35"], "capacity": 2})
    assigned = step("dev-3", "assignment", {"workshop_id": "workshop-rennes"}, role="admin")
    assert (assigned.status, assigned.body["workshop_id"]) == (200, "workshop-rennes")
    assert workshop_state()["open_orders"] == 2
    assert call(api.handler, "GET", "/refurb/unassigned-work-orders", "admin").body["items"] == []

    full = step("dev-2", "assignment", {"workshop_id": "workshop-rennes"}, role="admin")
    assert (full.status, "workshop workshop-rennes is full" in full.body["message"]) == (409, True)


def test_a_workshop_queue_lists_its_open_orders_and_filters_by_status(table):
    register()
    for device in ("dev-1", "dev-2", "dev-3"):
        receive(device)
    walk("dev-2", "diagnosis")
    step("dev-3", "scrap", {"reason": "motherboard_failure", "recycling_channel": "ecosystem"})

    def queue(**query):
        response = call(api.handler, "GET", "/refurb/workshops/workshop-rennes/queue", "workshop", query=query)
        assert response.status == 200, response.body
        return [o["device_id"] for o in response.body["items"]]

    assert queue() == ["dev-1", "dev-2"]  # open ones, oldest first whatever their step
    assert queue(limit="1") == ["dev-1"]
    assert queue(status="awaiting_erasure") == ["dev-2"]
    assert queue(status="scrapped") == ["dev-3"]
    assert call(api.handler, "GET", "/refurb/workshops/workshop-rennes/queue", "workshop",
                partner_id="workshop-brest").status == 404  # another workshop's does not exist for it
    bad = call(api.handler, "GET", "/refurb/workshops/workshop-rennes/queue", "workshop", query={"status": "done"})
    assert (bad.status, "status" in bad.text) == (422, True)


@pytest.mark.parametrize("path, body, field", [
    ("dev-1/diagnosis", diagnosis_body(notes="prêté par M. Durand"), "notes"),
    ("dev-1/scrap", {"reason": "other", "recycling_channel": "ecosystem", "note": "rendre à mme leroy"}, "note"),
    ("dev-1/scrap", {"reason": "other", "recycling_channel": "ecosystem", "harvested_parts": ["Mme Leroy"]},
     "harvested_parts"),
])
def test_a_workshop_note_naming_or_locating_a_person_is_refused(device_id, dynamodb, path, body, field):
    before = all_items(dynamodb)
    response = call(api.handler, "POST", f"{ORDER}/{path}", "workshop", body)
    assert response.status == 422
    assert f"{field}" in response.body["message"] and "looks like personal data (a person's name)" in response.body[
        "message"]
    assert all_items(dynamodb) == before


# --- scrap -------------------------------------------------------------------------------------------

def test_a_scrapped_device_is_announced_with_its_step_and_harvested_parts(device_id, dynamodb):
    walk(device_id, "diagnosis")
    response = step(device_id, "scrap", {"reason": "motherboard_failure", "recycling_channel": "ecosystem",
                                         "harvested_parts": ["RAM 8 GB DDR4", "charger 65 W"],
                                         "note": "court-circuit sur la carte mère après dégât des eaux"})
    assert (response.status, response.body["status"]) == (200, "scrapped")
    [scrapped] = outbox_envelopes_in(dynamodb, "DeviceScrapped")
    event = open_envelope(scrapped)
    assert isinstance(event, DeviceScrapped)
    assert (event.reason, event.at_step, event.harvested_parts, event.recycling_channel) == (
        "motherboard_failure", "erasure", ["RAM 8 GB DDR4", "charger 65 W"], "ecosystem")
    # the workshop's words stay on the work order, in no event
    assert response.body["scrap"]["note"] == "court-circuit sur la carte mère après dégât des eaux"
    assert "court-circuit" not in scrapped.model_dump_json()
    assert workshop_state()["open_orders"] == 0
    assert step(device_id, "erasure", STEP_BODIES["erasure"]).status == 409


# --- the certificate ---------------------------------------------------------------------------------

def test_the_erasure_certificate_can_be_verified_by_its_donor(device_id):
    walk(device_id, "diagnosis")
    assert call(api.handler, "GET", f"{ORDER}/{device_id}/certificate", "workshop").status == 404  # not yet
    walk(device_id, "erasure")

    document = call(api.handler, "GET", f"{ORDER}/{device_id}/certificate", "donor", partner_id="donor-departement-35")
    assert document.status == 200
    canonical = json.dumps(document.body["content"], sort_keys=True, separators=(",", ":")).encode()
    assert hashlib.sha256(canonical).hexdigest() == document.body["sha256"]
    assert [d["drive_serial"] for d in document.body["content"]["drives"]] == ["NV-001"]
    assert call(api.handler, "GET", f"{ORDER}/{device_id}/certificate", "donor",
                partner_id="donor-someone-else").status == 404


# --- grading rules as data -----------------------------------------------------------------------------

def test_an_administrator_loads_new_rules_that_apply_to_the_next_grades(device_id, dynamodb):
    shipped = call(api.handler, "GET", "/refurb/grading-rules", "workshop").body
    assert (shipped["version"], shipped["loaded_by"]) == (0, None)
    stricter = json.loads(json.dumps(shipped["rules"]))
    stricter["label"] = "Stricter A"
    stricter["grades"][3]["min_points"] = 11  # A from 11 points
    stricter["grades"][4]["min_points"] = 13

    loaded = call(api.handler, "PUT", "/refurb/grading-rules", "admin", stricter)
    assert (loaded.status, loaded.body["version"], loaded.body["loaded_by"]) == (200, 1, "admin-seconde-vie")
    assert call(api.handler, "GET", "/refurb/grading-rules", "point_of_sale").body["rules"]["label"] == "Stricter A"
    assert call(api.handler, "GET", "/refurb/grading-rules/0", "workshop").body["rules"] == shipped["rules"]

    graded = walk(device_id, "diagnosis", "erasure", "repair", "installation", "grade")
    assert (graded["grade"]["grade"], graded["grade"]["points"], graded["grade"]["rule_set_version"]) == ("B", 10, 1)
    assert call(api.handler, "PUT", "/refurb/grading-rules", "admin", stricter).body["version"] == 2
    assert call(api.handler, "GET", "/refurb/grading-rules/9", "admin").status == 404


# --- retries -----------------------------------------------------------------------------------------------

def test_a_step_retried_with_its_idempotency_key_happens_once(device_id, dynamodb):
    walk(device_id, "diagnosis")
    key = {"Idempotency-Key": "erase-dev-1"}
    first = step(device_id, "erasure", STEP_BODIES["erasure"], headers=key)
    again = step(device_id, "erasure", STEP_BODIES["erasure"], headers=key)
    assert first.status == again.status == 200
    assert again.body == first.body
    assert len(outbox_envelopes_in(dynamodb, "ErasureCertified")) == 1


# --- figures -----------------------------------------------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """Refurb's clock, moved by the test: each step an hour after the previous call."""
    now = [datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)]

    def tick():
        now[0] += timedelta(hours=1)
        return now[0]

    monkeypatch.setattr(workflow, "now", tick)
    return now


def test_workshop_figures_count_devices_per_day_median_step_times_and_scrap_rate(table, clock):
    register()
    for device in ("dev-1", "dev-2", "dev-3"):
        receive(device)
    walk("dev-1", *STEP_BODIES)
    walk("dev-2", *STEP_BODIES)
    step("dev-3", "scrap", {"reason": "motherboard_failure", "recycling_channel": "ecosystem"})

    figures = call(api.handler, "GET", "/refurb/workshops/workshop-rennes/figures", "workshop",
                   query={"since": "2026-11-28", "until": "2026-11-29"})
    assert figures.status == 200, figures.body
    body = figures.body
    assert (body["devices_ready"], body["devices_scrapped"], body["scrap_rate"]) == (2, 1, 0.333)
    assert body["devices_per_day"] == 1.0  # 2 ready over 2 days
    assert body["median_seconds_per_step"]["erasure"] == 3600
    assert body["median_seconds_per_step"]["diagnosis"] >= 3600  # from the assignment
    assert sum(day["ready"] for day in body["per_day"]) == 2

    assert call(api.handler, "GET", "/refurb/workshops/workshop-rennes/figures", "workshop",
                partner_id="workshop-brest").status == 404  # another workshop's does not exist for it
    bad = call(api.handler, "GET", "/refurb/workshops/workshop-rennes/figures", "admin", query={"since": "28/11/2026"})
    assert (bad.status, "since" in bad.text) == (422, True)
    reversed_period = call(api.handler, "GET", "/refurb/workshops/workshop-rennes/figures", "admin",
                           query={"since": "2026-12-01", "until": "2026-11-01"})
    assert reversed_period.status == 422
    assert reversed_period.body["message"].startswith("until: 2026-11-01 is before since (2026-12-01)")


def test_figures_over_more_than_a_year_are_refused_naming_the_limit(table):
    register()
    too_long = call(api.handler, "GET", "/refurb/workshops/workshop-rennes/figures", "admin",
                    query={"since": "0621-02-23", "until": "2817-02-17"})  # every day of it would be listed
    assert too_long.status == 422
    assert too_long.body["message"].startswith("since: a period of at most 366 days")
    a_year = call(api.handler, "GET", "/refurb/workshops/workshop-rennes/figures", "admin",
                  query={"since": "2025-01-01", "until": "2025-12-31"})
    assert (a_year.status, len(a_year.body["per_day"])) == (200, 365)


def test_figures_until_the_first_days_of_the_calendar_start_on_its_first_day(table):
    register()
    figures = call(api.handler, "GET", "/refurb/workshops/workshop-rennes/figures", "admin",
                   query={"until": "0001-01-05"})
    assert (figures.status, figures.body["since"]) == (200, "0001-01-01")
