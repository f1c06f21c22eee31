"""Intake's table: lots, devices (with their serial and label guards) and device timelines."""

from __future__ import annotations

import os
from typing import Any

from shared.dynamo import TableReader
from shared.events import EventEnvelope
from shared.outbox import UnitOfWork

from intake.domain.devices import Lot


class IntakeRepository:
    def __init__(self, table_name: str | None = None, client=None):
        self.table_name = table_name or os.environ["TABLE_NAME"]
        self.client = client
        self.reader = TableReader(self.table_name, client)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.table_name, client=self.client)

    # lots
    def add_lot(self, lot: Lot) -> None:
        work = self.unit_of_work()
        work.create({"pk": f"LOT#{lot.lot_id}", "sk": "LOT", **lot.model_dump(mode="json", exclude={"version"})},
                    f"lot {lot.lot_id} already exists")
        work.commit()

    def get_lot(self, lot_id: str) -> Lot | None:
        item = self.reader.get(f"LOT#{lot_id}", "LOT")
        return Lot.model_validate(item) if item else None

    # devices
    def register_device(self, device: dict[str, Any], natural_key: str, received: EventEnvelope) -> None:
        """The device, its serial guard, its label guard and the DeviceReceived event, all or nothing."""
        device_id = device["device_id"]
        work = self.unit_of_work()
        work.create(
            {"pk": f"SERIAL#{natural_key}", "sk": "SERIAL", "device_id": device_id},
            f"serial {device['serial_number']} ({device['make']}) is already registered",
        )
        work.create({"pk": f"LABEL#{device['label_code']}", "sk": "LABEL", "device_id": device_id},
                    f"label {device['label_code']} already used")
        work.create({
            "pk": f"DEVICE#{device_id}", "sk": "DEVICE", **device,
            "gsi1pk": f"LOT#{device['lot_id']}", "gsi1sk": f"DEVICE#{device['received_at']}#{device_id}",
        }, f"device {device_id} already exists")
        work.publish(received)
        work.commit()

    def get_device(self, device_id: str) -> dict[str, Any] | None:
        return self.reader.get(f"DEVICE#{device_id}", "DEVICE")

    def devices_of_lot(self, lot_id: str) -> list[dict[str, Any]]:
        return self.reader.query(f"LOT#{lot_id}", "DEVICE#", index="gsi1")

    # timeline
    def record_in_timeline(self, envelope: EventEnvelope) -> None:
        """One line per event; keyed by time then event id, so a redelivery rewrites the same line."""
        work = self.unit_of_work()
        work.put({
            "pk": f"DEVICE#{envelope.subject}",
            "sk": f"TIMELINE#{envelope.occurred_at.isoformat()}#{envelope.event_id}",
            "event_id": envelope.event_id,
            "event_type": envelope.event_type,
            "source": envelope.source,
            "occurred_at": envelope.occurred_at.isoformat(),
            "correlation_id": envelope.correlation_id,
            "payload": envelope.payload,
        })
        work.commit()

    def timeline(self, device_id: str) -> list[dict[str, Any]]:
        return self.reader.query(f"DEVICE#{device_id}", "TIMELINE#")
