"""Refurb's table.

    WORKORDER#<device>   WORKORDER          a device's work order (gsi1: its workshop's queue)
    WORKSHOPS            WORKSHOP#<id>      a workshop: territories, capacity, open orders
    GRADING_RULES        ACTIVE             the rule set in force (its `version` is the rule set's)
    GRADING_RULES        V#<000001>         every rule set ever loaded, for the record
    FIGURES#<workshop>   <closed at>#<dev>  one line per work order closed, for the workshop's figures

Queues: gsi1pk `QUEUE#<workshop id>` (or `QUEUE#UNASSIGNED`), gsi1sk
`<open|closed>#<status>#<opened at>#<device>`, so a queue lists open orders by default and
filters by status with a key prefix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.dynamo import TableReader, deserialize, serialize
from shared.events import EventEnvelope
from shared.outbox import UnitOfWork

from refurb.domain.figures import ClosedOrder
from refurb.domain.grading import RuleSet
from refurb.domain.work_orders import WorkOrder, WorkOrderStatus
from refurb.domain.workshops import Workshop

UNASSIGNED = "UNASSIGNED"
WORKSHOPS_PK = "WORKSHOPS"
RULES_PK = "GRADING_RULES"


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
        return WorkOrder.model_validate(item) if item else None

    def queue(self, workshop_id: str | None, status: WorkOrderStatus | None = None,
              limit: int = 200) -> list[WorkOrder]:
        """A workshop's work orders (None: the unassigned ones): the open ones oldest first, or
        those of one status (closed statuses newest first, as they only accumulate)."""
        partition = f"QUEUE#{workshop_id or UNASSIGNED}"
        if status is None:
            items = self.reader.query(partition, "open#", index="gsi1")  # bounded by the workshop's capacity
            return sorted((WorkOrder.model_validate(i) for i in items), key=lambda o: (o.opened_at, o.device_id))[:limit]
        items = self.reader.query(partition, f"{_phase(status)}#{status.value}#", index="gsi1", limit=limit,
                                  forward=status.is_open)
        return [WorkOrder.model_validate(i) for i in items]

    # --- workshops -----------------------------------------------------------------------------

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


def _phase(status: WorkOrderStatus) -> str:
    return "open" if status.is_open else "closed"


def _order_item(order: WorkOrder) -> dict[str, Any]:
    return {
        "pk": f"WORKORDER#{order.device_id}", "sk": "WORKORDER",
        "gsi1pk": f"QUEUE#{order.workshop_id or UNASSIGNED}",
        "gsi1sk": f"{_phase(order.status)}#{order.status.value}#{order.opened_at.isoformat()}#{order.device_id}",
        **order.model_dump(mode="json", exclude={"version"}),
    }


def _stored_rules(item: dict[str, Any]) -> StoredRuleSet:
    return StoredRuleSet(
        version=item["version"],
        rules=RuleSet.model_validate(item["rules"]),
        loaded_at=datetime.fromisoformat(item["loaded_at"]) if item.get("loaded_at") else None,
        loaded_by=item.get("loaded_by"),
    )
