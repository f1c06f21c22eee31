"""The parts of an item nothing queries, kept as one compressed attribute.

DynamoDB bills a write per started kilobyte of the whole item (an update, of the larger of the
item before and after) and its storage by the byte. Reports, histories and explanations are
only ever read with their item, never filtered on or indexed: as zlib-compressed JSON they take
about a third of their bytes. What is read by key, by index or by a person looking at the table
(ids, status, dates) stays plain beside them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from typing import Any

PACKED = "packed"


def pack(item: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The item with `fields` (those it has) moved into one compressed attribute."""
    fields = set(fields)
    packed = {name: value for name, value in item.items() if name in fields}
    plain = {name: value for name, value in item.items() if name not in fields}
    if packed:
        plain[PACKED] = zlib.compress(json.dumps(packed, separators=(",", ":")).encode())
    return plain


def unpack(item: dict[str, Any]) -> dict[str, Any]:
    """The item as it was before `pack` (an item stored before packing comes back as it is)."""
    if PACKED not in item:
        return item
    plain = dict(item)
    stored = plain.pop(PACKED)
    data = getattr(stored, "value", stored)  # boto3 reads a binary attribute as a `Binary`
    return {**plain, **json.loads(zlib.decompress(bytes(data)))}
