"""The transactional outbox: a state change and the events announcing it, in one write.

A `UnitOfWork` collects the item writes of one business operation on the service's own
table plus the events to publish, and commits them in a single `TransactWriteItems` (or,
when the operation is one write and no event, in that write alone: a transaction bills
twice the capacity units for the same guarantee).
Each event becomes an outbox item in the same transaction; the table's stream hands it
to the publisher (`shared.publisher`). Either the change and its events are stored
together, or neither is. Aggregates carry a `version`: a write made from a stale read
fails with `ConcurrencyConflict` instead of overwriting someone else's change.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from shared.dynamo import deserialize, dynamodb_client, serialize
from shared.events import EventEnvelope, open_envelope

OUTBOX_PREFIX = "OUTBOX#"
OUTBOX_RETENTION_SECONDS = 7 * 24 * 3600
MAX_TRANSACTION_ITEMS = 100
# The request that makes one transaction item alone, with the same parameters.
_SINGLE_WRITES = {
    "Put": lambda client, **request: client.put_item(**request),
    "Update": lambda client, **request: client.update_item(**request),
    "Delete": lambda client, **request: client.delete_item(**request),
}


class ConcurrencyConflict(Exception):
    """A conditional write failed: the data changed since it was read, or already exists.

    `current` is the item as the refused write found it, when that write asked for it
    (`save(..., current_on_conflict=True)`): a racer on a counter retries without reading it again.
    """

    def __init__(self, message: str, current: dict[str, Any] | None = None):
        super().__init__(message)
        self.current = current


@dataclass
class _Write:
    operation: dict[str, Any]
    conflict_message: str


@dataclass
class UnitOfWork:
    table_name: str
    client: Any = None
    _writes: list[_Write] = field(default_factory=list)
    events: list[EventEnvelope] = field(default_factory=list)

    def create(self, item: dict[str, Any], conflict_message: str, current_on_conflict: bool = False) -> None:
        """Insert an item that must not exist yet (a new aggregate, a uniqueness guard)."""
        self._writes.append(_Write(
            {"Put": {
                "TableName": self.table_name,
                "Item": serialize({**item, "version": item.get("version", 1)}),
                "ConditionExpression": "attribute_not_exists(pk)",
                **({"ReturnValuesOnConditionCheckFailure": "ALL_OLD"} if current_on_conflict else {}),
            }},
            conflict_message,
        ))

    def save(self, item: dict[str, Any], *, read_version: int, conflict_message: str,
             current_on_conflict: bool = False) -> None:
        """Replace an aggregate read at `read_version`; its stored version becomes read_version + 1.
        With `current_on_conflict`, a refusal carries the stored item (ConcurrencyConflict.current)."""
        self._writes.append(_Write(
            {"Put": {
                "TableName": self.table_name,
                "Item": serialize({**item, "version": read_version + 1}),
                "ConditionExpression": "version = :read_version",
                "ExpressionAttributeValues": serialize({":read_version": read_version}),
                **({"ReturnValuesOnConditionCheckFailure": "ALL_OLD"} if current_on_conflict else {}),
            }},
            conflict_message,
        ))

    def delete(self, key: dict[str, Any], *, read_version: int, conflict_message: str) -> None:
        """Remove an aggregate read at `read_version` (unchanged since)."""
        self._writes.append(_Write(
            {"Delete": {
                "TableName": self.table_name,
                "Key": serialize(key),
                "ConditionExpression": "version = :read_version",
                "ExpressionAttributeValues": serialize({":read_version": read_version}),
            }},
            conflict_message,
        ))

    def update(self, key: dict[str, Any], *, expression: str, condition: str, values: dict[str, Any],
               conflict_message: str, names: dict[str, str] | None = None) -> None:
        """Change an item in place, conditional on what it holds now rather than on a version read
        (a counter claimed by many writers at once: none of them has to re-read it after another)."""
        self._writes.append(_Write(
            {"Update": {
                "TableName": self.table_name,
                "Key": serialize(key),
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": serialize(values),
                **({"ExpressionAttributeNames": names} if names else {}),
            }},
            conflict_message,
        ))

    def put(self, item: dict[str, Any]) -> None:
        """Unconditional write of an item that only this operation produces (a history line)."""
        self._writes.append(_Write({"Put": {"TableName": self.table_name, "Item": serialize(item)}}, ""))

    def publish(self, envelope: EventEnvelope) -> None:
        open_envelope(envelope)  # validated on publish: an invalid event never reaches the table
        self.events.append(envelope)
        self._writes.append(_Write(
            {"Put": {
                "TableName": self.table_name,
                "Item": serialize({
                    "pk": OUTBOX_PREFIX + envelope.event_id,
                    "sk": "OUTBOX",
                    "event_type": envelope.event_type,
                    "envelope": envelope.model_dump_json(),
                    "expires_at": int(time.time()) + OUTBOX_RETENTION_SECONDS,
                }),
                "ConditionExpression": "attribute_not_exists(pk)",
            }},
            f"event {envelope.event_id} already in the outbox",
        ))

    def commit(self) -> None:
        if not self._writes:
            return
        if len(self._writes) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"{len(self._writes)} writes exceed one transaction ({MAX_TRANSACTION_ITEMS})")
        client = self.client or dynamodb_client()
        if len(self._writes) == 1:
            self._commit_alone(client, self._writes.pop())
            return
        try:
            client.transact_write_items(TransactItems=[w.operation for w in self._writes])
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            raise ConcurrencyConflict(self._explain(error), self._current(error)) from error
        finally:
            self._writes.clear()

    @staticmethod
    def _commit_alone(client: Any, write: _Write) -> None:
        """One conditional write is atomic by itself, with the same condition and refusal."""
        (kind, request), = write.operation.items()
        try:
            _SINGLE_WRITES[kind](client, **request)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            current = error.response.get("Item")
            raise ConcurrencyConflict(write.conflict_message or "a conditional write failed",
                                      deserialize(current) if current else None) from error

    @staticmethod
    def _current(error: ClientError) -> dict[str, Any] | None:
        """The stored item a refused write asked for, when only that write was refused."""
        refused = [reason for reason in error.response.get("CancellationReasons") or []
                   if reason.get("Code") == "ConditionalCheckFailed"]
        if len(refused) == 1 and refused[0].get("Item"):
            return deserialize(refused[0]["Item"])
        return None

    def _explain(self, error: ClientError) -> str:
        reasons = error.response.get("CancellationReasons") or []
        failed = [
            self._writes[i].conflict_message
            for i, reason in enumerate(reasons)
            if reason.get("Code") == "ConditionalCheckFailed" and i < len(self._writes)
        ]
        if failed:
            return "; ".join(m for m in failed if m) or "a conditional write failed"
        # Some emulators omit per-item reasons; the message still names the transaction.
        return error.response["Error"].get("Message", "the write conflicted with another change")
