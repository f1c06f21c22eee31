"""Intake's table: donors, lots, devices (with their serial and label guards), imports,
device timelines and passports.

    DONOR#<id>   DONOR
    LOT#<id>     LOT                      gsi1: DONOR#<donor> / LOT#<declared_at>#<id>
    TERRITORY#<territory>#LOT#<id>  LOT   gsi1: TERRITORY#<territory>#LOTS / LOT#<declared_at>#<id>  (the warehouse's list)
    DEVICE#<id>  DEVICE                   gsi1: LOT#<lot> / DEVICE#<registered_at>#<id>
    DEVICE#<id>  PASSPORT | TIMELINE#<occurred_at>#<fact key>   (the summary the consumer keeps; every fact)
    SERIAL#<make#serial>  SERIAL          which device holds a serial (uniqueness guard)
    LABEL#<code> LABEL                    which device carries a label (uniqueness guard)
    IMPORT#<id>  IMPORT | REJECTED#<row>  an import job and its rejected rows

The index holds the keys, `lot_id` and `status` only (a device saved again is not copied again
unless its status moved): a list filters on the status there, then reads its items by key.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.dynamo import TableReader, deserialize, serialize
from shared.events import DomainEvent, EventEnvelope
from shared.outbox import MAX_TRANSACTION_ITEMS, ConcurrencyConflict, UnitOfWork
from shared.paging import KeyRange, Page, query_page

from intake.domain.devices import Device, DeviceStatus
from intake.domain.donors import Donor
from intake.domain.imports import ImportJob, ImportStatus
from intake.domain.inventory import RejectedRow
from intake.domain.lots import Lot
from intake.domain.passport import DeviceSummary, PassportFact
from intake.domain.timeline import fact_key



class IntakeRepository:
    def __init__(self, table_name: str | None = None, client=None):
        self.table_name = table_name or os.environ["TABLE_NAME"]
        self.client = client
        self.reader = TableReader(self.table_name, client)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.table_name, client=self.client)

    # donors
    def add_donor(self, donor: Donor) -> None:
        work = self.unit_of_work()
        work.create({"pk": f"DONOR#{donor.donor_id}", "sk": "DONOR", **donor.model_dump(mode="json", exclude={"version"})},
                    f"donor {donor.donor_id} is already registered")
        work.commit()

    def get_donor(self, donor_id: str) -> Donor | None:
        item = self.reader.get(f"DONOR#{donor_id}", "DONOR")
        return Donor.model_validate(item) if item else None

    # lots
    def add_lot(self, lot: Lot) -> None:
        work = self.unit_of_work()
        work.create(self._lot_item(lot), f"lot {lot.lot_id} already exists")
        # A lot's territory never changes (its donor's): the listing item is written once, with it.
        territory = lot.provenance.territory
        work.create({"pk": f"TERRITORY#{territory}#LOT#{lot.lot_id}", "sk": "LOT", "lot_id": lot.lot_id,
                     "gsi1pk": f"TERRITORY#{territory}#LOTS",
                     "gsi1sk": f"LOT#{lot.declared_at.isoformat()}#{lot.lot_id}"}, f"lot {lot.lot_id} already exists")
        work.commit()

    def lots_of_territory(self, territory: str, cursor: str | None, limit: int) -> Page:
        """The lots of a territory's donors, newest declared first: the warehouse's work is the latest lots."""
        page = self._page(KeyRange.of_index(f"TERRITORY#{territory}#LOTS", "LOT#"), cursor, limit, forward=False)
        found = {item["lot_id"]: item for item in self.reader.get_many([(f"LOT#{i['lot_id']}", "LOT") for i in page.items])}
        return Page([found[i["lot_id"]] for i in page.items if i["lot_id"] in found], page.next_cursor, page.total)

    def save_lot(self, lot: Lot) -> None:
        work = self.unit_of_work()
        work.save(self._lot_item(lot), read_version=lot.version,
                  conflict_message=f"lot {lot.lot_id} changed meanwhile: read it again and retry")
        work.commit()

    def get_lot(self, lot_id: str) -> Lot | None:
        item = self.reader.get(f"LOT#{lot_id}", "LOT")
        return Lot.model_validate(item) if item else None

    def lots_of_donor(self, donor_id: str, cursor: str | None, limit: int) -> Page:
        """A donor's lots, oldest declared first."""
        return self._page_by_key(KeyRange.of_index(f"DONOR#{donor_id}", "LOT#"), cursor, limit)

    def all_lots_of_donor(self, donor_id: str) -> list[Lot]:
        listed = self.reader.query(f"DONOR#{donor_id}", "LOT#", index="gsi1")
        return [Lot.model_validate(item) for item in self._by_key(listed)]

    @staticmethod
    def _lot_item(lot: Lot) -> dict[str, Any]:
        return {"pk": f"LOT#{lot.lot_id}", "sk": "LOT", **lot.model_dump(mode="json", exclude={"version"}),
                "gsi1pk": f"DONOR#{lot.donor_id}", "gsi1sk": f"LOT#{lot.declared_at.isoformat()}#{lot.lot_id}"}

    # devices
    def register_device(self, device: Device, event: EventEnvelope | None) -> None:
        """A new device with its serial guard (and label guard), and its event: all or nothing."""
        work = self.unit_of_work()
        work.create({"pk": f"SERIAL#{device.natural_key}", "sk": "SERIAL", "device_id": device.device_id,
                     "lot_id": device.lot_id},
                    f"serial {device.serial_number} ({device.make}) is already registered")
        if device.label_code:
            work.create(self._label_item(device), f"label {device.label_code} already used")
        work.create(self._device_item(device), f"device {device.device_id} already exists")
        if event:
            work.publish(event)
        work.commit()

    def save_device(self, device: Device, *, new_label: bool, event: EventEnvelope | None) -> None:
        """A device read at `device.version`, changed (received, rejected), with its event."""
        work = self.unit_of_work()
        work.save(self._device_item(device), read_version=device.version,
                  conflict_message=f"device {device.device_id} changed meanwhile: read it again and retry")
        if new_label:
            work.create(self._label_item(device), f"label {device.label_code} already used")
        if event:
            work.publish(event)
        work.commit()

    def get_device(self, device_id: str) -> Device | None:
        item = self.reader.get(f"DEVICE#{device_id}", "DEVICE")
        return Device.model_validate(item) if item else None

    def get_devices(self, device_ids: list[str]) -> dict[str, Device]:
        items = self.reader.get_many([(f"DEVICE#{d}", "DEVICE") for d in device_ids])
        return {item["device_id"]: Device.model_validate(item) for item in items}

    def devices_of_lot(self, lot_id: str, cursor: str | None, limit: int, status: DeviceStatus | None = None) -> Page:
        """A lot's devices, oldest registered first (of one status: read on until the page is full)."""
        keep = (lambda item: item["status"] == status.value) if status else None
        return self._page_by_key(KeyRange.of_index(f"LOT#{lot_id}", "DEVICE#"), cursor, limit, keep=keep)

    def all_devices_of_lot(self, lot_id: str) -> list[Device]:
        """Every device registered against the lot (all pages), oldest first."""
        listed = self.reader.query(f"LOT#{lot_id}", "DEVICE#", index="gsi1")
        return [Device.model_validate(item) for item in self._by_key(listed)]

    def serial_owner(self, natural_key: str) -> dict[str, Any] | None:
        return self.reader.get(f"SERIAL#{natural_key}", "SERIAL")

    def serial_owners(self, natural_keys: list[str]) -> dict[str, dict[str, Any]]:
        """Serial guards of the given keys that exist: natural key → {device_id, lot_id}."""
        items = self.reader.get_many([(f"SERIAL#{key}", "SERIAL") for key in dict.fromkeys(natural_keys)])
        return {item["pk"].removeprefix("SERIAL#"): item for item in items}

    def label_taken(self, label_code: str) -> bool:
        return self.reader.get(f"LABEL#{label_code}", "LABEL") is not None

    def device_of_label(self, label_code: str) -> Device | None:
        guard = self.reader.get(f"LABEL#{label_code}", "LABEL", consistent=False)
        return self.get_device(guard["device_id"]) if guard else None

    @staticmethod
    def _label_item(device: Device) -> dict[str, Any]:
        return {"pk": f"LABEL#{device.label_code}", "sk": "LABEL", "device_id": device.device_id}

    @staticmethod
    def _device_item(device: Device) -> dict[str, Any]:
        return {"pk": f"DEVICE#{device.device_id}", "sk": "DEVICE", **device.model_dump(mode="json", exclude={"version"}),
                "gsi1pk": f"LOT#{device.lot_id}",
                "gsi1sk": f"DEVICE#{device.registered_at.isoformat()}#{device.device_id}"}

    # timeline
    def record_in_timeline(self, envelope: EventEnvelope, event: DomainEvent) -> bool:
        """One line per fact, keyed by its time then its fact key (`timeline.fact_key`): a
        redelivery, or the same fact announced again under a new event id, finds its line
        written and changes nothing (False). The first announcement's event id is kept."""
        occurred_at = envelope.occurred_at.isoformat()
        key = fact_key(envelope.event_type, envelope.schema_version, occurred_at, event.model_dump(mode="json"))
        work = self.unit_of_work()
        work.create({
            "pk": f"DEVICE#{envelope.subject}",
            "sk": f"TIMELINE#{occurred_at}#{key}",
            "event_id": envelope.event_id,
            "event_type": envelope.event_type,
            "source": envelope.source,
            "occurred_at": envelope.occurred_at.isoformat(),
            "correlation_id": envelope.correlation_id,
            "payload": envelope.payload,
        }, f"{envelope.event_type} of {occurred_at} is already in the timeline")
        try:
            work.commit()
            return True
        except ConcurrencyConflict:
            return False

    def timeline_page(self, device_id: str, cursor: str | None, limit: int) -> Page:
        """The device's events in the order they happened (the sort key is their time, then the fact key)."""
        return self._page(KeyRange.of_table(f"DEVICE#{device_id}", "TIMELINE#"), cursor, limit)

    # passport
    def record_passport_fact(self, device_id: str, fact: PassportFact, occurred_at: datetime) -> bool:
        """Set one fact of the device's summary unless a newer event already set it.

        An UpdateItem rather than a UnitOfWork: the condition compares with what is stored,
        so no read is needed, and the summary is only ever written here. False: the stored
        fact is newer (or from the same event), nothing changed.
        """
        at_name = f"{fact.name}_at"
        try:
            self._client().update_item(
                TableName=self.table_name,
                Key=serialize({"pk": f"DEVICE#{device_id}", "sk": "PASSPORT"}),
                UpdateExpression="SET #fact = :value, #at = :at",
                ConditionExpression="attribute_not_exists(#at) OR #at < :at",
                ExpressionAttributeNames={"#fact": fact.name, "#at": at_name},
                ExpressionAttributeValues=serialize({":value": fact.value, ":at": occurred_at.isoformat()}),
            )
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def summary(self, device_id: str) -> DeviceSummary:
        return DeviceSummary.of(self.reader.get(f"DEVICE#{device_id}", "PASSPORT", consistent=False))

    def summaries(self, device_ids: list[str]) -> dict[str, DeviceSummary]:
        """The summary of each device (an empty one for a device no event has reached yet)."""
        items = self.reader.get_many([(f"DEVICE#{d}", "PASSPORT") for d in dict.fromkeys(device_ids)])
        found = {item["pk"].removeprefix("DEVICE#"): DeviceSummary.of(item) for item in items}
        return {device_id: found.get(device_id, DeviceSummary()) for device_id in device_ids}

    # imports
    def create_import(self, job: ImportJob) -> bool:
        """False if this import already exists (the same file for the same lot, uploaded again)."""
        work = self.unit_of_work()
        work.create({"pk": f"IMPORT#{job.import_id}", "sk": "IMPORT", **job.model_dump(mode="json", exclude={"version"})},
                    f"import {job.import_id} already exists")
        try:
            work.commit()
            return True
        except ConcurrencyConflict:
            return False

    def put_rejections(self, import_id: str, rejected: list[RejectedRow]) -> None:
        """The rejected rows of an import; writing one again rewrites the same line."""
        for start in range(0, len(rejected), MAX_TRANSACTION_ITEMS):
            work = self.unit_of_work()
            for row in rejected[start:start + MAX_TRANSACTION_ITEMS]:
                work.put({"pk": f"IMPORT#{import_id}", "sk": f"REJECTED#{row.row:07d}", "row": row.row,
                          "reason": row.reason, "serial_number": row.serial_number})
            work.commit()

    def mark_queued(self, import_id: str, at: datetime) -> None:
        self._update_import(import_id, "SET queued_at = :at", {":at": at.isoformat()})

    def get_import(self, import_id: str) -> ImportJob | None:
        item = self.reader.get(f"IMPORT#{import_id}", "IMPORT")
        return ImportJob.model_validate(item) if item else None

    def rejected_rows(self, import_id: str, cursor: str | None, limit: int) -> Page:
        """An import's rejected rows in row order."""
        return self._page(KeyRange.of_table(f"IMPORT#{import_id}", "REJECTED#"), cursor, limit)

    def count_chunk(self, import_id: str, chunk: int, *, registered: int, rejected: int,
                    at: datetime) -> ImportJob | None:
        """Add a chunk's outcome to the import's counts, once per chunk (a retried chunk is not
        counted again); None if it was already counted. An atomic counter, not a read-modify-write:
        chunks of one import are counted concurrently."""
        try:
            response = self._update_import(
                import_id,
                "ADD registered :registered, rejected :rejected, counted_chunks :chunk "
                "SET #status = :running, started_at = if_not_exists(started_at, :at)",
                {":registered": registered, ":rejected": rejected, ":chunk": {chunk}, ":chunk_id": chunk,
                 ":running": ImportStatus.RUNNING.value, ":at": at.isoformat()},
                condition="attribute_exists(pk) AND NOT contains(counted_chunks, :chunk_id)",
                names={"#status": "status"},
                returns=True,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return ImportJob.model_validate(deserialize(response["Attributes"]))

    def mark_done(self, import_id: str, at: datetime) -> None:
        self._update_import(import_id, "SET #status = :done, finished_at = :at",
                            {":done": ImportStatus.DONE.value, ":at": at.isoformat()}, names={"#status": "status"})

    def _update_import(self, import_id: str, expression: str, values: dict[str, Any], *, condition: str | None = None,
                       names: dict[str, str] | None = None, returns: bool = False) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": serialize({"pk": f"IMPORT#{import_id}", "sk": "IMPORT"}),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": serialize(values),
        }
        if condition:
            kwargs["ConditionExpression"] = condition
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if returns:
            kwargs["ReturnValues"] = "ALL_NEW"
        return self._client().update_item(**kwargs)

    # reading helpers
    def _client(self):
        return self.reader.client

    def _by_key(self, listed: list[dict[str, Any]], consistent: bool = False) -> list[dict[str, Any]]:
        """The items an index lists, read from the table, in the index's order."""
        return self.reader.get_many([(entry["pk"], entry["sk"]) for entry in listed], consistent=consistent)

    def _page_by_key(self, where: KeyRange, cursor: str | None, limit: int,
                     keep: Any = None) -> Page:
        """A page of the index (filtered by `keep` on what it holds), its items read by key; one that
        no longer passes `keep` (the index follows the table a moment later) is left out."""
        page = self._page(where, cursor, limit, keep=keep)
        items = [item for item in self._by_key(page.items) if keep is None or keep(item)]
        return Page(items, page.next_cursor, page.total)

    def _page(self, where: KeyRange, cursor: str | None, limit: int, **options: Any) -> Page:
        return query_page(self._client(), self.table_name, where, cursor=cursor, limit=limit, **options)
