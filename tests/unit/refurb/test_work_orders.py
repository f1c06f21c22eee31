"""A work order's state machine: every step in order, scrap at any step, warranty returns,
and never ready without every drive erased (or destroyed) and every function tested."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from refurb.domain.grading import default_rule_set
from refurb.domain.reports import Diagnosis, ErasureReport, InstallationReport, RepairReport, ScrapReport
from refurb.domain.work_orders import (
    Step,
    WarrantyClaim,
    WorkOrderKind,
    WorkOrderStatus,
    issue_certificate,
)
from shared.errors import RuleViolation
from shared.events.vocabulary import DeviceSpecs
from tests.unit.refurb.samples import WORKSHOP, diagnosis_body, erased, new_order, walk
from tests.unit.support import T0, erasure

S = WorkOrderStatus
REFURBISHMENT = [S.AWAITING_DIAGNOSIS, S.AWAITING_ERASURE, S.AWAITING_REPAIR, S.AWAITING_INSTALLATION,
                 S.AWAITING_GRADE, S.AWAITING_READY, S.READY]
TWO_DRIVES = diagnosis_body(drives=[
    {"serial_number": "SSD-1", "kind": "ssd", "size_gb": 512, "smart_status": "passed"},
    {"serial_number": "HDD-1", "kind": "hdd", "size_gb": 1000, "smart_status": "failed"},
])
LATER = T0 + timedelta(days=1)


def claim(claim_id: str = "claim-1") -> WarrantyClaim:
    return WarrantyClaim(claim_id=claim_id, claim_reference=f"pos-1-2026-000001-{claim_id}", sale_id="sale-1",
                         fault_category="keyboard", opened_at=LATER, cycle=0)


def test_a_device_goes_through_every_step_in_order():
    order = new_order()
    seen = [order.status]
    for status in REFURBISHMENT[1:]:
        walk(order, status)
        seen.append(order.status)
    assert seen == REFURBISHMENT
    assert [m.what for m in order.history] == ["opened", "assigned", *(s.value for s in Step)]
    assert order.closed_at == order.history[-1].at


def _record(order, step: Step):
    at = T0 + timedelta(hours=9)
    return {
        Step.DIAGNOSIS: lambda: order.diagnose(Diagnosis.model_validate(diagnosis_body()), WORKSHOP, at),
        Step.ERASURE: lambda: order.record_erasures([erased()], WORKSHOP, at),
        Step.REPAIR: lambda: order.record_repair(RepairReport(), WORKSHOP, at),
        Step.INSTALLATION: lambda: order.record_installation(InstallationReport(os_name="Debian"), WORKSHOP, at),
        Step.GRADE: lambda: order.record_grade(default_rule_set(), 0, WORKSHOP, at),
        Step.READY: lambda: order.mark_ready(WORKSHOP, at),
    }[step]()


@pytest.mark.parametrize("at", REFURBISHMENT[:-1], ids=lambda s: s.value)
@pytest.mark.parametrize("step", list(Step), ids=lambda s: s.value)
def test_a_step_ahead_of_its_turn_is_refused_naming_the_missing_step(at, step):
    order = walk(new_order(), at)
    due = order.next_step
    before = order.model_copy(deep=True)
    if step is due:
        _record(order, step)
        assert order.status is not at
        return
    with pytest.raises(RuleViolation) as refused:
        _record(order, step)
    message = str(refused.value)
    if list(Step).index(step) > list(Step).index(due):
        assert f"cannot record {step.value}: the {due.value} step is missing" in message
    else:
        assert f"{step.value} is already recorded" in message and f"the next step is {due.value}" in message
    assert order == before


@pytest.mark.parametrize("step", list(Step), ids=lambda s: s.value)
def test_nothing_is_recorded_on_a_ready_device(step):
    order = walk(new_order(), S.READY)
    with pytest.raises(RuleViolation, match="is ready: no .* can be recorded \\(a warranty claim reopens it\\)"):
        _record(order, step)


def test_the_diagnosis_sets_the_measured_specs_the_grade_will_use():
    order = walk(new_order(), S.AWAITING_ERASURE, diagnosis=diagnosis_body(cpu_score=4321, ram_gb=12))
    assert (order.specs.cpu_score, order.specs.ram_gb) == (4321, 12)
    assert [(d.serial_number, d.kind, d.size_gb) for d in order.specs.drives] == [("NV-001", "nvme", 256)]
    assert order.declared_specs.cpu_score is None  # what intake declared is kept apart


def test_a_diagnosis_must_record_every_function():
    body = diagnosis_body()
    del body["webcam"]
    with pytest.raises(ValidationError, match="webcam"):
        Diagnosis.model_validate(body)
    with pytest.raises(ValidationError, match="battery_health_pct"):  # null is "no battery"; absent is an omission
        Diagnosis.model_validate({k: v for k, v in diagnosis_body().items() if k != "battery_health_pct"})


def test_two_drives_cannot_share_a_serial():
    drive = {"serial_number": "X", "kind": "ssd", "size_gb": 128, "smart_status": "passed"}
    with pytest.raises(ValidationError, match="each drive needs its own serial_number"):
        Diagnosis.model_validate(diagnosis_body(drives=[drive, drive]))


# --- erasure ---------------------------------------------------------------------------------------

def test_the_certificate_is_issued_once_every_drive_is_erased_and_lists_each_drive():
    order = walk(new_order(), S.AWAITING_ERASURE, diagnosis=TWO_DRIVES)
    assert order.record_erasures([erased("SSD-1", technique="ata_secure_erase")], WORKSHOP, LATER) is None
    assert order.status is S.AWAITING_ERASURE
    assert order.erasure_pending() == ["drive HDD-1 has no erasure record"]

    certificate = order.record_erasures([erased("HDD-1", level="clear", technique="overwrite")], WORKSHOP, LATER)
    assert certificate is not None and order.status is S.AWAITING_REPAIR
    assert [(d.drive_serial, d.technique) for d in certificate.drives] == [
        ("SSD-1", "ata_secure_erase"), ("HDD-1", "overwrite")]


def test_a_failed_erasure_is_kept_and_holds_the_device_until_redone():
    order = walk(new_order(), S.AWAITING_ERASURE)
    order.record_erasures([erased(passed=False)], WORKSHOP, LATER)
    assert order.status is S.AWAITING_ERASURE and order.certificate is None
    assert order.erasure_pending() == ["drive NV-001 failed its erasure: redo it or destroy the drive"]
    with pytest.raises(RuleViolation, match="the erasure step is missing.*NV-001 failed its erasure"):
        order.record_repair(RepairReport(), WORKSHOP, LATER)

    certificate = order.record_erasures([erased(technique="cryptographic_erase")], WORKSHOP, LATER)
    assert order.status is S.AWAITING_REPAIR
    assert len(order.erasures) == 2  # the failed attempt stays on record
    assert [d.technique for d in certificate.drives] == ["cryptographic_erase"]  # the certificate holds the outcome


def test_a_drive_that_cannot_be_erased_is_destroyed_and_must_be_replaced():
    order = walk(new_order(), S.AWAITING_ERASURE, diagnosis=TWO_DRIVES)
    order.record_erasures([erased("SSD-1", technique="ata_secure_erase"),
                           erased("HDD-1", technique="ata_secure_erase", passed=False)], WORKSHOP, LATER)
    order.record_erasures([erased("HDD-1", level="destroy", technique="physical_destruction")], WORKSHOP, LATER)
    assert order.status is S.AWAITING_REPAIR

    with pytest.raises(RuleViolation, match="HDD-1 were destroyed"):
        order.record_repair(RepairReport(), WORKSHOP, LATER)
    order.record_repair(RepairReport(drives=[{"kind": "ssd", "size_gb": 512, "serial_number": "SSD-1"},
                                             {"kind": "ssd", "size_gb": 256, "serial_number": "NEW-1"}],
                                     parts=[{"name": "SSD 256 GB", "cost_eur": "22.00"}]), WORKSHOP, LATER)
    assert [d.serial_number for d in order.specs.drives] == ["SSD-1", "NEW-1"]


def test_an_erasure_of_a_drive_not_found_at_diagnosis_is_refused():
    order = walk(new_order(), S.AWAITING_ERASURE)
    with pytest.raises(RuleViolation, match="drive OTHER was not found at diagnosis"):
        order.record_erasures([erased("OTHER")], WORKSHOP, LATER)
    assert order.erasures == []


def test_a_technique_that_does_not_exist_for_the_drive_is_refused():
    order = walk(new_order(), S.AWAITING_ERASURE)  # an NVMe drive
    with pytest.raises(RuleViolation, match="NV-001 is nvme: ata_secure_erase does not apply"):
        order.record_erasures([erased(technique="ata_secure_erase")], WORKSHOP, LATER)


@pytest.mark.parametrize("level, technique", [
    ("purge", "overwrite"),  # an overwrite through normal writes is Clear in SP 800-88
    ("destroy", "overwrite"),
    ("purge", "physical_destruction"),
    ("destroy", "nvme_sanitize"),
])
def test_a_level_the_technique_cannot_reach_is_invalid(level, technique):
    with pytest.raises(ValidationError, match=f"level {level} cannot be reached by technique {technique}"):
        ErasureReport.model_validate({"drives": [{**erased().model_dump(mode="json"),
                                                  "level": level, "technique": technique}]})


@pytest.mark.parametrize("completed_at, message", [
    ("2026-11-28T09:30:00", "give the time zone"),
    ("2999-01-01T00:00:00Z", "an erasure cannot be completed in the future"),
])
def test_an_erasure_time_must_be_a_real_moment(completed_at, message):
    with pytest.raises(ValidationError, match=message):
        erased(completed_at=completed_at)


def test_the_certificate_is_stable_for_the_same_content():
    drives = [erasure()]
    first, second = issue_certificate("dev-1", drives), issue_certificate("dev-1", list(drives))
    assert (first.certificate_id, first.sha256) == (second.certificate_id, second.sha256)


def test_the_certificate_changes_with_the_device_or_the_erasure():
    base = issue_certificate("dev-1", [erasure()])
    assert issue_certificate("dev-2", [erasure()]).sha256 != base.sha256
    other = issue_certificate("dev-1", [erasure(technique="cryptographic_erase")])
    assert (other.sha256, other.certificate_id) != (base.sha256, base.certificate_id)


def test_anyone_can_verify_the_certificate_from_its_content():
    certificate = issue_certificate("dev-1", [erasure()])
    canonical = json.dumps(certificate.content(), sort_keys=True, separators=(",", ":")).encode()
    assert certificate.sha256 == hashlib.sha256(canonical).hexdigest()


# --- repairs, grade, ready ---------------------------------------------------------------------------

def test_repairs_can_fix_functions_fit_a_battery_and_upgrade_the_device():
    order = walk(new_order(), S.AWAITING_REPAIR, diagnosis=diagnosis_body(webcam="faulty", battery_health_pct=41))
    assert order.functional_summary().webcam is False
    order.record_repair(RepairReport(
        parts=[{"name": "webcam module", "cost_eur": "9.90"}, {"name": "battery", "cost_eur": "35.00"}],
        labour_cost_eur="15.00", retested={"webcam": "works"}, new_battery_health_pct=100, ram_gb=16,
    ), WORKSHOP, LATER)
    summary = order.functional_summary()
    assert (summary.webcam, summary.battery_health_pct, summary.keyboard_layout) == (True, 100, "fr-azerty")
    assert order.specs.ram_gb == 16
    assert str(order.cost_eur()) == "59.90"


def test_the_grade_is_computed_from_the_measured_specs_and_records_the_rules():
    order = walk(new_order(), S.AWAITING_READY)  # i5 scoring 6100, 8 GB, 256 GB NVMe
    assert order.grade.grade == "A"
    assert (order.grade.points, order.grade.rule_set_version) == (10, 0)
    assert [f.rule for f in order.grade.fired] == ["cpu", "ram", "ssd", "nvme"]


def test_ready_is_checked_again_whatever_path_led_there():
    order = walk(new_order(), S.AWAITING_READY)
    order.erasures = [*order.erasures, erased(passed=False).as_contract()]  # a later failed re-erasure
    with pytest.raises(RuleViolation, match="every drive must be erased or destroyed before ready"):
        order.mark_ready(WORKSHOP, LATER)
    assert order.status is S.AWAITING_READY


# --- scrap ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("at", REFURBISHMENT[:-1], ids=lambda s: s.value)
def test_a_device_can_be_scrapped_at_any_step_which_is_recorded(at):
    order = walk(new_order(), at)
    due = order.next_step
    scrap = order.scrap_it(ScrapReport(reason="motherboard_failure", recycling_channel="ecosystem",
                                       harvested_parts=["RAM 8 GB"]), WORKSHOP, LATER)
    assert (order.status, scrap.at_step, order.closed_at) == (S.SCRAPPED, due, LATER)
    with pytest.raises(RuleViolation, match="is scrapped"):
        order.scrap_it(ScrapReport(reason="other", recycling_channel="ecosystem"), WORKSHOP, LATER)


def test_a_ready_device_is_not_scrapped_by_refurb():
    order = walk(new_order(), S.READY)
    with pytest.raises(RuleViolation, match="is ready: it cannot be scrapped now"):
        order.scrap_it(ScrapReport(reason="other", recycling_channel="ecosystem"), WORKSHOP, LATER)


# --- warranty returns ----------------------------------------------------------------------------

def test_a_warranty_return_reopens_a_ready_device_for_repair_then_ready():
    order = walk(new_order(), S.READY)
    assert order.reopen_for_warranty(claim(), LATER) is True
    assert (order.kind, order.status, order.cycle, order.closed_at) == (
        WorkOrderKind.WARRANTY, S.AWAITING_REPAIR, 1, None)

    with pytest.raises(RuleViolation, match="a warranty work order has no grade step \\(repair → ready\\)"):
        _record(order, Step.GRADE)
    with pytest.raises(RuleViolation, match="cannot record ready: the repair step is missing"):
        order.mark_ready(WORKSHOP, LATER)

    order.record_repair(RepairReport(parts=[{"name": "keyboard", "cost_eur": "18.50"}]), WORKSHOP, LATER)
    order.mark_ready(WORKSHOP, LATER + timedelta(hours=2))
    assert order.status is S.READY
    assert order.open_claim_ids() == ["claim-1"]
    assert order.step_durations() == {"repair": 0.0, "ready": 7200.0}


def test_a_second_claim_joins_the_open_warranty_repair_and_a_known_one_changes_nothing():
    order = walk(new_order(), S.READY)
    order.reopen_for_warranty(claim("claim-1"), LATER)
    assert order.reopen_for_warranty(claim("claim-2"), LATER) is False
    assert order.reopen_for_warranty(claim("claim-1"), LATER) is False
    assert (order.open_claim_ids(), order.cycle) == (["claim-1", "claim-2"], 1)


def test_a_scrapped_or_unfinished_device_does_not_come_back_under_warranty():
    scrapped = walk(new_order(), S.AWAITING_REPAIR)
    scrapped.scrap_it(ScrapReport(reason="other", recycling_channel="ecosystem"), WORKSHOP, LATER)
    with pytest.raises(RuleViolation, match="only a device that left refurbishment ready"):
        scrapped.reopen_for_warranty(claim(), LATER)
    with pytest.raises(RuleViolation, match="only a device that left refurbishment ready"):
        walk(new_order(), S.AWAITING_GRADE).reopen_for_warranty(claim(), LATER)


# --- figures' raw material -----------------------------------------------------------------------

def test_each_step_is_timed_from_the_previous_one_or_from_the_assignment():
    order = walk(new_order(), S.READY, hours=2)
    assert order.step_durations() == {step.value: 7200.0 for step in Step}


def test_the_functional_summary_says_no_battery_and_no_webcam_when_so():
    order = walk(new_order(DeviceSpecs(ram_gb=8, drives=[{"kind": "ssd", "size_gb": 256}])), S.AWAITING_ERASURE,
                 diagnosis=diagnosis_body(battery_health_pct=None, webcam="absent", keyboard_layout=None))
    summary = order.functional_summary()
    assert (summary.battery_health_pct, summary.webcam, summary.keyboard_layout) == (None, False, None)
