"""DynamoDB capacity units each request uses, counted in the functions by a botocore hook.

On-demand tables bill by these units, not by requests: a write is 1 unit per started KB of
the item, a read 1 unit per started 4 KB (half for an eventually consistent read), and a
transaction twice that. The unit counts are what `benchmarks/cost_model.py` prices.

Each request asks DynamoDB for its `ConsumedCapacity` (free, and exact: the stored item's size
for an update, each global secondary index's own write, twice for a transaction) and the reply's
units are summed. Where a reply does not say (a failed conditional write, an emulator that
leaves it out), the units are estimated: writes from the item the request sends, as DynamoDB
defines item size (attribute names plus values), reads from the length of the response.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

# "read" and "write" capacity units of the current invocation.
capacity_units: Counter[str] = Counter()

_WRITE_UNIT, _READ_UNIT = 1024, 4096


def item_size(item: dict[str, Any]) -> int:
    """Bytes an item counts for, from its wire form ({"name": {"S": "…"}, …})."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, content), = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        return len(content.lstrip("-").replace(".", "")) // 2 + 1
    if kind == "B":
        return len(content) * 3 // 4
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: member}) for member in content)
    if kind == "M":
        return 3 + sum(len(name.encode()) + _value_size(member) + 1 for name, member in content.items())
    if kind == "L":
        return 3 + sum(_value_size(member) + 1 for member in content)
    return 1  # BOOL, NULL


def _write_units(operation: dict[str, Any]) -> int:
    item = operation.get("Item") or {**operation.get("Key", {}), **operation.get("ExpressionAttributeValues", {})}
    return max(1, math.ceil(item_size(item) / _WRITE_UNIT))


def _read_units(response_bytes: int, items: int, consistent: bool) -> float:
    """A read is billed per started 4 KB returned (each item apart in a batch or transaction)."""
    units = max(items, 1, math.ceil(response_bytes / _READ_UNIT))
    return units if consistent else units / 2


_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


def _ask_for_consumed_capacity(model, params, **_: Any) -> None:
    if model.name in _WRITES | _READS:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")


def _reported_units(parsed: dict[str, Any]) -> float | None:
    reported = parsed.get("ConsumedCapacity")
    if not reported:
        return None
    entries = reported if isinstance(reported, list) else [reported]
    return sum(entry.get("CapacityUnits", 0.0) for entry in entries)


def _estimated_write_units(name: str, body: dict[str, Any]) -> int:
    if name in ("PutItem", "UpdateItem", "DeleteItem"):
        return _write_units(body)
    units = 0
    if name == "TransactWriteItems":
        for entry in body.get("TransactItems", []):
            (_, operation), = entry.items()
            units += 2 * _write_units(operation)
    elif name == "BatchWriteItem":
        for requests in body.get("RequestItems", {}).values():
            for entry in requests:
                request = entry.get("PutRequest") or entry.get("DeleteRequest") or {}
                units += _write_units(request)
    return units


def _estimated_read_units(name: str, size: int, parsed: dict[str, Any], consistent: bool) -> float:
    # The response's length stands for the items' size (a little over it: it also holds the
    # type names), so the reply is not parsed twice.
    if name == "BatchGetItem":
        items = sum(len(found) for found in parsed.get("Responses", {}).values())
        return _read_units(size, items, consistent)
    if name == "TransactGetItems":
        return 2 * _read_units(size, len(parsed.get("Responses", [])), True)
    return _read_units(size, 1, consistent)


def _before_call(model, params, context, **_: Any) -> None:
    # Kept as sent: it is parsed only for an estimate, when the reply gives no units.
    if model.name in _WRITES | _READS:
        context["seconde_vie_request_body"] = params.get("body") or b"{}"


def _after_call(model, http_response, parsed, context, **_: Any) -> None:
    name, reported = model.name, _reported_units(parsed)
    if name not in _WRITES | _READS:
        return
    if reported is None:
        body = json.loads(context.get("seconde_vie_request_body", b"{}"))
        reported = (_estimated_write_units(name, body) if name in _WRITES else _estimated_read_units(
            name, len(http_response.content or b""), parsed, bool(body.get("ConsistentRead"))))
    capacity_units["write" if name in _WRITES else "read"] += reported


def count_capacity(client) -> None:
    """Add this DynamoDB client's capacity units to `capacity_units` (other clients: nothing)."""
    if client.meta.service_model.service_name == "dynamodb":
        client.meta.events.register("provide-client-params.dynamodb.*", _ask_for_consumed_capacity)
        client.meta.events.register("before-call.dynamodb.*", _before_call)
        client.meta.events.register("after-call.dynamodb.*", _after_call)
