"""A device's refurbishment: the steps it must go through, in order, enforced here.

    awaiting_erasure → erased → graded → ready

A device never becomes ready without a passed erasure (or physical destruction) of every
drive: that is the donors' first concern and the legal condition for selling it as
refurbished.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import RuleViolation
from shared.events.refurb import DriveErasure
from shared.events.vocabulary import DeviceSpecs, DeviceType, ErasureLevel, Grade, Provenance


class WorkOrderStatus(StrEnum):
    AWAITING_ERASURE = "awaiting_erasure"
    ERASED = "erased"
    GRADED = "graded"
    READY = "ready"


class ErasureCertificate(BaseModel):
    model_config = ConfigDict(frozen=True)

    certificate_id: str
    device_id: str
    drives: list[DriveErasure]
    sha256: str


class WorkOrder(BaseModel):
    device_id: str
    device_type: DeviceType
    specs: DeviceSpecs
    provenance: Provenance
    status: WorkOrderStatus = WorkOrderStatus.AWAITING_ERASURE
    opened_at: datetime
    certificate: ErasureCertificate | None = None
    grade: Grade | None = None
    workshop_id: str | None = None
    version: int = 0

    def record_erasure(self, drives: list[DriveErasure], workshop_id: str) -> ErasureCertificate:
        self._require(WorkOrderStatus.AWAITING_ERASURE, "erasure is recorded once, before grading")
        if len(drives) < len(self.specs.drives):
            raise RuleViolation(
                f"{len(self.specs.drives)} drive(s) received, {len(drives)} erasure record(s): every drive must be erased"
            )
        failed = [d for d in drives if not d.passed and d.level is not ErasureLevel.DESTROY]
        if failed:
            raise RuleViolation("an erasure failed: redo it or destroy the drive before the device goes further")
        self.certificate = issue_certificate(self.device_id, drives)
        self.status = WorkOrderStatus.ERASED
        self.workshop_id = workshop_id
        return self.certificate

    def record_grade(self, grade: Grade) -> None:
        self._require(WorkOrderStatus.ERASED, "grading comes after a passed erasure")
        self.grade = grade
        self.status = WorkOrderStatus.GRADED

    def mark_ready(self) -> None:
        self._require(WorkOrderStatus.GRADED, "a device is ready once erased and graded")
        self.status = WorkOrderStatus.READY

    def _require(self, status: WorkOrderStatus, why: str) -> None:
        if self.status is not status:
            raise RuleViolation(f"work order is {self.status.value}, expected {status.value}: {why}")


def issue_certificate(device_id: str, drives: list[DriveErasure]) -> ErasureCertificate:
    """A stable id and the SHA-256 of the canonical content, so anyone can verify the document."""
    content = {"device_id": device_id, "drives": [d.model_dump(mode="json") for d in drives]}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(canonical).hexdigest()
    return ErasureCertificate(
        certificate_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"seconde-vie:erasure:{device_id}:{digest}")),
        device_id=device_id,
        drives=drives,
        sha256=digest,
    )
