"""Refurb's table.

    WORKORDER#<device>   WORKORDER          a device's work order (gsi1: its workshop's queue)
    WORKSHOPS            WORKSHOP#<id>      a workshop: territories, capacity, open orders
    GRADING_RULES        ACTIVE             the rule set in force (its `version` is the rule set's)
    GRADING_RULES        V#<000001>         every rule set ever loaded, for the record
    FIGURES#<workshop>   <closed at>#<dev>  one line per work order closed, for the workshop's figures

Queues: gsi1pk `QUEUE#<workshop id>` (or `QUEUE#UNASSIGNED`), gsi1sk
`<open|closed>#<status>#<opened at>#<device>`, so a queue lists open orders by default and
filters by status with a key prefix. The index holds keys only: a step that does not move an
order in its queue does not write the index, and a page reads its orders by key.

A work order's reports, specs and history are stored compressed in one attribute
(`shared/packed.py`, REPORTS): they are most of its 3 KB, rewritten at every step, and only
ever read with the order. Its ids, status and dates stay plain.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.dynamo import TableReader, deserialize, serialize
from shared.events import EventEnvelope
from shared.outbox import UnitOfWork
from shared.packed import pack, unpack
from shared.paging import DEFAULT_LIMIT, InvalidCursor, KeyRange, Page, decode_cursor, encode_cursor, query_page

from refurb.domain.figures import ClosedOrder
from refurb.domain.grading import RuleSet
from refurb.domain.work_orders import WorkOrder, WorkOrderStatus
from refurb.domain.workshops import Workshop

UNASSIGNED = "UNASSIGNED"
WORKSHOPS_PK = "WORKSHOPS"
RULES_PK = "GRADING_RULES"
OPEN_STATUSES = tuple(status for status in WorkOrderStatus if status.is_open)
# What a work order keeps compressed: what the steps recorded, read only with the order.
REPORTS = ("declared_specs", "specs", "diagnosis", "functions", "erasures", "certificate", "repairs",
           "installation", "grade", "scrap", "claims", "history")
# Where an open order sits in its queue: `<opened at, ISO>#<device id>`.
_QUEUE_POSITION = re.compile(r"[0-9][0-9T:.+-]*#[A-Za-z0-9._:-]+")


@dataclass
class StoredRuleSet:
    version: int
    rules: RuleSet
    loaded_at: datetime | None = None
    loaded_by: str | None = None


@dataclass
class Changes:
    """What one operation writes, committed as one transaction with its events."""

    order: WorkOrder | None = None
    new_order: bool = False
    workshops: list[Workshop] = field(default_factory=list)  # registrations, saved conditionally on their version
    places_taken: list[str] = field(default_factory=list)  # workshop ids: one more open order each, within capacity
    places_freed: list[str] = field(default_factory=list)  # workshop ids: one less open order each
    closed: list[tuple[str, ClosedOrder]] = field(default_factory=list)  # (workshop id, figure line)
    events: list[EventEnvelope] = field(default_factory=list)


class RefurbRepository:
    def __init__(self, table_name: str | None = None, client=None):
        self.table_name = table_name or os.environ["TABLE_NAME"]
        self.client = client
        self.reader = TableReader(self.table_name, client)

    # --- work orders ---------------------------------------------------------------------------

    def get(self, device_id: str) -> WorkOrder | None:
        item = self.reader.get(f"WORKORDER#{device_id}", "WORKORDER")
        return WorkOrder.model_validate(unpack(item)) if item else None

    def queue(self, workshop_id: str | None, status: WorkOrderStatus | None = None, *,
              cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
        """A page of a workshop's work orders (None: the unassigned ones): the open ones oldest
        first, or those of one status (closed statuses newest first, as they only accumulate)."""
        partition = f"QUEUE#{workshop_id or UNASSIGNED}"
        if status is None:
            page = self._open_orders(partition, cursor, limit)
        else:
            where = KeyRange.of_index(partition, f"{_phase(status)}#{status.value}#")
            page = query_page(self.reader.client, self.table_name, where, cursor=cursor, limit=limit,
                              forward=status.is_open)
        orders = [WorkOrder.model_validate(unpack(item)) for item in
                  self.reader.get_many([(entry["pk"], entry["sk"]) for entry in page.items], consistent=False)]
        # The index follows the table a moment later: an order that left this list meanwhile is not shown in it.
        still_listed = [order for order in orders if (order.workshop_id or UNASSIGNED) == (workshop_id or UNASSIGNED)
                        and (order.status is status if status else order.status.is_open)]
        return Page(still_listed, page.next_cursor)

    def _open_orders(self, partition: str, cursor: str | None, limit: int) -> Page:
        """Open orders oldest first, whatever their step. Each open status is its own key range
        (`open#<status>#<opened at>#<device>`), so a page merges one read per open status, each
        starting at the last order returned; the cursor is that order's `<opened at>#<device>`."""
        after = decode_cursor(cursor, ("after",))["after"] if cursor else ""
        if after and not _QUEUE_POSITION.fullmatch(after):
            raise InvalidCursor("cursor: not a cursor of this list")
        candidates: list[dict[str, Any]] = []
        for status in OPEN_STATUSES:
            start = f"open#{status.value}#"
            # Inclusive bounds: the order at the cursor comes back and is dropped, hence one more.
            items = self.reader.query(partition, index="gsi1", sk_between=(start + after, start + "~"),
                                      limit=limit + 2)
            candidates += [i for i in items if i["gsi1sk"] != start + after]
        candidates.sort(key=_queue_position)
        page = candidates[:limit]
        more = len(candidates) > limit
        return Page(page, encode_cursor({"after": _queue_position(page[-1])}) if more else None)

    # --- workshops -----------------------------------------------------------------------------

    def workshops_page(self, cursor: str | None, limit: int) -> Page:
        """A page of the workshops, by id."""
        page = query_page(self.reader.client, self.table_name, KeyRange.of_table(WORKSHOPS_PK, "WORKSHOP#"),
                          cursor=cursor, limit=limit, consistent=True)
        return Page([Workshop.model_validate(i) for i in page.items], page.next_cursor)

    def workshops(self) -> list[Workshop]:
        """Every workshop, read consistently: assignment decides on their counters."""
        return [Workshop.model_validate(i) for i in self._consistent_query(WORKSHOPS_PK, "WORKSHOP#")]

    def get_workshop(self, workshop_id: str) -> Workshop | None:
        item = self.reader.get(WORKSHOPS_PK, f"WORKSHOP#{workshop_id}")
        return Workshop.model_validate(item) if item else None

    # --- grading rules -------------------------------------------------------------------------

    def active_rules(self) -> StoredRuleSet | None:
        item = self.reader.get(RULES_PK, "ACTIVE")
        return _stored_rules(item) if item else None

    def rules_version(self, version: int) -> StoredRuleSet | None:
        item = self.reader.get(RULES_PK, f"V#{version:06d}")
        return _stored_rules(item) if item else None

    def store_rules(self, rules: RuleSet, previous: StoredRuleSet | None, by: str, at: datetime) -> int:
        """A new version, conditional on the one read being still in force (two loads cannot both win)."""
        version = (previous.version if previous else 0) + 1
        body = {"rules": rules.model_dump(mode="json"), "loaded_at": at.isoformat(), "loaded_by": by}
        work = UnitOfWork(self.table_name, client=self.client)
        work.create({"pk": RULES_PK, "sk": f"V#{version:06d}", **body, "version": version},
                    f"grading rules version {version} already exists: reload and retry")
        active = {"pk": RULES_PK, "sk": "ACTIVE", **body}
        if previous is None:
            work.create(active, "grading rules were loaded meanwhile: reload and retry")
        else:
            work.save(active, read_version=previous.version,
                      conflict_message="grading rules were loaded meanwhile: reload and retry")
        work.commit()
        return version

    # --- figures -------------------------------------------------------------------------------

    def closed_orders(self, workshop_id: str, since: str, until: str) -> list[ClosedOrder]:
        """Lines of work orders the workshop closed between two ISO dates (inclusive)."""
        response_items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :since AND :until",
            "ExpressionAttributeValues": serialize(
                {":pk": f"FIGURES#{workshop_id}", ":since": since, ":until": until + "~"}),
        }
        while True:
            response = self.reader.client.query(**kwargs)
            response_items.extend(deserialize(i) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return [
            ClosedOrder(device_id=i["device_id"], kind=i["kind"], outcome=i["outcome"],
                        closed_at=datetime.fromisoformat(i["closed_at"]), durations=i.get("durations", {}))
            for i in response_items
        ]

    # --- writes --------------------------------------------------------------------------------

    def commit(self, changes: Changes) -> None:
        """One transaction: the work order (created, or saved if unchanged since read), workshops
        registered (conditional on their version), places taken and freed in workshops (each on
        condition of the counter itself, so concurrent openings do not conflict), figure lines, events."""
        work = UnitOfWork(self.table_name, client=self.client)
        order = changes.order
        if order is not None and changes.new_order:
            work.create(_order_item(order), f"device {order.device_id} already has a work order")
        elif order is not None:
            work.save(_order_item(order), read_version=order.version,
                      conflict_message=f"work order {order.device_id} changed meanwhile: reload and retry")
        for workshop in changes.workshops:
            item = {"pk": WORKSHOPS_PK, "sk": f"WORKSHOP#{workshop.workshop_id}",
                    **workshop.model_dump(mode="json", exclude={"version"})}
            if workshop.version == 0:
                work.create(item, f"workshop {workshop.workshop_id} was registered meanwhile: reload and retry")
            else:
                work.save(item, read_version=workshop.version,
                          conflict_message=f"workshop {workshop.workshop_id} changed meanwhile")
        for workshop_id in changes.places_taken:
            work.update({"pk": WORKSHOPS_PK, "sk": f"WORKSHOP#{workshop_id}"},
                        expression="SET open_orders = open_orders + :one, version = version + :one",
                        condition="attribute_exists(pk) AND open_orders < #capacity", values={":one": 1},
                        names={"#capacity": "capacity"},  # a reserved word
                        conflict_message=f"workshop {workshop_id} is full or gone: read again")
        for workshop_id in changes.places_freed:
            work.update({"pk": WORKSHOPS_PK, "sk": f"WORKSHOP#{workshop_id}"},
                        expression="SET open_orders = open_orders - :one, version = version + :one",
                        condition="open_orders > :zero", values={":one": 1, ":zero": 0},
                        conflict_message=f"workshop {workshop_id} has no open order to free: read again")
        for workshop_id, line in changes.closed:
            work.put({
                "pk": f"FIGURES#{workshop_id}", "sk": f"{line.closed_at.isoformat()}#{line.device_id}",
                "device_id": line.device_id, "kind": line.kind, "outcome": line.outcome,
                "closed_at": line.closed_at.isoformat(), "durations": line.durations,
            })
        for event in changes.events:
            work.publish(event)
        work.commit()
        if order is not None:
            # What the caller is answered is what is stored now: the next write is conditional on it.
            order.version = 1 if changes.new_order else order.version + 1

    def _consistent_query(self, pk: str, sk_prefix: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": serialize({":pk": pk, ":prefix": sk_prefix}),
            "ConsistentRead": True,
        }
        while True:
            response = self.reader.client.query(**kwargs)
            items.extend(deserialize(i) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _queue_position(item: dict[str, Any]) -> str:
    return item["gsi1sk"].split("#", 2)[2]


def _phase(status: WorkOrderStatus) -> str:
    return "open" if status.is_open else "closed"


def _order_item(order: WorkOrder) -> dict[str, Any]:
    return pack({
        "pk": f"WORKORDER#{order.device_id}", "sk": "WORKORDER",
        "gsi1pk": f"QUEUE#{order.workshop_id or UNASSIGNED}",
        "gsi1sk": f"{_phase(order.status)}#{order.status.value}#{order.opened_at.isoformat()}#{order.device_id}",
        **order.model_dump(mode="json", exclude={"version"}),
    }, REPORTS)


def _stored_rules(item: dict[str, Any]) -> StoredRuleSet:
    return StoredRuleSet(
        version=item["version"],
        rules=RuleSet.model_validate(item["rules"]),
        loaded_at=datetime.fromisoformat(item["loaded_at"]) if item.get("loaded_at") else None,
        loaded_by=item.get("loaded_by"),
    )
