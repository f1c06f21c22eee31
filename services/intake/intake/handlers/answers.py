"""The shapes of intake's answers, for its OpenAPI document (GET /intake/openapi.json).

The routes build their answers from the domain's models (`Donor`, `Lot`, `Device`, the
documents); these models only say what a list, a lot with its first devices, an import report
and a timeline look like, so that every field of every answer is named and described.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from intake.domain.devices import Device, DeviceStatus
from intake.domain.imports import ImportKind, ImportStatus
from intake.domain.lots import Lot

NEXT_CURSOR = Field(description="Give it as ?cursor= for the next page; null on the last page")
TOTAL = Field(default=None, description="Always null: counting would mean reading the whole list")


def json_answer(model: type[BaseModel], description: str) -> dict[str, Any]:
    """An OpenAPI response whose JSON body is `model`."""
    return {"description": description, "content": {"application/json": {"model": model}}}


class LotPage(BaseModel):
    donor_id: str | None = Field(default=None, description="Whose lots these are (a donor's list)")
    territory: str | None = Field(default=None, description="Whose lots these are (a warehouse's list of its "
                                                            "territory's lots)")
    items: list[Lot] = Field(description="The lots: a donor's oldest declared first, a territory's newest first")
    next_cursor: str | None = NEXT_CURSOR
    total: None = TOTAL


class LotWithDevices(Lot):
    devices: list[Device] = Field(description="The lot's first 50 devices, oldest registered first")
    next_cursor: str | None = Field(description="Give it as ?cursor= to GET /intake/lots/<id>/devices for the next "
                                                "devices; null if these are all")


class DevicePage(BaseModel):
    lot_id: str = Field(description="The lot the devices belong to")
    status: DeviceStatus | None = Field(description="The status asked for (?status=), or null")
    items: list[Device] = Field(description="The lot's devices, oldest registered first")
    next_cursor: str | None = NEXT_CURSOR
    total: None = TOTAL


class TimelineStep(BaseModel):
    occurred_at: datetime = Field(description="When it happened")
    event_type: str = Field(description="What happened: the event's type, e.g. DeviceReceived, ErasureCertified")
    source: str = Field(description="The service that announced it, e.g. seconde-vie.refurb")
    details: dict[str, Any] | None = Field(
        default=None, description="The facts about the device that the step may show (not for an administrator)")
    event_id: str | None = Field(default=None, description="The event's id (administrators only)")
    correlation_id: str | None = Field(default=None, description="The flow the event belongs to (administrators only)")
    payload: dict[str, Any] | None = Field(default=None, description="The whole event (administrators only)")


class TimelinePage(BaseModel):
    device_id: str = Field(description="The device whose steps these are")
    items: list[TimelineStep] = Field(description="Its steps, in the order they happened")
    next_cursor: str | None = NEXT_CURSOR
    total: None = TOTAL


class ImportCounts(BaseModel):
    rows: int = Field(description="Rows read in the file (blank rows are not counted)")
    accepted: int = Field(description="Rows that passed every check")
    rejected: int = Field(description="Rows refused, each with its reason (rejected_rows)")
    registered: int = Field(description="Accepted rows registered so far")
    pending: int = Field(description="Accepted rows still to register (0 once done)")


class ImportedFile(BaseModel):
    sha256: str = Field(description="The file's SHA-256: the same file sent again is the same import")
    bytes: int = Field(description="The file's size")
    encoding: str = Field(description="The encoding detected: utf-8, utf-8-sig, utf-16 or cp1252")
    delimiter: str = Field(description="The column separator detected: ; , or a tab")
    header_row: int = Field(description="The row holding the column names")
    columns: dict[str, str] = Field(description="Each device field → the file's column it was read from")
    ignored_columns: list[str] = Field(description="The file's columns that name no device field")


class RejectedRow(BaseModel):
    row: int = Field(description="The row, as the spreadsheet numbers it")
    reason: str = Field(description="Why it was refused, e.g. missing serial number")
    serial_number: str | None = Field(description="The row's serial number, if it had one")


class ImportReport(BaseModel):
    import_id: str = Field(description="The import's id (GET /intake/imports/<id>)")
    lot_id: str = Field(description="The lot the file was imported into")
    kind: ImportKind = Field(description="declaration (a donor's file: devices become declared) or reception "
                                         "(the warehouse's: devices become received)")
    status: ImportStatus = Field(description="queued, running or done")
    counts: ImportCounts = Field(description="Rows read, accepted, rejected, registered and pending")
    file: ImportedFile = Field(description="What was detected in the file")
    submitted_by: str = Field(description="The partner that sent the file")
    created_at: datetime | None = Field(description="When the file was checked")
    queued_at: datetime | None = Field(description="When its rows were queued")
    started_at: datetime | None = Field(description="When the first rows were registered")
    finished_at: datetime | None = Field(description="When the last row was registered")
    rejected_rows: list[RejectedRow] = Field(description="One page of the refused rows, in row order")
    next_cursor: str | None = NEXT_CURSOR
