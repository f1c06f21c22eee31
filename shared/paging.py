"""One way to page every list a partner reads (decision 19 in docs/architecture.md).

A list route takes `?limit=` (default 50, at most 200) and `?cursor=` (the `next_cursor` of
the previous page) and answers `{"items": [...], "next_cursor": "..." | null, "total": n | null}`:
`next_cursor` is null exactly when nothing follows, `total` is null where counting would mean
reading the whole list.

A cursor is opaque to partners: urlsafe base64 of the JSON of a position (the DynamoDB key of
the last item returned). It is only a position *inside* the query the route runs for the
caller: the route, not the cursor, says which partition is read, and a cursor whose key lies
outside that partition and prefix is refused (422), so a cursor cannot open another
partner's list.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.dynamo import deserialize, serialize
from shared.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# A cursor holds a key of a few hundred characters at most: anything longer is not ours.
MAX_CURSOR_LENGTH = 2048
# How many items to evaluate per read when a predicate drops some of them.
_FILTERED_BATCH = 100

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (default {DEFAULT_LIMIT}, "
                                                               f"at most {MAX_LIMIT})")]
Cursor = Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH,
                                     description="next_cursor of the previous page (omit for the first page)")]


class InvalidCursor(InvalidInput):
    """422: a cursor that this list did not hand out (altered, truncated, or from another list)."""


@dataclass(frozen=True)
class Page:
    """One page of a list: its items, the cursor of the next page (None on the last) and,
    where it is cheap to know, how many items the whole list holds."""

    items: list[Any]
    next_cursor: str | None
    total: int | None = None

    def body(self, view: Callable[[Any], Any] = lambda item: item, **context: Any) -> dict[str, Any]:
        """The response of a list route: `context` (what the list is of), then the page."""
        return {**context, "items": [view(item) for item in self.items], "next_cursor": self.next_cursor,
                "total": self.total}


def encode_cursor(position: Mapping[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(dict(position), sort_keys=True).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, fields: Iterable[str]) -> dict[str, str]:
    """The position a cursor holds: exactly `fields`, each a string; otherwise InvalidCursor."""
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidCursor("cursor: not a cursor this API handed out") from None
    if (not isinstance(position, dict) or set(position) != set(fields)
            or not all(isinstance(value, str) for value in position.values())):
        raise InvalidCursor("cursor: not a cursor of this list")
    return position


@dataclass(frozen=True)
class KeyRange:
    """Where a list lives in a table: one partition, the sort keys that start with `prefix`.
    `key_names` are the attributes of a DynamoDB position in it (for an index, the index's
    keys and the table's)."""

    partition_name: str
    partition: str
    sort_name: str
    prefix: str
    key_names: tuple[str, ...]
    index: str | None = None

    @classmethod
    def of_table(cls, pk: str, sk_prefix: str) -> KeyRange:
        return cls("pk", pk, "sk", sk_prefix, ("pk", "sk"))

    @classmethod
    def of_index(cls, gsi1pk: str, gsi1sk_prefix: str, index: str = "gsi1") -> KeyRange:
        return cls("gsi1pk", gsi1pk, "gsi1sk", gsi1sk_prefix, ("gsi1pk", "gsi1sk", "pk", "sk"), index)

    def start_after(self, cursor: str) -> dict[str, str]:
        """The key a cursor holds, if it lies in this range (a cursor cannot leave its list)."""
        key = decode_cursor(cursor, self.key_names)
        if key[self.partition_name] != self.partition or not key[self.sort_name].startswith(self.prefix):
            raise InvalidCursor("cursor: not a cursor of this list")
        return key

    def position_of(self, item: Mapping[str, Any]) -> dict[str, str]:
        return {name: item[name] for name in self.key_names}


def query_page(client, table_name: str, where: KeyRange, *, cursor: str | None, limit: int,
               forward: bool = True, consistent: bool = False,
               keep: Callable[[dict[str, Any]], bool] | None = None, total: int | None = None) -> Page:
    """One page of the items of `where`, in sort key order.

    `keep` drops items after they are read (a status filter): reading goes on until the page
    is full, so a filtered page is short only when it is the last. One item more than the page
    is read, so that `next_cursor` is null exactly when nothing follows; the cursor is the key
    of the last item returned, built from the item itself (an index's items carry the table's
    keys too)."""
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
        "ExpressionAttributeNames": {"#pk": where.partition_name, "#sk": where.sort_name},
        "ExpressionAttributeValues": serialize({":pk": where.partition, ":prefix": where.prefix}),
        "ScanIndexForward": forward,
    }
    if where.index:
        kwargs["IndexName"] = where.index
    elif consistent:
        kwargs["ConsistentRead"] = True  # an index cannot be read consistently
    if cursor:
        kwargs["ExclusiveStartKey"] = serialize(where.start_after(cursor))
    items: list[dict[str, Any]] = []
    while len(items) <= limit:
        wanted = limit + 1 - len(items)
        kwargs["Limit"] = max(wanted, _FILTERED_BATCH) if keep else wanted
        response = client.query(**kwargs)
        read = [deserialize(i) for i in response.get("Items", [])]
        items.extend(item for item in read if keep is None or keep(item))
        if "LastEvaluatedKey" not in response:
            break
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    page, more = items[:limit], len(items) > limit
    return Page(page, encode_cursor(where.position_of(page[-1])) if more else None, total)


def page_of_sorted(items: list[Any], position: Callable[[Any], str], *, cursor: str | None, limit: int,
                   count: bool = True) -> Page:
    """A page of a list already read whole and sorted by `position` (a short list, e.g. the
    partners' keys): the cursor holds the position of the last item returned."""
    after = decode_cursor(cursor, ("after",))["after"] if cursor else None
    following = [item for item in items if after is None or position(item) > after]
    page = following[:limit]
    more = len(following) > limit
    return Page(page, encode_cursor({"after": position(page[-1])}) if more else None,
                len(items) if count else None)
