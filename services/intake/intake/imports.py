"""Bulk inventory imports: check a whole file now, register its accepted rows in a job.

Uploading checks every row at once (encoding, separator, headers, each row's values,
duplicates within the file, serials already registered), stores the report of rejected rows
and queues the accepted ones in chunks. The worker registers each row like a reception at the
counter (intake.reception) and adds each chunk's outcome to the import's counts once.
"""

from __future__ import annotations

from shared.errors import RuleViolation
from shared.observability import logger

from intake.adapters.import_queue import ImportQueue
from intake.adapters.repository import IntakeRepository
from intake.domain.devices import DeviceDeclaration, DeviceStatus, ImportOrigin, Reception, now
from intake.domain.donors import value_cap_for
from intake.domain.imports import (
    CHUNK_ROWS,
    ImportChunk,
    ImportJob,
    ImportKind,
    ImportStatus,
    QueuedRow,
    device_id_for,
    file_digest,
    import_id_for,
    in_chunks,
)
from intake.domain.inventory import AcceptedRow, RejectedRow, read_inventory
from intake.domain.lots import Lot
from intake.reception import AlreadyRegistered, declare, receive_declared, receive_new


def start_import(repository: IntakeRepository, queue: ImportQueue, lot: Lot, kind: ImportKind, data: bytes, *,
                 submitted_by: str, correlation_id: str | None = None) -> tuple[ImportJob, bool]:
    """The import of this file into this lot, and whether this call queued it (False: it was already).

    Raises InventoryError (the file cannot be read: nothing is stored) or RuleViolation.
    """
    digest = file_digest(data)
    import_id = import_id_for(lot.lot_id, kind, digest)
    existing = repository.get_import(import_id)
    if existing is not None and existing.queued_at is not None:
        return existing, False
    lot.require_open()

    inventory = read_inventory(data, specs_required=kind is ImportKind.RECEPTION,
                               value_cap_eur=value_cap_for(lot.provenance.donor_type))
    queued, late_rejected = _check_against_register(repository, lot, kind, import_id, inventory.accepted)
    rejected = sorted(inventory.rejected + late_rejected, key=lambda r: r.row)
    chunks = [
        ImportChunk(import_id=import_id, lot_id=lot.lot_id, kind=kind, index=index,
                    correlation_id=correlation_id or import_id, rows=rows)
        for index, rows in enumerate(in_chunks(queued, CHUNK_ROWS))
    ]
    at = now()
    job = ImportJob(
        import_id=import_id, lot_id=lot.lot_id, kind=kind, submitted_by=submitted_by, file_sha256=digest,
        file_bytes=len(data), encoding=inventory.encoding, delimiter=inventory.delimiter,
        header_row=inventory.header_row, columns=inventory.columns, ignored_columns=inventory.ignored_columns,
        rows=inventory.rows, accepted=len(queued), rejected=len(rejected), chunks_total=len(chunks), created_at=at,
        status=ImportStatus.QUEUED if chunks else ImportStatus.DONE, finished_at=None if chunks else at,
    )
    # An upload of this file that stopped before queueing everything (or runs right now) is
    # completed here: its rows are found again, and the worker recognises rows already done by
    # their device ids and chunks already counted by their index.
    if existing is None:
        repository.create_import(job)
    repository.put_rejections(import_id, rejected)
    queue.send(chunks)
    repository.mark_queued(import_id, now())
    logger.info("import queued", extra={"import_id": import_id, "lot_id": lot.lot_id, "rows": job.rows,
                                        "accepted": job.accepted, "rejected": job.rejected, "chunks": len(chunks)})
    return repository.get_import(import_id), True


