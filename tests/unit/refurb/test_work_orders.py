"""A work order's steps: erasure, then grading, then ready; never ready without every drive erased."""

from __future__ import annotations

import hashlib
import json

import pytest

from refurb.domain.work_orders import WorkOrder, WorkOrderStatus, issue_certificate
from shared.errors import RuleViolation
from tests.unit.support import PROVENANCE, SPECS, T0, TWO_DRIVE_SPECS, erasure


def order(specs=SPECS) -> WorkOrder:
    return WorkOrder(device_id="dev-1", device_type="laptop", specs=specs, provenance=PROVENANCE, opened_at=T0)


def test_a_device_goes_through_erasure_then_grading_then_ready():
    work_order = order()
    assert work_order.status is WorkOrderStatus.AWAITING_ERASURE

    certificate = work_order.record_erasure([erasure()], "workshop-rennes")
    assert work_order.status is WorkOrderStatus.ERASED
    assert (work_order.certificate, work_order.workshop_id) == (certificate, "workshop-rennes")

    work_order.record_grade("B")
    assert (work_order.status, work_order.grade) == (WorkOrderStatus.GRADED, "B")

    work_order.mark_ready()
    assert work_order.status is WorkOrderStatus.READY


def test_grading_before_erasure_is_refused_naming_the_missing_step():
    work_order = order()
    with pytest.raises(RuleViolation, match="expected erased: grading comes after a passed erasure"):
        work_order.record_grade("A")
    assert (work_order.status, work_order.grade) == (WorkOrderStatus.AWAITING_ERASURE, None)


def test_ready_before_erasure_is_refused():
    with pytest.raises(RuleViolation, match="work order is awaiting_erasure, expected graded"):
        order().mark_ready()


def test_ready_before_grading_is_refused():
    work_order = order()
    work_order.record_erasure([erasure()], "w")
    with pytest.raises(RuleViolation, match="work order is erased, expected graded"):
        work_order.mark_ready()
    assert work_order.status is WorkOrderStatus.ERASED


def test_erasure_is_recorded_once():
    work_order = order()
    first = work_order.record_erasure([erasure()], "w")
    with pytest.raises(RuleViolation, match="erasure is recorded once"):
        work_order.record_erasure([erasure(drive_serial="other")], "w")
    assert work_order.certificate == first


def test_a_ready_device_cannot_be_graded_again():
    work_order = order()
    work_order.record_erasure([erasure()], "w")
    work_order.record_grade("A")
    work_order.mark_ready()
    with pytest.raises(RuleViolation):
        work_order.record_grade("D")
    assert work_order.grade == "A"


def test_a_failed_erasure_is_refused():
    work_order = order()
    with pytest.raises(RuleViolation, match="an erasure failed"):
        work_order.record_erasure([erasure(passed=False, level="purge")], "w")
    assert (work_order.status, work_order.certificate) == (WorkOrderStatus.AWAITING_ERASURE, None)


def test_a_failed_erasure_is_accepted_once_the_drive_is_destroyed():
    work_order = order(TWO_DRIVE_SPECS)
    work_order.record_erasure([
        erasure(passed=True, level="clear", technique="overwrite", drive_serial="SSD-1"),
        erasure(passed=False, level="destroy", technique="physical_destruction", drive_serial="HDD-1"),
    ], "w")
    assert work_order.status is WorkOrderStatus.ERASED


def test_fewer_erasure_records_than_drives_is_refused():
    work_order = order(TWO_DRIVE_SPECS)
    with pytest.raises(RuleViolation, match="2 drive\\(s\\) received, 1 erasure record\\(s\\)"):
        work_order.record_erasure([erasure()], "w")
    assert work_order.status is WorkOrderStatus.AWAITING_ERASURE


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
    document = {"device_id": certificate.device_id, "drives": [d.model_dump(mode="json") for d in certificate.drives]}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    assert certificate.sha256 == hashlib.sha256(canonical).hexdigest()
    assert len(certificate.sha256) == 64
