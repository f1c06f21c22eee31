"""What a workshop sends at each step, and work orders taken to a given step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from refurb.domain.grading import default_rule_set
from refurb.domain.reports import Diagnosis, ErasureRecord, InstallationReport, RepairReport
from refurb.domain.work_orders import Milestone, WorkOrder, WorkOrderStatus
from tests.unit.support import PROVENANCE, SPECS, T0

WORKSHOP = "workshop-rennes"


def diagnosis_body(**overrides: Any) -> dict[str, Any]:
    """The device of tests.unit.support.SPECS (one 256 GB NVMe drive, serial NV-001), all working."""
    body = {
        "cpu_score": 6100, "battery_health_pct": 84, "keyboard_layout": "fr-azerty",
        "screen": "works", "keyboard": "works", "trackpad": "works", "webcam": "works", "audio": "works",
        "ports": "works", "charger": "works",
        "drives": [{"serial_number": "NV-001", "kind": "nvme", "size_gb": 256, "smart_status": "passed"}],
    }
    return body | overrides


def erasure_body(serial: str = "NV-001", **overrides: Any) -> dict[str, Any]:
    body = {"drive_serial": serial, "level": "purge", "technique": "nvme_sanitize", "tool": "nvme-cli 2.8",
            "operator": "tech-07", "passed": True, "completed_at": "2026-11-20T09:30:00Z"}
    return body | overrides


def erased(serial: str = "NV-001", **overrides: Any) -> ErasureRecord:
    return ErasureRecord.model_validate(erasure_body(serial, **overrides))


def new_order(specs=SPECS, device_id: str = "dev-1") -> WorkOrder:
    order = WorkOrder(device_id=device_id, device_type="laptop", provenance=PROVENANCE, declared_specs=specs,
                      specs=specs, opened_at=T0, serial_number="5CG1234567", make="HP", model="EliteBook 840 G5")
    order.history.append(Milestone(what="opened", at=T0))
    order.assign(WORKSHOP, T0)
    return order


def walk(order: WorkOrder, until: WorkOrderStatus, *, diagnosis: dict | None = None, hours: int = 1) -> WorkOrder:
    """Record every step (each `hours` after the previous one) until the work order reaches `until`."""
    at, until = T0, WorkOrderStatus(until)
    while order.status is not until:
        at += timedelta(hours=hours)
        step = order.next_step.value
        if step == "diagnosis":
            order.diagnose(Diagnosis.model_validate(diagnosis or diagnosis_body()), WORKSHOP, at)
        elif step == "erasure":
            order.record_erasures([erased(d.serial_number) if d.kind == "nvme" else
                                   erased(d.serial_number, technique="ata_secure_erase")
                                   for d in order.diagnosis.drives], WORKSHOP, at)
        elif step == "repair":
            order.record_repair(RepairReport(), WORKSHOP, at)
        elif step == "installation":
            order.record_installation(InstallationReport(os_name="Linux Mint"), WORKSHOP, at)
        elif step == "grade":
            order.record_grade(default_rule_set(), 0, WORKSHOP, at)
        elif step == "ready":
            order.mark_ready(WORKSHOP, at)
    return order
