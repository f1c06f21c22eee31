"""What a work order's page reads: the steps allowed now (and only those succeed), each step of
the route and its state, each drive's erasure with the methods allowed for its kind, and the
grading rules that fired with the facts they read."""

from __future__ import annotations

import pytest

from refurb.handlers import api, consumer
from tests.unit.refurb.samples import diagnosis_body, erasure_body
from tests.unit.refurb.test_api import ORDER, STEP_BODIES, register, step
from tests.unit.support import call, deliver, device_received

ACTIONS = ["diagnosis", "erasure", "repair", "installation", "grade", "ready", "scrap"]
SCRAP = {"reason": "motherboard_failure", "recycling_channel": "ecosystem", "harvested_parts": ["RAM 8 GB"]}
THREE_DRIVES = diagnosis_body(drives=[
    {"serial_number": "NV-001", "kind": "nvme", "size_gb": 256, "smart_status": "passed"},
    {"serial_number": "SSD-1", "kind": "ssd", "size_gb": 128, "smart_status": "passed"},
    {"serial_number": "HDD-1", "kind": "hdd", "size_gb": 500, "smart_status": "failed"},
])


def work_order(device_id: str = "dev-1") -> dict:
    response = call(api.handler, "GET", f"{ORDER}/{device_id}", "workshop")
    assert response.status == 200, response.body
    return response.body


def states(order: dict) -> list[tuple[str, str]]:
    return [(s["step"], s["state"]) for s in order["steps"]]


@pytest.fixture
def device_id(table) -> str:
    register()
    assert deliver(consumer.handler, device_received("dev-1").to_envelope())["batchItemFailures"] == []
    return "dev-1"


def test_a_received_device_offers_its_diagnosis_or_scrap_and_shows_the_route_ahead(device_id):
    order = work_order()

    assert order["allowed_steps"] == ["diagnosis", "scrap"]
    assert states(order) == [("diagnosis", "due"), ("erasure", "to_do"), ("repair", "to_do"),
                             ("installation", "to_do"), ("grade", "to_do"), ("ready", "to_do")]
    assert order["drives_to_erase"] == []
    assert order["label_code"] == "SV-ABCD-EFGH"  # what is written on the device, to find it on the bench


def test_at_every_step_exactly_the_allowed_steps_are_accepted(device_id):
    """The page offers `allowed_steps`: each step it does not offer is refused by the API."""
    while (order := work_order())["allowed_steps"]:
        due = order["next_step"]
        for action in ACTIONS:
            if action not in order["allowed_steps"]:
                refused = step(device_id, action, STEP_BODIES.get(action, SCRAP))
                assert refused.status == 409, (due, action, refused.body)
        assert work_order()["status"] == order["status"]  # nothing changed
        moved = step(device_id, due, STEP_BODIES[due])
        assert moved.status == 200, moved.body
        done = [s for s, state in states(moved.body) if state == "done"]
        assert done[-1] == due and moved.body["steps"][len(done) - 1]["done_by"] == "workshop-rennes"

    assert (order["status"], order["next_step"]) == ("ready", None)
    assert {state for _, state in states(order)} == {"done"}
    assert step(device_id, "scrap", SCRAP).status == 409


def test_each_drive_found_at_diagnosis_lists_the_erasure_methods_its_kind_allows(device_id):
    order = step(device_id, "diagnosis", THREE_DRIVES).body

    methods = {d["serial_number"]: {m["technique"]: m["levels"] for m in d["methods"]}
               for d in order["drives_to_erase"]}
    assert methods["NV-001"] == {
        "overwrite": ["clear"], "nvme_sanitize": ["clear", "purge"], "nvme_format_ses": ["clear", "purge"],
        "cryptographic_erase": ["clear", "purge"], "physical_destruction": ["destroy"]}
    assert methods["HDD-1"] == methods["SSD-1"] == {
        "overwrite": ["clear"], "ata_secure_erase": ["clear", "purge"], "cryptographic_erase": ["clear", "purge"],
        "physical_destruction": ["destroy"]}
    assert [(d["kind"], d["state"], d["attempts"]) for d in order["drives_to_erase"]] == [
        ("nvme", "to_erase", 0), ("ssd", "to_erase", 0), ("hdd", "to_erase", 0)]


def test_every_method_offered_for_a_drive_is_accepted_and_none_other(device_id):
    """The methods listed are the domain's rules, not a copy of them: each is accepted, each other
    technique and level is refused."""
    offered = {d["serial_number"]: d for d in step(device_id, "diagnosis", THREE_DRIVES).body["drives_to_erase"]}
    for serial, drive in offered.items():
        allowed = {(m["technique"], level) for m in drive["methods"] for level in m["levels"]}
        for technique in ("overwrite", "ata_secure_erase", "nvme_sanitize", "nvme_format_ses", "cryptographic_erase",
                          "physical_destruction"):
            for level in ("clear", "purge", "destroy"):
                # a failed attempt is recorded without closing the step, so every pair can be tried
                answer = step(device_id, "erasure", {"drives": [erasure_body(serial, technique=technique, level=level,
                                                                             passed=False)]})
                assert (answer.status == 200) == ((technique, level) in allowed), (serial, technique, level,
                                                                                    answer.body)


