"""Sales' table: reservations learnt from allocation, sales and the receipt counters."""

from __future__ import annotations

import os
from typing import Any

from shared.dynamo import TableReader
from shared.events import EventEnvelope
from shared.outbox import ConcurrencyConflict, UnitOfWork


class SalesRepository:
    def __init__(self, table_name: str | None = None, client=None):
        self.table_name = table_name or os.environ["TABLE_NAME"]
        self.client = client
        self.reader = TableReader(self.table_name, client)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.table_name, client=self.client)

    def add_reservation(self, reservation: dict[str, Any]) -> bool:
        work = self.unit_of_work()
        work.create({"pk": f"DEVICE#{reservation['device_id']}", "sk": f"RESERVATION#{reservation['reservation_id']}",
                     **reservation}, "reservation already known")
        try:
            work.commit()
            return True
        except ConcurrencyConflict:
            return False

    def active_reservation(self, device_id: str) -> dict[str, Any] | None:
        active = [r for r in self.reader.query(f"DEVICE#{device_id}", "RESERVATION#") if r["status"] == "reserved"]
        return active[-1] if active else None

    def receipt_counter(self, point_of_sale_id: str, year: int) -> dict[str, int]:
        """The last receipt number issued (0 if none yet) and the counter's version (0 if new)."""
        item = self.reader.get(f"RECEIPTS#{point_of_sale_id}#{year}", "COUNTER")
        if item is None:
            return {"last_number": 0, "version": 0}
        return {"last_number": int(item["last_number"]), "version": int(item["version"])}

    def record_sale(self, sale: dict[str, Any], reservation: dict[str, Any], counter: dict[str, Any],
                    event: EventEnvelope) -> None:
        """Sale, counter, reservation and DeviceSold in one transaction: no gap, no double sale."""
        work = self.unit_of_work()
        counter_item = {"pk": f"RECEIPTS#{sale['point_of_sale_id']}#{sale['year']}", "sk": "COUNTER",
                        "last_number": sale["sequence"]}
        if counter["version"] == 0:
            work.create(counter_item, "receipt counter moved meanwhile")
        else:
            work.save(counter_item, read_version=counter["version"], conflict_message="receipt counter moved meanwhile")
        work.save({**reservation, "status": "sold", "sale_id": sale["sale_id"]}, read_version=reservation["version"],
                  conflict_message=f"device {sale['device_id']} is no longer reserved")
        work.create({"pk": f"SALE#{sale['sale_id']}", "sk": "SALE", **sale}, "sale already recorded")
        work.publish(event)
        work.commit()

    def get_sale(self, sale_id: str) -> dict[str, Any] | None:
        return self.reader.get(f"SALE#{sale_id}", "SALE")
