"""Intake's partner endpoints, under /intake (see docs/services/intake.md)."""

from __future__ import annotations

import functools

import base64
import binascii
from datetime import date
from decimal import Decimal
from enum import StrEnum
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.errors import NotFound, RuleViolation
from shared.http import ERROR_CONTENT, ServiceApi, error_response, json_response
from shared.observability import entry_point, logger
from shared.outbox import ConcurrencyConflict
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page
from shared.partners import Role
from shared.retry import retry_on_conflict

from intake import donor_documents, imports, reception
from intake.access import ROUTES, device_ownership, donor_ownership, lot_ownership
from intake.adapters.import_queue import ImportQueue
from intake.adapters.repository import IntakeRepository
from intake.domain.devices import (
    Device,
    DeviceDeclaration,
    DeviceStatus,
    Reception,
    RefusedValue,
    Rejection,
    RejectionAtReception,
    new_id,
    normalize_label_code,
    now,
)
from intake.domain.documents import DonationCertificate, Document, ErasureCertificateDocument
from intake.domain.donors import Donor, DonorRegistration
from intake.domain.impact import DEFAULT_EXTRA_YEARS_OF_USE, MAX_EXTRA_YEARS_OF_USE, ImpactReport
from intake.domain.imports import ImportJob, ImportKind
from intake.domain.inventory import InventoryError
from intake.domain.labels import LABELS_PER_PART, LabelSheet
from intake.domain.lots import Lot, LotDeclaration, LotStatusChange
from intake.domain.passport import Passport, public_view
from intake.domain.timeline import full_step, journey_step
from intake.handlers.answers import (
    DevicePage,
    ImportReport,
    LotPage,
    LotWithDevices,
    TimelinePage,
    json_answer,
)

# An upload is a Lambda payload (6 MB, base64 adds a third): larger files are split.
MAX_UPLOAD_BYTES = 4_000_000

app = ServiceApi("intake", ROUTES)
# One of each per warm function; their boto3 clients are made on first use.
repository = functools.cache(IntakeRepository)
import_queue = functools.cache(ImportQueue)


class Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


app.exception_handler(InventoryError)(lambda e: error_response(HTTPStatus.UNPROCESSABLE_ENTITY, f"file: {e}"))
app.exception_handler(Refused)(lambda e: error_response(e.status, str(e)))
# A value the rules refuse (a public donor's device above 300 €): bad input, naming the field.
app.exception_handler(RefusedValue)(lambda e: error_response(HTTPStatus.UNPROCESSABLE_ENTITY, str(e)))

class DocumentFormat(StrEnum):
    """json (the document's data) or pdf (the printable document)."""

    JSON = "json"
    PDF = "pdf"


LotId = Annotated[str, Path(description="The lot's id (lot_id of POST /intake/lots)")]
DeviceId = Annotated[str, Path(description="The device's id (device_id, given when it was registered)")]
DonorId = Annotated[str, Path(description="The donor partner's id, e.g. donor-ville-de-brest")]
ImportId = Annotated[str, Path(description="The import's id (import_id of POST /intake/lots/<id>/imports)")]
Format = Annotated[DocumentFormat, Query(alias="format", description="json (default) or pdf")]


