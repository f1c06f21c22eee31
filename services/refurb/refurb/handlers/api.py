"""Refurb's partner endpoints (workshops), under /refurb."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import NotFound
from shared.events.refurb import DeviceReady, DriveErasure, ErasureCertified
from shared.events.vocabulary import FunctionalSummary, Grade
from shared.http import ServiceApi
from shared.observability import entry_point, logger
from shared.partners import Role

from refurb.adapters.repository import RefurbRepository
from refurb.domain.work_orders import WorkOrder

app = ServiceApi("refurb")
_repository: RefurbRepository | None = None


def repository() -> RefurbRepository:
    global _repository
    if _repository is None:
        _repository = RefurbRepository()
    return _repository


class ErasureReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    drives: list[DriveErasure] = Field(min_length=1)


class GradeReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grade: Grade


def _order(device_id: str) -> WorkOrder:
    order = repository().get(device_id)
    if order is None:
        raise NotFound(f"no work order for device {device_id}")
    return order


@app.get("/health")
def health() -> dict[str, str]:
    return {"service": "refurb", "status": "ok"}


@app.get("/work-orders/<device_id>")
def get_work_order(device_id: str) -> dict[str, Any]:
    app.partner(Role.WORKSHOP)
    return _order(device_id).model_dump(mode="json")


@app.post("/work-orders/<device_id>/erasure")
@app.replayable
def record_erasure(device_id: str, report: ErasureReport) -> dict[str, Any]:
    workshop = app.partner(Role.WORKSHOP)
    order = _order(device_id)
    certificate = order.record_erasure(report.drives, workshop.partner_id)
    event = ErasureCertified(
        device_id=device_id,
        certificate_id=certificate.certificate_id,
        certificate_sha256=certificate.sha256,
        drives=certificate.drives,
    ).to_envelope(correlation_id=app.correlation_id())
    repository().save(order, event)
    return order.model_dump(mode="json")


@app.post("/work-orders/<device_id>/grade")
@app.replayable
def record_grade(device_id: str, report: GradeReport) -> dict[str, Any]:
    app.partner(Role.WORKSHOP)
    order = _order(device_id)
    order.record_grade(report.grade)
    repository().save(order)
    return order.model_dump(mode="json")


@app.post("/work-orders/<device_id>/ready")
@app.replayable
def mark_ready(device_id: str) -> dict[str, Any]:
    workshop = app.partner(Role.WORKSHOP)
    order = _order(device_id)
    order.mark_ready()
    event = DeviceReady(
        device_id=device_id,
        grade=order.grade,
        device_type=order.device_type,
        specs=order.specs,
        provenance=order.provenance,
        workshop_id=order.workshop_id or workshop.partner_id,
        erasure_certificate_id=order.certificate.certificate_id,
        # Transitional: nothing is tested yet; the diagnosis step (coming next) fills this in.
        functional=FunctionalSummary(battery_health_pct=None, webcam=False),
    ).to_envelope(correlation_id=app.correlation_id())
    repository().save(order, event)
    logger.info("device ready", extra={"device_id": device_id, "grade": order.grade})
    return order.model_dump(mode="json")


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
