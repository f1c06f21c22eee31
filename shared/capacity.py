"""DynamoDB capacity units each request uses, counted in the functions by a botocore hook.

On-demand tables bill by these units, not by requests: a write is 1 unit per started KB of
the item, a read 1 unit per started 4 KB (half for an eventually consistent read), and a
transaction twice that. The unit counts are what `benchmarks/cost_model.py` prices.

Write sizes are worked out from the request as DynamoDB defines item size (attribute names
plus values), read sizes from the length of the response. An update or delete is counted on the key and values
it sends: its real size is the stored item's, which the request does not carry; the items of
this system stay well under 1 KB, so that counts the same unit.
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


def _before_call(model, params, context, **_: Any) -> None:
    body = json.loads(params.get("body") or b"{}")
    context["seconde_vie_consistent_read"] = bool(body.get("ConsistentRead"))
    name = model.name
    if name in ("PutItem", "UpdateItem", "DeleteItem"):
        capacity_units["write"] += _write_units(body)
    elif name == "TransactWriteItems":
        for entry in body.get("TransactItems", []):
            (_, operation), = entry.items()
            capacity_units["write"] += 2 * _write_units(operation)
    elif name == "BatchWriteItem":
        for requests in body.get("RequestItems", {}).values():
            for entry in requests:
                request = entry.get("PutRequest") or entry.get("DeleteRequest") or {}
                capacity_units["write"] += _write_units(request)


def _after_call(model, http_response, parsed, context, **_: Any) -> None:
    # The response's length stands for the items' size (a little over it: it also holds the
    # type names), so the reply is not parsed twice.
    name, consistent = model.name, context.get("seconde_vie_consistent_read", False)
    size = len(http_response.content or b"")
    if name in ("GetItem", "Query", "Scan"):
        capacity_units["read"] += _read_units(size, 1, consistent)
    elif name == "BatchGetItem":
        items = sum(len(found) for found in parsed.get("Responses", {}).values())
        capacity_units["read"] += _read_units(size, items, consistent)
    elif name == "TransactGetItems":
        capacity_units["read"] += 2 * _read_units(size, len(parsed.get("Responses", [])), True)


def count_capacity(client) -> None:
    """Add this DynamoDB client's capacity units to `capacity_units` (other clients: nothing)."""
    if client.meta.service_model.service_name == "dynamodb":
        client.meta.events.register("before-call.dynamodb.*", _before_call)
        client.meta.events.register("after-call.dynamodb.*", _after_call)