def test_a_drive_shows_where_its_erasure_stands(device_id):
    step(device_id, "diagnosis", THREE_DRIVES)
    order = step(device_id, "erasure", {"drives": [
        erasure_body("NV-001"),
        erasure_body("SSD-1", technique="ata_secure_erase", passed=False),
        erasure_body("HDD-1", technique="ata_secure_erase", passed=False),
    ]}).body
    assert [(d["state"], d["attempts"]) for d in order["drives_to_erase"]] == [("erased", 1), ("failed", 1),
                                                                                ("failed", 1)]
    assert order["allowed_steps"] == ["erasure", "scrap"]  # still erasing

    order = step(device_id, "erasure", {"drives": [
        erasure_body("SSD-1", technique="ata_secure_erase"),
        erasure_body("HDD-1", technique="physical_destruction", level="destroy", tool="shredder"),
    ]}).body
    assert [(d["state"], d["attempts"]) for d in order["drives_to_erase"]] == [("erased", 1), ("erased", 2),
                                                                                ("destroyed", 2)]
    assert order["next_step"] == "repair" and order["certificate"] is not None


def test_a_grade_lists_the_rules_that_fired_with_the_facts_they_read(device_id):
    for name in ("diagnosis", "erasure", "repair", "installation"):
        step(device_id, name, STEP_BODIES[name])
    grade = step(device_id, "grade").body["grade"]

    # CPU 6100, 8 GB, a 256 GB NVMe drive (tests.unit.refurb.samples): 3 + 3 + 3 + 1 = 10 → A
    assert (grade["grade"], grade["points"]) == ("A", 10)
    assert [(r["rule"], r["kind"], r["points"], r["facts"]) for r in grade["fired"]] == [
        ("cpu", "points", 3, [{"measure": "cpu_score", "value": 6100, "at_least": 5000, "below": None}]),
        ("ram", "points", 3, [{"measure": "ram_gb", "value": 8, "at_least": 8, "below": None}]),
        ("ssd", "points", 3, [{"measure": "ssd_gb", "value": 256, "at_least": 200, "below": None}]),
        ("nvme", "points", 1, [{"measure": "has_nvme", "value": 1, "at_least": 1, "below": None}]),
    ]


def test_a_cap_lists_each_condition_it_read(device_id):
    step(device_id, "diagnosis", diagnosis_body(cpu_score=2400, drives=[
        {"serial_number": "HDD-1", "kind": "hdd", "size_gb": 500, "smart_status": "passed"}]))
    step(device_id, "erasure", {"drives": [erasure_body("HDD-1", technique="overwrite", level="clear")]})
    step(device_id, "repair", {"parts": []})
    step(device_id, "installation", STEP_BODIES["installation"])
    grade = step(device_id, "grade").body["grade"]

    caps = {r["rule"]: r for r in grade["fired"] if r["kind"] == "cap"}
    assert caps["hdd-and-weak-cpu-at-most-C"]["facts"] == [
        {"measure": "has_hdd", "value": 1, "at_least": 1, "below": None},
        {"measure": "cpu_score", "value": 2400, "at_least": None, "below": 2500}]
    assert (caps["hdd-and-weak-cpu-at-most-C"]["at_most"], grade["grade"]) == ("C", "C")


def test_a_scrapped_work_order_offers_nothing_and_shows_the_steps_it_skipped(device_id):
    step(device_id, "diagnosis", STEP_BODIES["diagnosis"])
    order = step(device_id, "scrap", SCRAP).body

    assert order["allowed_steps"] == []
    assert states(order) == [("diagnosis", "done"), ("erasure", "skipped"), ("repair", "skipped"),
                             ("installation", "skipped"), ("grade", "skipped"), ("ready", "skipped")]
    assert (order["scrap"]["reason"], order["scrap"]["at_step"], order["scrap"]["harvested_parts"]) == (
        "motherboard_failure", "erasure", ["RAM 8 GB"])


def test_a_steps_answer_carries_the_version_now_stored(device_id):
    """A client tells one state of the work order from the next by its version (the page keeps
    what was typed per version): the answer to a write is the work order as stored."""
    before = work_order()["version"]
    answered = step(device_id, "diagnosis", STEP_BODIES["diagnosis"]).body
    assert answered["version"] == work_order()["version"] == before + 1