def _check_against_register(repository: IntakeRepository, lot: Lot, kind: ImportKind, import_id: str,
                            accepted: list[AcceptedRow]) -> tuple[list[QueuedRow], list[RejectedRow]]:
    """Rows whose serial is already registered are rejected, except (reception) a device this
    lot's donor declared, which the reception receives (a value in the row must then agree with
    the one the donor declared)."""
    owners = repository.serial_owners([row.natural_key for row in accepted])
    declared_here = [owner["device_id"] for owner in owners.values()
                     if kind is ImportKind.RECEPTION and owner.get("lot_id") == lot.lot_id]
    devices = repository.get_devices(declared_here) if declared_here else {}
    queued, rejected = [], []
    for row in accepted:
        owner = owners.get(row.natural_key)
        if owner is None or owner["device_id"] == device_id_for(import_id, row.row):
            queued.append(QueuedRow(row=row.row, device=row.device))
            continue
        device = devices.get(owner["device_id"])
        if device is not None and (device.status is DeviceStatus.DECLARED or _received_by(device, import_id)):
            value = row.device.declared_value_eur
            if value is not None and device.declared_value_eur is not None and value != device.declared_value_eur:
                rejected.append(RejectedRow(
                    row.row, f"declared value {value} € differs from the {device.declared_value_eur} € the donor "
                             f"declared for serial {row.device.serial_number} ({row.device.make})",
                    row.device.serial_number))
                continue
            queued.append(QueuedRow(row=row.row, device=row.device, declared_device_id=device.device_id))
            continue
        state = f" ({device.status.value} in this lot)" if device is not None else ""
        rejected.append(RejectedRow(
            row.row, f"serial {row.device.serial_number} ({row.device.make}) is already registered{state}",
            row.device.serial_number))
    return queued, rejected


def register_chunk(repository: IntakeRepository, chunk: ImportChunk) -> None:
    """Register a chunk's rows and count them, once, in the import (a retried chunk is safe)."""
    lot = repository.get_lot(chunk.lot_id)
    registered, rejected = 0, []
    for queued in chunk.rows:
        reason = register_row(repository, lot, chunk, queued)
        if reason is None:
            registered += 1
        else:
            rejected.append(RejectedRow(queued.row, reason, queued.device.serial_number))
    repository.put_rejections(chunk.import_id, rejected)
    job = repository.count_chunk(chunk.import_id, chunk.index, registered=registered, rejected=len(rejected), at=now())
    if job is not None and job.pending == 0:
        repository.mark_done(chunk.import_id, now())
        logger.info("import done", extra={"import_id": job.import_id, "registered": job.registered,
                                          "rejected": job.rejected})


def register_row(repository: IntakeRepository, lot: Lot, chunk: ImportChunk, queued: QueuedRow) -> str | None:
    """None once the row's device is registered (now or by an earlier attempt); else why not."""
    device_id = device_id_for(chunk.import_id, queued.row)
    origin = ImportOrigin(import_id=chunk.import_id, row=queued.row)
    device = queued.device
    try:
        if chunk.kind is ImportKind.DECLARATION:
            declare(repository, lot, device, device_id=device_id, imported_from=origin)
        elif queued.declared_device_id:
            receive_declared(repository, queued.declared_device_id,
                             Reception(specs=device.specs, visible_condition=device.visible_condition,
                                       declared_value_eur=device.declared_value_eur),
                             correlation_id=chunk.correlation_id, imported_from=origin)
        else:
            declaration = DeviceDeclaration(**device.model_dump(exclude_none=True))
            receive_new(repository, lot, declaration, device_id=device_id, imported_from=origin,
                        correlation_id=chunk.correlation_id)
        return None
    except AlreadyRegistered as refused:
        return None if refused.owner == device_id else str(refused)
    except RuleViolation as refused:
        if queued.declared_device_id:
            stored = repository.get_device(queued.declared_device_id)
            if stored is not None and _received_by(stored, chunk.import_id):
                return None
        return str(refused)


def _received_by(device, import_id: str) -> bool:
    return device.received_in_import is not None and device.received_in_import.import_id == import_id
