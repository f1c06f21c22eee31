"""Refurb's partner endpoints (workshops and administrators), under /refurb.

A workshop works its queue: `GET /workshops/<its id>/queue`, then for each device
`POST /work-orders/<device>/<step>` with step = diagnosis, erasure, repair, installation,
grade, ready (or scrap at any time). See docs/services/refurb.md.
"""

from __future__ import annotations

import functools

from datetime import date, timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from shared.errors import InvalidInput, NotFound
from shared.http import ServiceApi
from shared.observability import entry_point, logger
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page

from refurb import workflow
from refurb.access import ROUTES, work_order_ownership, workshop_ownership
from refurb.adapters.repository import RefurbRepository
from refurb.domain.grading import RuleSet
from refurb.domain.reports import Diagnosis, ErasureReport, InstallationReport, RepairReport, ScrapReport
from refurb.domain.work_orders import WorkOrderStatus
from refurb.domain.workshops import WorkshopRegistration
from refurb.handlers.views import (
    CertificateDocument,
    FiguresView,
    Health,
    QueuePage,
    RulesView,
    UnassignedPage,
    WorkOrderView,
    WorkshopsPage,
    WorkshopView,
    certificate_document,
    queue_line,
    rules_view,
    work_order_view,
    workshop_view,
)

app = ServiceApi("refurb", ROUTES)
# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(RefurbRepository)

# The figures list every day of their period: a period of centuries would not fit in one answer.
MAX_FIGURES_DAYS = 366
PARTNER_ID = r"^[a-z0-9][a-z0-9._-]{0,79}$"
WorkshopId = Annotated[str, Path(pattern=PARTNER_ID, description="The workshop partner's id")]
DeviceId = Annotated[str, Path(description="The device's id (intake's)")]
QueueStatus = Annotated[WorkOrderStatus | None, Query(description=(
    "Only this status (omit: every open work order, oldest first; ready and scrapped: newest first)"))]


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workshop_id: str = Field(pattern=PARTNER_ID, description="The workshop to give the work order to")


class NoBody(BaseModel):
    """Steps that take no input: a body, if sent, must be empty (a grade cannot be typed in)."""

    model_config = ConfigDict(extra="forbid")


def _own_workshop(workshop_id: str) -> None:
    """A workshop sees its own record, queue and figures: another workshop's do not exist for it."""
    app.require_reach(workshop_ownership(workshop_id), f"no workshop {workshop_id}")


@app.get("/health")
def health() -> Health:
    return Health(service="refurb", status="ok")


# --- workshops (registered by administrators) --------------------------------------------------

@app.put("/workshops/<workshop_id>")
def register_workshop(workshop_id: WorkshopId, registration: WorkshopRegistration) -> WorkshopView:
    workshop = workflow.register_workshop(repository(), workshop_id, registration)
    logger.info("workshop registered", extra={"workshop_id": workshop_id, "capacity": workshop.capacity})
    return workshop_view(workshop)


