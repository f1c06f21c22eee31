"""What refurb's routes answer, as models: the OpenAPI document describes every field from
them, and each answer is checked against its model before it leaves.

A work order's view adds what the state machine says about it (the steps allowed now, each
step of the route and its state, each drive's erasure and the methods allowed for it), so a
client offers what the domain allows instead of knowing its rules.
"""

from __future__ import annotations

from datetime import date as Day
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.events.vocabulary import DeviceType

from refurb.adapters.repository import StoredRuleSet
from refurb.domain.grading import RuleSet
from refurb.domain.work_orders import (
    Action,
    DriveToErase,
    ErasureCertificate,
    Step,
    StepProgress,
    WorkOrder,
    WorkOrderKind,
    WorkOrderRecord,
    WorkOrderStatus,
)
from refurb.domain.workshops import Workshop


class WorkOrderView(WorkOrderRecord):
    """A work order, and what may be done with it now."""

    next_step: Step | None = Field(description="The step due (none once ready or scrapped)")
    allowed_steps: list[Action] = Field(description=(
        "What may be recorded now, each a POST /work-orders/{device_id}/<name>: the step due and scrap while "
        "the work order is open, nothing once it is closed; anything else is refused (409)"))
    steps: list[StepProgress] = Field(description=(
        "The current cycle's route, in order. A done step's record is in the field of its name: diagnosis, "
        "erasures (and certificate), repairs, installation, grade"))
    drives_to_erase: list[DriveToErase] = Field(description=(
        "After diagnosis, each drive found: its erasure's state and the techniques and levels allowed for it"))
    erasure_pending: list[str] = Field(description="What keeps the erasure step open, drive by drive, in English")


def work_order_view(order: WorkOrder) -> dict[str, Any]:
    return WorkOrderView(
        **dict(order), next_step=order.next_step, allowed_steps=order.allowed_actions(), steps=order.progress(),
        drives_to_erase=order.drives_to_erase(), erasure_pending=order.erasure_pending(),
    ).model_dump(mode="json")


class _Page(BaseModel):
    next_cursor: str | None = Field(description="Pass it as ?cursor= for the next page; null on the last page")
    total: int | None = Field(description="How many items the whole list holds, where that is cheap to know")


class QueueLine(BaseModel):
    """A work order in a queue: enough to find the device on the bench and open it."""

    device_id: str = Field(description="The device (GET /work-orders/{device_id} for the whole work order)")
    label_code: str | None = Field(description="The code on the device's label")
    status: WorkOrderStatus = Field(description="The step it awaits, or ready / scrapped")
    kind: WorkOrderKind = Field(description="refurbishment or warranty")
    next_step: Step | None = Field(description="The step due")
    device_type: DeviceType = Field(description="What kind of device")
    make: str | None = Field(description="The maker")
    model: str | None = Field(description="The model")
    serial_number: str | None = Field(description="The maker's serial number")
    territory: str = Field(description="The département it came from")
    opened_at: datetime = Field(description="When it was received: the queue's order")


def queue_line(order: WorkOrder) -> dict[str, Any]:
    return QueueLine(
        device_id=order.device_id, label_code=order.label_code, status=order.status, kind=order.kind,
        next_step=order.next_step, device_type=order.device_type, make=order.make, model=order.model,
        serial_number=order.serial_number, territory=order.provenance.territory, opened_at=order.opened_at,
    ).model_dump(mode="json")


QueueFilter = WorkOrderStatus | Literal["open"]


class QueuePage(_Page):
    workshop_id: str = Field(description="The workshop whose queue this is")
    status: QueueFilter = Field(description="The status listed; open: every open work order, oldest first")
    items: list[QueueLine] = Field(description="Open statuses oldest first; ready and scrapped newest first")


class UnassignedPage(_Page):
    status: QueueFilter = Field(description="The status listed; open: every open work order, oldest first")
    items: list[QueueLine] = Field(description="Open statuses oldest first; ready and scrapped newest first")


class WorkshopView(BaseModel):
    workshop_id: str = Field(description="The workshop partner's id")
    name: str | None = Field(description="Its name")
    territories: list[str] = Field(description="Département codes it serves")
    capacity: int = Field(description="Open work orders it can hold")
    open_orders: int = Field(description="Open work orders it holds now")
    free: int = Field(description="Places left: capacity minus open work orders")


def workshop_view(workshop: Workshop) -> dict[str, Any]:
    return WorkshopView(**workshop.model_dump(exclude={"version"}), free=workshop.free).model_dump(mode="json")


class WorkshopsPage(_Page):
    items: list[WorkshopView] = Field(description="Workshops, by id")


class CertificateDocument(BaseModel):
    certificate_id: str = Field(description="The certificate's stable id")
    content: dict[str, Any] = Field(description=(
        "What the SHA-256 covers, as hashed: {device_id, drives: [the passing record of each drive, "
        "in diagnosis order, as in ErasureCertified]}"))
    sha256: str = Field(description="SHA-256 of the canonical form of content")
    canonical_form: str = Field(description="How to compute the canonical form, to check the SHA-256")
    canonical_length: int = Field(description="Length in bytes of the canonical form")


def certificate_document(certificate: ErasureCertificate) -> dict[str, Any]:
    return {
        "certificate_id": certificate.certificate_id,
        "content": certificate.content(),
        "sha256": certificate.sha256,
        "canonical_form": "sha256 of the content as UTF-8 JSON with keys sorted, no whitespace, non-ASCII "
                          "escaped (Python: json.dumps(content, sort_keys=True, separators=(',', ':')))",
        "canonical_length": len(certificate.canonical()),
    }


class RulesView(BaseModel):
    version: int = Field(description="The rule set's version (0: the one shipped with the service)")
    loaded_at: datetime | None = Field(description="When an administrator loaded it (none for version 0)")
    loaded_by: str | None = Field(description="Who loaded it")
    rules: RuleSet = Field(description="The rules")


def rules_view(stored: StoredRuleSet) -> dict[str, Any]:
    return RulesView(version=stored.version, loaded_at=stored.loaded_at, loaded_by=stored.loaded_by,
                     rules=stored.rules).model_dump(mode="json")


class DayCount(BaseModel):
    date: Day = Field(description="A day (UTC)")
    ready: int = Field(description="Devices made ready that day")
    scrapped: int = Field(description="Devices scrapped that day")


class FiguresView(BaseModel):
    workshop_id: str = Field(description="The workshop")
    since: Day = Field(description="First day of the period")
    until: Day = Field(description="Last day of the period")
    devices_ready: int = Field(description="Refurbished devices made ready in the period")
    devices_scrapped: int = Field(description="Devices scrapped in the period")
    devices_per_day: float = Field(description="Ready devices per calendar day of the period")
    scrap_rate: float | None = Field(description="Scrapped / closed refurbishments (none closed: null)")
    median_seconds_per_step: dict[Step, int] = Field(description="Median time each step took, in seconds")
    warranty_repairs: int = Field(description="Warranty repairs completed in the period (counted apart)")
    per_day: list[DayCount] = Field(description="Every day of the period")


class Health(BaseModel):
    service: str = Field(description="refurb")
    status: Literal["ok"] = Field(description="ok: the service answers")
