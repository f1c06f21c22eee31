"""A bulk inventory import: one file, checked row by row, its accepted rows registered by a job.

    queued → running → done

The import's id comes from the lot, the kind and the file's SHA-256: the same file uploaded
twice is the same import, and each row's device id comes from the import and the row number,
so a row handled twice (a retried job) is recognised as already done, never registered twice.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from intake.domain.devices import DeclaredDevice

# Rows per queue message: a message is handled within one invocation, with room to spare.
CHUNK_ROWS = 25

_DEVICE_IDS = uuid.UUID("3f0c7a8e-51b2-4f4a-9d1e-7c4b2a9e6d10")


class ImportKind(StrEnum):
    """declaration (a donor's file) or reception (the warehouse's)."""

    DECLARATION = "declaration"  # a donor announces its devices: they become declared
    RECEPTION = "reception"  # the warehouse lists what arrived: they become received


class ImportStatus(StrEnum):
    """queued, running, then done."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class ImportJob(BaseModel):
    import_id: str
    lot_id: str
    kind: ImportKind
    submitted_by: str
    file_sha256: str
    file_bytes: int
    encoding: str
    delimiter: str
    header_row: int
    columns: dict[str, str]
    ignored_columns: list[str]
    rows: int
    accepted: int
    rejected: int = 0
    registered: int = 0
    chunks_total: int
    status: ImportStatus = ImportStatus.QUEUED
    created_at: datetime
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    version: int = 0

    @property
    def pending(self) -> int:
        return self.rows - self.rejected - self.registered


class QueuedRow(BaseModel):
    row: int
    device: DeclaredDevice
    declared_device_id: str | None = None  # reception of a device the donor declared in this lot


class ImportChunk(BaseModel):
    """One queue message: rows of one import for the worker to register."""

    import_id: str
    lot_id: str
    kind: ImportKind
    index: int
    correlation_id: str
    rows: list[QueuedRow]


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_id_for(lot_id: str, kind: ImportKind, file_sha256: str) -> str:
    return "imp-" + hashlib.sha256(f"{lot_id}\n{kind.value}\n{file_sha256}".encode()).hexdigest()[:24]


def device_id_for(import_id: str, row: int) -> str:
    return str(uuid.uuid5(_DEVICE_IDS, f"{import_id}#{row}"))


def in_chunks(rows: list[QueuedRow], size: int = CHUNK_ROWS) -> list[list[QueuedRow]]:
    return [rows[start:start + size] for start in range(0, len(rows), size)]