@app.get("/workshops")
def list_workshops(cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> WorkshopsPage:
    return repository().workshops_page(cursor, limit).body(workshop_view)


@app.get("/workshops/<workshop_id>")
def get_workshop(workshop_id: WorkshopId) -> WorkshopView:
    _own_workshop(workshop_id)
    workshop = repository().get_workshop(workshop_id)
    if workshop is None:
        raise NotFound(f"no workshop {workshop_id}")
    return workshop_view(workshop)


@app.get("/workshops/<workshop_id>/queue")
def workshop_queue(workshop_id: WorkshopId, status: QueueStatus = None,
                   cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> QueuePage:
    _own_workshop(workshop_id)
    page = repository().queue(workshop_id, status, cursor=cursor, limit=limit)
    if status is None:
        # The workshop's counter of open orders is the total, for the price of one read.
        workshop = repository().get_workshop(workshop_id)
        page = Page(page.items, page.next_cursor, workshop.open_orders if workshop else 0)
    return page.body(queue_line, workshop_id=workshop_id, status=status.value if status else "open")


@app.get("/unassigned-work-orders")
def unassigned_queue(status: QueueStatus = None,
                     cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> UnassignedPage:
    page = repository().queue(None, status, cursor=cursor, limit=limit)
    return page.body(queue_line, status=status.value if status else "open")


@app.get("/workshops/<workshop_id>/figures")
def workshop_figures(workshop_id: WorkshopId,
                     since: Annotated[date | None, Query(description="First day, YYYY-MM-DD (default: 30 days ago)")] = None,
                     until: Annotated[date | None, Query(description="Last day, YYYY-MM-DD (default: today)")] = None,
                     ) -> FiguresView:
    _own_workshop(workshop_id)
    until = until or workflow.now().date()
    if since is None:  # the last 30 days (a date near year 1 has fewer before it)
        since = until - min(timedelta(days=29), until - date.min)
    if until < since:
        raise InvalidInput(f"until: {until} is before since ({since}): say the first day, then the last")
    if (until - since).days >= MAX_FIGURES_DAYS:
        raise InvalidInput(f"since: a period of at most {MAX_FIGURES_DAYS} days, from {since} to {until} is longer")
    return workflow.figures(repository(), workshop_id, since, until)


# --- work orders -------------------------------------------------------------------------------

@app.get("/work-orders/<device_id>")
def get_work_order(device_id: DeviceId) -> WorkOrderView:
    order = workflow.load_order(repository(), device_id)
    workflow.check_access(order, app.partner())
    return work_order_view(order)


@app.get("/work-orders/<device_id>/certificate")
def get_certificate(device_id: DeviceId) -> CertificateDocument:
    """The erasure certificate: the assigned workshop, administrators and the donor may read it."""
    order = workflow.load_order(repository(), device_id)
    app.require_reach(work_order_ownership(order), f"no work order for device {device_id}")
    if order.certificate is None:
        raise NotFound(f"device {device_id} has no erasure certificate yet: " + "; ".join(order.erasure_pending()
                                                                                          or ["erasure not done"]))
    return certificate_document(order.certificate)


@app.post("/work-orders/<device_id>/assignment")
@app.replayable
def assign_work_order(device_id: DeviceId, assignment: Assignment) -> WorkOrderView:
    return work_order_view(workflow.assign(repository(), device_id, assignment.workshop_id, app.partner()))


@app.post("/work-orders/<device_id>/diagnosis")
@app.replayable
def record_diagnosis(device_id: DeviceId, report: Diagnosis) -> WorkOrderView:
    return work_order_view(workflow.diagnose(repository(), device_id, app.partner(), report))


@app.post("/work-orders/<device_id>/erasure")
@app.replayable
def record_erasure(device_id: DeviceId, report: ErasureReport) -> WorkOrderView:
    partner = app.partner()
    return work_order_view(workflow.record_erasure(repository(), device_id, partner, report, app.correlation_id()))


@app.post("/work-orders/<device_id>/repair")
@app.replayable
def record_repair(device_id: DeviceId, report: RepairReport) -> WorkOrderView:
    return work_order_view(workflow.record_repair(repository(), device_id, app.partner(), report))


@app.post("/work-orders/<device_id>/installation")
@app.replayable
def record_installation(device_id: DeviceId, report: InstallationReport) -> WorkOrderView:
    return work_order_view(workflow.record_installation(repository(), device_id, app.partner(), report))


@app.post("/work-orders/<device_id>/grade")
@app.replayable
def record_grade(device_id: DeviceId, body: NoBody | None = None) -> WorkOrderView:
    return work_order_view(workflow.record_grade(repository(), device_id, app.partner()))


@app.post("/work-orders/<device_id>/ready")
@app.replayable
def mark_ready(device_id: DeviceId, body: NoBody | None = None) -> WorkOrderView:
    order = workflow.mark_ready(repository(), device_id, app.partner(), app.correlation_id())
    logger.info("device ready", extra={"device_id": device_id, "kind": order.kind.value,
                                       "grade": order.grade.grade if order.grade else None})
    return work_order_view(order)


@app.post("/work-orders/<device_id>/scrap")
@app.replayable
def scrap(device_id: DeviceId, report: ScrapReport) -> WorkOrderView:
    partner = app.partner()
    return work_order_view(workflow.scrap(repository(), device_id, partner, report, app.correlation_id()))


# --- grading rules (data, loaded by administrators) ----------------------------------------------

@app.get("/grading-rules")
def get_grading_rules() -> RulesView:
    return rules_view(workflow.active_rules(repository()))


@app.get("/grading-rules/<version>")
def get_grading_rules_version(
        version: Annotated[int, Path(ge=0, description="A version; 0 is the shipped rule set")]) -> RulesView:
    return rules_view(workflow.rules_version(repository(), version))


@app.put("/grading-rules")
@app.replayable
def load_grading_rules(rules: RuleSet) -> RulesView:
    stored = workflow.load_rules(repository(), rules, app.partner())
    logger.info("grading rules loaded", extra={"version": stored.version})
    return rules_view(stored)


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
