"""Refurb's table: one work order per device."""

from __future__ import annotations

import os

from shared.dynamo import TableReader
from shared.events import EventEnvelope
from shared.outbox import ConcurrencyConflict, UnitOfWork

from refurb.domain.work_orders import WorkOrder


class RefurbRepository:
    def __init__(self, table_name: str | None = None, client=None):
        self.table_name = table_name or os.environ["TABLE_NAME"]
        self.client = client
        self.reader = TableReader(self.table_name, client)

    def get(self, device_id: str) -> WorkOrder | None:
        item = self.reader.get(f"WORKORDER#{device_id}", "WORKORDER")
        return WorkOrder.model_validate(item) if item else None

    def open(self, order: WorkOrder) -> bool:
        """False if the device already has a work order (a redelivered DeviceReceived)."""
        work = UnitOfWork(self.table_name, client=self.client)
        work.create(self._item(order), f"device {order.device_id} already has a work order")
        try:
            work.commit()
            return True
        except ConcurrencyConflict:
            return False

    def save(self, order: WorkOrder, *events: EventEnvelope) -> None:
        """Store the order if nobody changed it since it was read, with the events it raised."""
        work = UnitOfWork(self.table_name, client=self.client)
        work.save(self._item(order), read_version=order.version,
                  conflict_message=f"work order {order.device_id} changed meanwhile: reload and retry")
        for event in events:
            work.publish(event)
        work.commit()

    @staticmethod
    def _item(order: WorkOrder) -> dict:
        return {
            "pk": f"WORKORDER#{order.device_id}", "sk": "WORKORDER",
            "gsi1pk": f"QUEUE#{order.status.value}", "gsi1sk": f"{order.opened_at.isoformat()}#{order.device_id}",
            **order.model_dump(mode="json", exclude={"version"}),
        }