def document_responses(model: type) -> dict[int, dict]:
    return {200: {"description": "The document, as JSON or as a PDF (?format=pdf)", "content": {
        "application/json": {"model": model}, "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


LabelPart = Annotated[int, Query(ge=1, description=f"Which part of a large lot's labels ({LABELS_PER_PART} "
                                                   "labels a part), from 1; the sheet's `parts` says how many")]
ExtraYears = Annotated[Decimal, Query(
    gt=0, le=MAX_EXTRA_YEARS_OF_USE, decimal_places=2,
    description="Extra years of use assumed for a reused device in the CO2 estimate")]


@app.get("/health")
def health() -> dict[str, str]:
    return {"service": "intake", "status": "ok"}


# ── donors ───────────────────────────────────────────────────────────────────────────────

@app.post("/donors", responses={
    201: json_answer(Donor, "Registered"), 200: json_answer(Donor, "Already registered, the same way")})
def register_donor(registration: DonorRegistration):
    """An administrator registers a donor partner; the same registration again changes nothing."""

    def attempt():
        existing = repository().get_donor(registration.donor_id)
        if existing is not None:
            changed = existing.differences_from(registration)
            if changed:
                raise RuleViolation(f"donor {registration.donor_id} is already registered with another "
                                    f"{', '.join(changed)}")
            return json_response(200, _donor_view(existing))
        donor = Donor(**registration.model_dump(), registered_at=now())
        repository().add_donor(donor)  # registered meanwhile: the retry compares with that one
        return json_response(201, _donor_view(donor))

    try:
        return retry_on_conflict(attempt, what="registering a donor", attempts=2)
    except ConcurrencyConflict:
        raise ConcurrencyConflict(f"donor {registration.donor_id} is being registered: retry") from None


@app.get("/donors/<donor_id>", responses={200: json_answer(Donor, "The donor")})
def get_donor(donor_id: DonorId) -> dict[str, Any]:
    return _donor_view(_visible_donor(donor_id))


# ── lots ─────────────────────────────────────────────────────────────────────────────────

@app.post("/lots", status_code=201, responses={201: json_answer(Lot, "Declared")})
@app.replayable
def declare_lot(declaration: LotDeclaration):
    partner = app.partner()
    donor = repository().get_donor(partner.partner_id)
    if donor is None:
        raise RuleViolation(f"donor {partner.partner_id} is not registered: an administrator registers it "
                            "(POST /intake/donors) before it declares a lot")
    lot = Lot(lot_id=new_id(), donor_id=donor.donor_id, provenance=donor.provenance, declared_at=now(),
              **declaration.model_dump())
    repository().add_lot(lot)
    return json_response(201, _lot_view(lot))


@app.get("/lots", responses={200: json_answer(LotPage, "One page of lots")})
def list_lots(donor_id: Annotated[str | None, Query(
                  description="Whose lots (warehouse, admin); a warehouse that gives none gets every lot of its "
                              "territory")] = None,
              cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> dict[str, Any]:
    partner = app.partner()
    if partner.role is Role.DONOR:
        donor_id = partner.partner_id
    elif not donor_id and partner.role is Role.WAREHOUSE and partner.territory:
        page = repository().lots_of_territory(partner.territory, cursor, limit)
        return page.body(lambda item: _lot_view(Lot.model_validate(item)), territory=partner.territory)
    elif not donor_id:
        raise Refused(HTTPStatus.UNPROCESSABLE_ENTITY, "donor_id: say whose lots to list")
    else:
        _visible_donor(donor_id)  # a warehouse lists the lots of its territory's donors only
    page = repository().lots_of_donor(donor_id, cursor, limit)
    return page.body(lambda item: _lot_view(Lot.model_validate(item)), donor_id=donor_id)


@app.get("/lots/<lot_id>", responses={200: json_answer(LotWithDevices, "The lot and its first devices")})
def get_lot(lot_id: LotId) -> dict[str, Any]:
    """The lot and the first page of its devices (GET /lots/<id>/devices for the next pages)."""
    lot = _visible_lot(lot_id)
    page = repository().devices_of_lot(lot_id, None, DEFAULT_LIMIT)
    return {**_lot_view(lot), "devices": [_device_view(d) for d in page.items], "next_cursor": page.next_cursor}


@app.get("/lots/<lot_id>/devices", responses={200: json_answer(DevicePage, "One page of the lot's devices")})
def list_devices_of_lot(lot_id: LotId, status: Annotated[DeviceStatus | None, Query(
                            description="Only the devices of this status: declared, received or rejected")] = None,
                        cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> dict[str, Any]:
    _visible_lot(lot_id)
    page = repository().devices_of_lot(lot_id, cursor, limit, status)
    return page.body(_device_view, lot_id=lot_id, status=status.value if status else None)


@app.post("/lots/<lot_id>/status", responses={200: json_answer(Lot, "The lot, moved on")})
@app.replayable
def change_lot_status(lot_id: LotId, change: LotStatusChange):
    lot = _visible_lot(lot_id)
    lot.advance(change.status, now())
    repository().save_lot(lot)
    return json_response(200, _lot_view(lot))


@app.post("/lots/<lot_id>/devices", status_code=201, responses={
    201: json_answer(Device, "Received: the device, with its label code")})
@app.replayable
def receive_device(lot_id: LotId, declaration: DeviceDeclaration):
    device = reception.receive_new(repository(), _visible_lot(lot_id), declaration,
                                   correlation_id=app.correlation_id())
    logger.info("device received", extra={"device_id": device.device_id, "lot_id": lot_id})
    return json_response(201, _device_view(device))


@app.post("/lots/<lot_id>/rejections", status_code=201, responses={
    201: json_answer(Device, "Rejected: the device, with its label code")})
@app.replayable
def reject_at_reception(lot_id: LotId, rejection: RejectionAtReception):
    device = reception.reject_new(repository(), _visible_lot(lot_id), rejection, correlation_id=app.correlation_id())
    logger.info("device rejected at reception", extra={"device_id": device.device_id, "lot_id": lot_id})
    return json_response(201, _device_view(device))


# ── imports ──────────────────────────────────────────────────────────────────────────────

@app.post("/lots/<lot_id>/imports", responses={
    202: json_answer(ImportReport, "Queued"),
    200: json_answer(ImportReport, "This file was already submitted to the lot: its import so far"),
    413: {"description": "A file too large for one upload", **ERROR_CONTENT},
    415: {"description": "A text body that was not UTF-8", **ERROR_CONTENT}})
def import_inventory(lot_id: LotId):
    """The raw CSV file as the body. A donor's file declares devices; the warehouse's receives them."""
    partner = app.partner()
    lot = _visible_lot(lot_id)
    kind = ImportKind.DECLARATION if partner.role is Role.DONOR else ImportKind.RECEPTION
    job, queued_now = imports.start_import(repository(), import_queue(), lot, kind, _uploaded_file(),
                                           submitted_by=partner.partner_id, correlation_id=app.correlation_id())
    return Response(
        status_code=HTTPStatus.ACCEPTED if queued_now else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=_import_report(job, repository().rejected_rows(job.import_id, None, DEFAULT_LIMIT)),
        headers={"Location": f"/intake/imports/{job.import_id}"},
    )


@app.get("/imports/<import_id>", responses={200: json_answer(ImportReport, "The import so far")})
def get_import(import_id: ImportId, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> dict[str, Any]:
    """Status, counts, and one page of rejected rows (in row order; next_cursor for more)."""
    job = repository().get_import(import_id)
    if job is None:
        raise NotFound(f"no import {import_id}")
    _visible_lot(job.lot_id, not_found=f"no import {import_id}")
    return _import_report(job, repository().rejected_rows(import_id, cursor, limit))


# ── devices ──────────────────────────────────────────────────────────────────────────────

@app.post("/devices/<device_id>/reception", responses={200: json_answer(Device, "Received")})
@app.replayable
def receive_declared_device(device_id: DeviceId, details: Reception):
    _visible_device(device_id)
    device = reception.receive_declared(repository(), device_id, details, correlation_id=app.correlation_id())
    logger.info("declared device received", extra={"device_id": device_id, "lot_id": device.lot_id})
    return json_response(200, _device_view(device))


@app.post("/devices/<device_id>/rejection", responses={200: json_answer(Device, "Rejected")})
@app.replayable
def reject_declared_device(device_id: DeviceId, rejection: Rejection):
    _visible_device(device_id)
    device = reception.reject_declared(repository(), device_id, rejection, correlation_id=app.correlation_id())
    logger.info("declared device rejected", extra={"device_id": device_id, "lot_id": device.lot_id})
    return json_response(200, _device_view(device))


@app.get("/devices/<device_id>", responses={200: json_answer(Device, "The device")})
def get_device(device_id: DeviceId) -> dict[str, Any]:
    return _device_view(_visible_device(device_id))


@app.get("/devices/<device_id>/timeline", responses={200: json_answer(TimelinePage, "One page of its steps")})
def get_timeline(device_id: DeviceId, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> dict[str, Any]:
    """Administrators see every step whole; the device's donor, warehouse and workshop its journey
    (intake/domain/timeline.py says what a journey step shows). Steps in the order they happened."""
    _visible_device(device_id)
    step = full_step if app.partner().role is Role.ADMIN else journey_step
    return repository().timeline_page(device_id, cursor, limit).body(step, device_id=device_id)


@app.get("/passport/<label_code>")
def get_passport(label_code: Annotated[str, Path(description="The code on the label, as printed or typed "
                                                               "(case, spaces, O for 0 and I or L for 1 are forgiven)")]
                 ) -> Passport:
    """Public (no API key: its own route in template.yaml): what the label on a device tells anyone."""
    code = normalize_label_code(label_code)
    device = repository().device_of_label(code)
    if device is None:
        raise NotFound(f"no device labelled {code}")
    return public_view(device.model_dump(mode="json"), repository().summary(device.device_id))


# ── donor documents (docs/services/intake-documents.md) ────────────────────────────────────
# Whoever sees a lot (its donor, the warehouse, an administrator) gets its documents; a donor
# only its own. JSON by default, the PDF with ?format=pdf.

@app.get("/lots/<lot_id>/documents/donation-certificate", responses=document_responses(DonationCertificate))
def get_donation_certificate(lot_id: LotId, as_format: Format = DocumentFormat.JSON):
    lot = _visible_lot(lot_id)
    document = donor_documents.donation_certificate_of(repository(), lot, _today())
    return _document_response(document, as_format, f"attestation-de-don-{lot_id}")


@app.get("/devices/<device_id>/documents/erasure-certificate",
         responses=document_responses(ErasureCertificateDocument))
def get_erasure_certificate(device_id: DeviceId, as_format: Format = DocumentFormat.JSON):
    device = _visible_device(device_id)
    document = donor_documents.erasure_certificate_of(repository(), device, _today())
    return _document_response(document, as_format, f"certificat-effacement-{device.label_code}")


@app.get("/lots/<lot_id>/documents/labels", responses=document_responses(LabelSheet))
def get_label_sheet(lot_id: LotId, as_format: Format = DocumentFormat.JSON, part: LabelPart = 1):
    """The lot's labels to print and stick on its devices, each with a QR code of the device's passport
    page; 24 labels an A4 page, at most 480 a part."""
    lot = _visible_lot(lot_id)
    sheet = donor_documents.label_sheet_of(repository(), lot, _portal_origin(), part, _today())
    suffix = f"-{part}-sur-{sheet.parts}" if sheet.parts > 1 else ""
    return _document_response(sheet, as_format, f"etiquettes-lot-{lot_id}{suffix}")


@app.get("/lots/<lot_id>/documents/impact-report", responses=document_responses(ImpactReport))
def get_lot_impact_report(lot_id: LotId, as_format: Format = DocumentFormat.JSON,
                          extra_years: ExtraYears = DEFAULT_EXTRA_YEARS_OF_USE):
    lot = _visible_lot(lot_id)
    document = donor_documents.lot_impact_report(repository(), lot, _today(), extra_years)
    return _document_response(document, as_format, f"rapport-impact-lot-{lot_id}")


@app.get("/donors/<donor_id>/documents/impact-report", responses=document_responses(ImpactReport))
def get_donor_impact_report(donor_id: DonorId, as_format: Format = DocumentFormat.JSON,
                            extra_years: ExtraYears = DEFAULT_EXTRA_YEARS_OF_USE):
    donor = _visible_donor(donor_id)
    document = donor_documents.donor_impact_report(repository(), donor, _today(), extra_years)
    return _document_response(document, as_format, f"rapport-impact-{donor_id}")


# ── helpers ──────────────────────────────────────────────────────────────────────────────

def _today() -> date:
    """Documents are dated in UTC (a document asked for just after midnight in France says the day before)."""
    return now().date()


def _portal_origin() -> str:
    """Where the portal's pages are: the HTTP API that was called, which serves them under /portal
    (docs/architecture.md, "The label's QR code names the API that printed it").

    The host is the API's domain name as the HTTP API reports it (on AWS the name the caller
    used: the execute-api name or a custom domain); a port comes from the Host header (only the
    local cloud listens on one); the scheme from X-Forwarded-Proto, which API Gateway always
    sets (https) and the local cloud never does (http)."""
    event = app.current_event
    host = event.request_context.domain_name or event.headers.get("host", "").split(":")[0]
    _, _, port = event.headers.get("host", "").partition(":")
    scheme = event.headers.get("x-forwarded-proto", "http").split(",")[0].strip()
    if scheme not in ("http", "https"):
        scheme = "https"
    return f"{scheme}://{host}:{port}" if port.isdigit() else f"{scheme}://{host}"


def _document_response(document: Document | LabelSheet, as_format: DocumentFormat, filename: str) -> Response:
    if as_format is DocumentFormat.JSON:
        return json_response(200, document.model_dump(mode="json"))
    # ReportLab takes about half a second to import: only a PDF request pays for it.
    if isinstance(document, LabelSheet):
        from intake.adapters.label_pdf import render_label_sheet as render_pdf
    else:
        from intake.adapters.pdf import render_pdf

    # bytes: Powertools sends them base64-encoded (isBase64Encoded), the HTTP API decodes them.
    return Response(status_code=200, content_type="application/pdf", body=render_pdf(document),
                    headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'})


def _uploaded_file() -> bytes:
    """The request body's raw bytes. A text body was decoded as UTF-8 by the gateway: if the file
    was not UTF-8 its bytes were replaced, so it must be sent as binary."""
    event = app.current_event
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            data = base64.b64decode(body, validate=True)
        except binascii.Error:
            raise Refused(HTTPStatus.UNPROCESSABLE_ENTITY, "body: not valid base64") from None
    else:
        if "\ufffd" in body:
            raise Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                                "body: the file is not UTF-8 and was altered in transit: send it with "
                                "Content-Type: application/octet-stream")
        data = body.encode("utf-8")
    if not data.strip():
        raise Refused(HTTPStatus.UNPROCESSABLE_ENTITY, "body: send the CSV file as the request body")
    if len(data) > MAX_UPLOAD_BYTES:
        raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                            f"body: {len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,} per upload: split the file")
    return data


# What is out of the caller's reach on this route (intake/access.py) does not exist for it.

def _visible_donor(donor_id: str) -> Donor:
    donor = repository().get_donor(donor_id)
    app.require_reach(donor_ownership(donor) if donor else None, f"no donor {donor_id}")
    return donor


def _visible_lot(lot_id: str, not_found: str | None = None) -> Lot:
    lot = repository().get_lot(lot_id)
    app.require_reach(lot_ownership(lot) if lot else None, not_found or f"no lot {lot_id}")
    return lot


def _visible_device(device_id: str) -> Device:
    device = repository().get_device(device_id)
    if device is None:
        raise NotFound(f"no device {device_id}")
    # Only a workshop's reach depends on the assignment: only it pays for reading the summary.
    workshop_id = repository().summary(device_id).workshop_id if app.partner().role is Role.WORKSHOP else None
    app.require_reach(device_ownership(device, workshop_id), f"no device {device_id}")
    return device


def _donor_view(donor: Donor) -> dict[str, Any]:
    return donor.model_dump(mode="json", exclude={"version"})


def _lot_view(lot: Lot) -> dict[str, Any]:
    return lot.model_dump(mode="json", exclude={"version"})


def _device_view(device: Device | dict[str, Any]) -> dict[str, Any]:
    if isinstance(device, dict):
        device = Device.model_validate(device)
    return device.model_dump(mode="json", exclude={"version"}, exclude_none=True)


def _import_report(job: ImportJob, rejected: Page) -> dict[str, Any]:
    return {
        "import_id": job.import_id,
        "lot_id": job.lot_id,
        "kind": job.kind.value,
        "status": job.status.value,
        "counts": {"rows": job.rows, "accepted": job.accepted, "rejected": job.rejected,
                   "registered": job.registered, "pending": job.pending},
        "file": {"sha256": job.file_sha256, "bytes": job.file_bytes, "encoding": job.encoding,
                 "delimiter": job.delimiter, "header_row": job.header_row, "columns": job.columns,
                 "ignored_columns": job.ignored_columns},
        "submitted_by": job.submitted_by,
        **{k: v.isoformat() if v else None for k, v in (
            ("created_at", job.created_at), ("queued_at", job.queued_at), ("started_at", job.started_at),
            ("finished_at", job.finished_at))},
        "rejected_rows": [{"row": r["row"], "reason": r["reason"], "serial_number": r.get("serial_number")}
                          for r in rejected.items],
        "next_cursor": rejected.next_cursor,
    }


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
