"""Sales' table: reservations learnt from allocation, sales, receipt counters, the price grid.

A device's partition `DEVICE#<id>` holds its reservations (`RESERVATION#<id>`) and two guards:
`HOLD` names the one reservation the device is sold on (another one heard meanwhile is parked
until it ends), `SOLD` names the device's sale, created with the sale and removed only by a
cancellation that refunds, so a device is sold once whatever sales heard (docs/services/sales.md).

A device's label code, heard from intake's DeviceReceived, is kept both ways: `LABEL#<code>`
names the device (a point of sale finds a reservation by the label it reads), `DEVICE#<id>`
`LABEL` names the code (printed on the receipt). Each sale is also listed in its point of
sale's partition `POS#<id>` (`SALE#<time>#<sale id>`, the id only, written once with the
sale): "my sales", newest first, read page by page, then the sales themselves.

Two partitions of the sparse index `gsi1`: `SALES` lists every sale by date (the figures);
`RESERVATIONS#ended` lists the reservations that ended (sold, released, cancelled) and are not
forgotten yet, by the time they ended: the retention job reads it oldest first. The index holds
keys only (a sale or reservation saved again is not copied again): what it lists is then read
by key.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from shared import clock
from shared.dynamo import TableReader
from shared.events import EventEnvelope
from shared.outbox import UnitOfWork
from shared.paging import KeyRange, Page, query_page

from sales.domain.pricing import DEFAULT_GRID, PriceGrid
from sales.domain.sale import ForgottenBecause, Sale

ALL_SALES = "SALES"  # gsi1 partition listing every sale by date, for the figures
ENDED_RESERVATIONS = "RESERVATIONS#ended"
LINKS_TO_THE_PERSON = ("referral_id", "beneficiary_category")
"""What a reservation learnt from allocation that links it to a beneficiary."""
HOLD = "HOLD"
SOLD = "SOLD"
LABEL = "LABEL"
SALE_LISTING = "SALE#"
RESERVED, PARKED = "reserved", "parked"
COUNTER_MOVED = "receipt counter moved meanwhile"


def counter_state(item: dict[str, Any] | None) -> dict[str, int]:
    """A receipt counter item as the sale needs it: last number issued and version (0, 0 if none)."""
    if item is None:
        return {"last_number": 0, "version": 0}
    return {"last_number": int(item["last_number"]), "version": int(item["version"])}


def index_time(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ended(reservation: dict[str, Any], status: str, at: datetime | None = None) -> dict[str, Any]:
    """The reservation in a final status, listed for the retention job from `at` (now by default)."""
    if reservation.get("forgotten_at"):
        return {**reservation, "status": status}  # erased before it ended: nothing left to forget
    at = at or clock.now()
    return {**reservation, "status": status, "gsi1pk": ENDED_RESERVATIONS,
            "gsi1sk": f"{index_time(at)}#{reservation['device_id']}#{reservation['reservation_id']}"}


class SalesRepository:
    def __init__(self, table_name: str | None = None, client=None):
        self.table_name = table_name or os.environ["TABLE_NAME"]
        self.client = client
        self.reader = TableReader(self.table_name, client)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.table_name, client=self.client)

    # reservations (allocation's, as announced)
    def add_reservation(self, reservation: dict[str, Any]) -> str | None:
        """Store a reservation allocation announced; the status it got ("reserved", or "parked"
        behind the reservation holding the device, or "released" if its release came first), None
        if known already. ConcurrencyConflict if the device's hold moved meanwhile: read again."""
        device_id = reservation["device_id"]
        if self.get_reservation(device_id, reservation["reservation_id"]) is not None:
            return None
        key = {"pk": f"DEVICE#{device_id}", "sk": f"RESERVATION#{reservation['reservation_id']}"}
        work = self.unit_of_work()
        if reservation["status"] != RESERVED:
            reservation = ended(reservation, reservation["status"])
        elif (hold := self.device_hold(device_id)) is None:
            work.create({"pk": f"DEVICE#{device_id}", "sk": HOLD, "device_id": device_id,
                         "reservation_id": reservation["reservation_id"]},
                        f"device {device_id} was held by another reservation meanwhile")
        else:
            # Kept aside, not sellable: allocation ended the holding reservation and its release
            # has not reached us yet (queues do not keep order), or it was sold. The hold is
            # rewritten unchanged so that parking and the hold's passing on cannot cross.
            work.save(hold, read_version=hold["version"], conflict_message=f"device {device_id}'s hold moved meanwhile")
            reservation = {**reservation, "status": PARKED, "parked_behind": hold["reservation_id"]}
        work.create({**key, **reservation}, "reservation already known")
        work.commit()
        return reservation["status"]

    def device_hold(self, device_id: str) -> dict[str, Any] | None:
        """Which reservation the device is sold on (it may be sold already), None if no reservation holds it."""
        return self.reader.get(f"DEVICE#{device_id}", HOLD)

    def device_sale(self, device_id: str) -> dict[str, Any] | None:
        """The device's sale claim (`sale_id`, `reservation_id`), None if it is not sold."""
        return self.reader.get(f"DEVICE#{device_id}", SOLD)

    def device_state(self, device_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The device's active reservation and its sale claim (each None if there is none), in one read."""
        items = self.reader.query(f"DEVICE#{device_id}")
        active = [i for i in items if i["sk"].startswith("RESERVATION#") and i["status"] == RESERVED]
        claim = next((i for i in items if i["sk"] == SOLD), None)
        return (active[-1] if active else None), claim

    def active_reservation(self, device_id: str) -> dict[str, Any] | None:
        active = [r for r in self.reader.query(f"DEVICE#{device_id}", "RESERVATION#") if r["status"] == RESERVED]
        return active[-1] if active else None

    def get_reservation(self, device_id: str, reservation_id: str) -> dict[str, Any] | None:
        return self.reader.get(f"DEVICE#{device_id}", f"RESERVATION#{reservation_id}")

    def release_reservation(self, reservation: dict[str, Any], reason: str) -> None:
        """A reservation ends by allocation's release; if it held the device, the hold passes on."""
        work = self.unit_of_work()
        work.save({**ended(reservation, "released"), "released_because": reason},
                  read_version=reservation["version"], conflict_message="reservation changed meanwhile")
        if reservation["status"] == RESERVED:
            self._pass_hold_on(work, reservation)
        work.commit()

    def _pass_hold_on(self, work: UnitOfWork, reservation: dict[str, Any]) -> None:
        """The reservation holding the device ended without a sale (released, or its sale cancelled):
        the oldest parked reservation becomes the one the device is sold on, else none holds it."""
        device_id = reservation["device_id"]
        hold = self.device_hold(device_id)
        if hold is None or hold["reservation_id"] != reservation["reservation_id"]:
            return
        moved = f"device {device_id}'s hold moved meanwhile"
        parked = sorted((r for r in self.reader.query(f"DEVICE#{device_id}", "RESERVATION#") if r["status"] == PARKED),
                        key=lambda r: (r.get("reserved_at", ""), r["reservation_id"]))
        if not parked:
            work.delete({"pk": hold["pk"], "sk": HOLD}, read_version=hold["version"], conflict_message=moved)
            return
        following = {k: v for k, v in parked[0].items() if k != "parked_behind"}
        work.save({**hold, "reservation_id": following["reservation_id"]}, read_version=hold["version"],
                  conflict_message=moved)
        work.save({**following, "status": RESERVED, "activated_at": clock.now().isoformat()},
                  read_version=following["version"], conflict_message="a parked reservation changed meanwhile")

    def reservations_ended_by(self, cutoff: datetime, limit: int) -> list[dict[str, Any]]:
        """Reservations that ended by `cutoff` and are not forgotten yet, the oldest first."""
        listed = self.reader.query(ENDED_RESERVATIONS, index="gsi1",
                                   sk_between=("0", f"{index_time(cutoff)}#~"), limit=limit)
        items = self.reader.get_many([(entry["pk"], entry["sk"]) for entry in listed])
        # The index follows the table a moment later: one forgotten meanwhile has left the list.
        return [item for item in items if item.get("gsi1pk") == ENDED_RESERVATIONS]

    def forget_reservation(self, reservation: dict[str, Any], sale: Sale | None, because: ForgottenBecause,
                           at: datetime) -> None:
        """The reservation without its links to the person (and out of the retention index), and its
        sale without what the point of sale typed: one transaction, each unchanged since read."""
        work = self.unit_of_work()
        kept = {k: v for k, v in reservation.items() if k not in (*LINKS_TO_THE_PERSON, "gsi1pk", "gsi1sk")}
        work.save(kept | {"forgotten_at": at.isoformat(), "forgotten_because": because.value},
                  read_version=reservation["version"], conflict_message="reservation changed meanwhile")
        if sale is not None:
            work.save(self._sale_item(sale.forgotten(at, because)), read_version=sale.version,
                      conflict_message=f"sale {sale.sale_id} changed meanwhile")
        work.commit()

    # labels (intake's, as announced)
    def learn_label(self, device_id: str, label_code: str) -> None:
        """The device's label both ways; hearing it again rewrites the same items."""
        work = self.unit_of_work()
        work.put({"pk": f"LABEL#{label_code}", "sk": LABEL, "device_id": device_id, "label_code": label_code})
        work.put({"pk": f"DEVICE#{device_id}", "sk": LABEL, "device_id": device_id, "label_code": label_code})
        work.commit()

    def device_of_label(self, label_code: str) -> str | None:
        item = self.reader.get(f"LABEL#{label_code}", LABEL)
        return item["device_id"] if item else None

    def label_of_device(self, device_id: str) -> str | None:
        item = self.reader.get(f"DEVICE#{device_id}", LABEL)
        return item["label_code"] if item else None

    # receipts
    def receipt_counter(self, point_of_sale_id: str, year: int) -> dict[str, int]:
        """The last receipt number issued (0 if none yet) and the counter's version (0 if new)."""
        return counter_state(self.reader.get(f"RECEIPTS#{point_of_sale_id}#{year}", "COUNTER"))

    # sales
    @staticmethod
    def _sale_item(sale: Sale) -> dict[str, Any]:
        return {"pk": f"SALE#{sale.sale_id}", "sk": "SALE", "gsi1pk": ALL_SALES,
                "gsi1sk": f"{sale.sold_at.isoformat()}#{sale.sale_id}", **sale.model_dump(mode="json", exclude={"version"})}

    def record_sale(self, sale: Sale, reservation: dict[str, Any], counter: dict[str, int],
                    event: EventEnvelope) -> None:
        """Sale, counter, reservation, the device's sale claim and DeviceSold in one transaction: no
        gap in the receipts, and no second sale of the device whichever reservation it is made on."""
        work = self.unit_of_work()
        counter_item = {"pk": f"RECEIPTS#{sale.point_of_sale_id}#{sale.year}", "sk": "COUNTER",
                        "last_number": sale.sequence}
        # A refusal brings the counter as it is now: the next attempt need not read it again.
        if counter["version"] == 0:
            work.create(counter_item, COUNTER_MOVED, current_on_conflict=True)
        else:
            work.save(counter_item, read_version=counter["version"], conflict_message=COUNTER_MOVED,
                      current_on_conflict=True)
        work.save({**ended(reservation, "sold", sale.sold_at), "sale_id": sale.sale_id},
                  read_version=reservation["version"],
                  conflict_message=f"device {sale.device_id} is no longer reserved")
        work.create(self._sale_item(sale), "sale already recorded")
        work.create({"pk": f"DEVICE#{sale.device_id}", "sk": SOLD, "device_id": sale.device_id,
                     "sale_id": sale.sale_id, "reservation_id": sale.reservation_id},
                    f"device {sale.device_id} is sold already")
        work.create({"pk": f"POS#{sale.point_of_sale_id}", "sk": f"{SALE_LISTING}{index_time(sale.sold_at)}#{sale.sale_id}",
                     "sale_id": sale.sale_id}, "sale already listed")
        work.publish(event)
        work.commit()

    def get_sale(self, sale_id: str) -> Sale | None:
        item = self.reader.get(f"SALE#{sale_id}", "SALE")
        return Sale.model_validate(item) if item else None

    def save_sale(self, sale: Sale, *events: EventEnvelope) -> None:
        """A sale changed since it was read at `sale.version`, with the events that announce it."""
        work = self.unit_of_work()
        work.save(self._sale_item(sale), read_version=sale.version,
                  conflict_message=f"sale {sale.sale_id} changed meanwhile: reload and retry")
        for event in events:
            work.publish(event)
        work.commit()

    def record_cancellation(self, sale: Sale, event: EventEnvelope) -> None:
        """The refunded sale, its reservation cancelled, the device's sale claim removed (it may be
        sold again once allocation reserves it again) and the device's hold passed on, at once."""
        work = self.unit_of_work()
        work.save(self._sale_item(sale), read_version=sale.version,
                  conflict_message=f"sale {sale.sale_id} changed meanwhile: reload and retry")
        reservation = self.get_reservation(sale.device_id, sale.reservation_id)
        work.save(ended(reservation, "cancelled"), read_version=reservation["version"],
                  conflict_message="reservation changed meanwhile")
        claim = self.device_sale(sale.device_id)
        if claim is not None and claim["sale_id"] == sale.sale_id:
            work.delete({"pk": claim["pk"], "sk": SOLD}, read_version=claim["version"],
                        conflict_message=f"device {sale.device_id}'s sale claim changed meanwhile")
        self._pass_hold_on(work, reservation)
        work.publish(event)
        work.commit()

    def sales_page_of(self, point_of_sale_id: str, cursor: str | None, limit: int) -> Page:
        """A page of a point of sale's sales, the newest first."""
        listing = query_page(self.reader.client, self.table_name,
                             KeyRange.of_table(f"POS#{point_of_sale_id}", SALE_LISTING),
                             cursor=cursor, limit=limit, forward=False)
        return Page(self._sales([entry["sale_id"] for entry in listing.items]), listing.next_cursor)

    def _sales(self, sale_ids: list[str]) -> list[Sale]:
        """These sales, in this order."""
        items = self.reader.get_many([(f"SALE#{sale_id}", "SALE") for sale_id in sale_ids])
        return [Sale.model_validate(item) for item in items]

    def sales_between(self, since: str, until: str) -> list[Sale]:
        """Sales made from day `since` to day `until` included (ISO dates)."""
        listed = self.reader.query(ALL_SALES, index="gsi1", sk_between=(since, until + "\uffff"))
        return [Sale.model_validate(item) for item in self.reader.get_many([(e["pk"], e["sk"]) for e in listed],
                                                                            consistent=False)]

    # price grid
    def price_grid(self) -> tuple[PriceGrid, int]:
        """The active grid and its version (0: the default grid, never changed)."""
        item = self.reader.get("PRICEGRID", "ACTIVE")
        if item is None:
            return DEFAULT_GRID, 0
        return PriceGrid.model_validate({"prices": item["prices"]}), int(item["version"])

    def save_price_grid(self, grid: PriceGrid, read_version: int, changed_by: str) -> int:
        work = self.unit_of_work()
        item = {"pk": "PRICEGRID", "sk": "ACTIVE", "changed_by": changed_by, **grid.model_dump(mode="json")}
        if read_version == 0:
            work.create(item, "the price grid changed meanwhile")
        else:
            work.save(item, read_version=read_version, conflict_message="the price grid changed meanwhile")
        work.commit()
        return read_version + 1
