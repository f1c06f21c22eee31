"""The one paging convention: full pages in key order, a cursor that says exactly when more
follow, and that cannot be moved to another list."""

from __future__ import annotations

import base64
import json

import pytest

from shared.dynamo import serialize
from shared.paging import (
    InvalidCursor,
    KeyRange,
    decode_cursor,
    encode_cursor,
    page_of_sorted,
    query_page,
)
from tests.unit.support import TABLE_NAME


def put(dynamodb, items):
    for item in items:
        dynamodb.put_item(TableName=TABLE_NAME, Item=serialize(item))


def every_page(dynamodb, where: KeyRange, limit: int, **options) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        page = query_page(dynamodb, TABLE_NAME, where, cursor=cursor, limit=limit, **options)
        pages.append(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return pages


def crafted(position: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


@pytest.fixture
def lots(dynamodb, table):
    """561 items of one partition of the index, 20 of another, and unrelated table items."""
    put(dynamodb, [{"pk": f"LOT#{n:04d}", "sk": "LOT", "gsi1pk": "DONOR#mine", "gsi1sk": f"LOT#{n:04d}",
                    "status": "open" if n % 3 else "closed"} for n in range(561)])
    put(dynamodb, [{"pk": f"LOT#x{n:03d}", "sk": "LOT", "gsi1pk": "DONOR#theirs", "gsi1sk": f"LOT#{n:04d}"}
                   for n in range(20)])
    return KeyRange.of_index("DONOR#mine", "LOT#")


def test_561_items_come_in_pages_of_200_all_once_in_order_and_the_last_says_so(dynamodb, lots):
    pages = every_page(dynamodb, lots, 200)

    assert [len(p) for p in pages] == [200, 200, 161]
    seen = [item["pk"] for page in pages for item in page]
    assert seen == [f"LOT#{n:04d}" for n in range(561)]


def test_a_list_that_fills_its_last_page_exactly_has_no_cursor_on_it(dynamodb, table):
    put(dynamodb, [{"pk": "P", "sk": f"S#{n:02d}"} for n in range(10)])

    first = query_page(dynamodb, TABLE_NAME, KeyRange.of_table("P", "S#"), cursor=None, limit=10)

    assert len(first.items) == 10 and first.next_cursor is None  # no empty page to fetch after it


def test_a_filter_applied_after_reading_still_gives_full_pages(dynamodb, lots):
    pages = every_page(dynamodb, lots, 50, keep=lambda item: item["status"] == "closed")

    assert [len(p) for p in pages] == [50, 50, 50, 37]  # 187 closed lots, only the last page short
    assert len({item["pk"] for page in pages for item in page}) == 187


def test_pages_can_go_newest_first(dynamodb, lots):
    page = query_page(dynamodb, TABLE_NAME, lots, cursor=None, limit=3, forward=False)
    after = query_page(dynamodb, TABLE_NAME, lots, cursor=page.next_cursor, limit=3, forward=False)

    assert [i["gsi1sk"] for i in page.items + after.items] == [f"LOT#{n:04d}" for n in range(560, 554, -1)]


@pytest.mark.parametrize("cursor", [
    "not base64 at all!!",
    base64.urlsafe_b64encode(b"not json").decode(),
    crafted(["a", "list"]),
    crafted({"gsi1pk": "DONOR#mine", "gsi1sk": "LOT#0001"}),  # a table key missing
    crafted({"gsi1pk": "DONOR#mine", "gsi1sk": "LOT#0001", "pk": "LOT#0001", "sk": 1}),  # not a string
])
def test_a_cursor_that_does_not_decode_to_a_position_is_refused(dynamodb, lots, cursor):
    with pytest.raises(InvalidCursor):
        query_page(dynamodb, TABLE_NAME, lots, cursor=cursor, limit=10)


def test_a_cursor_cannot_open_another_partition(dynamodb, lots):
    theirs = KeyRange.of_index("DONOR#theirs", "LOT#")
    their_cursor = query_page(dynamodb, TABLE_NAME, theirs, cursor=None, limit=5).next_cursor

    with pytest.raises(InvalidCursor):
        query_page(dynamodb, TABLE_NAME, lots, cursor=their_cursor, limit=5)
    # nor can it be rewritten to name that partition from within mine
    forged = crafted({"gsi1pk": "DONOR#theirs", "gsi1sk": "LOT#0000", "pk": "LOT#x000", "sk": "LOT"})
    with pytest.raises(InvalidCursor):
        query_page(dynamodb, TABLE_NAME, lots, cursor=forged, limit=5)


def test_a_cursor_cannot_leave_the_prefix_of_its_list(dynamodb, table):
    with pytest.raises(InvalidCursor):
        query_page(dynamodb, TABLE_NAME, KeyRange.of_table("DEVICE#d1", "TIMELINE#"),
                   cursor=crafted({"pk": "DEVICE#d1", "sk": "PASSPORT"}), limit=5)


def test_the_cursor_is_an_opaque_urlsafe_token():
    cursor = encode_cursor({"pk": "LOT#1/2+3", "sk": "é"})

    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(cursor, ("pk", "sk")) == {"pk": "LOT#1/2+3", "sk": "é"}


def test_a_list_read_whole_is_paged_after_the_last_position_and_counted():
    names = [f"k{n:03d}" for n in range(7)]

    first = page_of_sorted(names, str, cursor=None, limit=3)
    second = page_of_sorted(names, str, cursor=first.next_cursor, limit=3)
    last = page_of_sorted(names, str, cursor=second.next_cursor, limit=3)

    assert (first.items, second.items, last.items) == (names[:3], names[3:6], names[6:])
    assert (first.total, last.next_cursor) == (7, None)
    with pytest.raises(InvalidCursor):
        page_of_sorted(names, str, cursor=crafted({"before": "k001"}), limit=3)


def test_the_body_of_a_list_route_is_items_next_cursor_and_total():
    page = page_of_sorted([1, 2, 3], str, cursor=None, limit=2)

    assert page.body(lambda n: {"n": n}, lot_id="L1") == {
        "lot_id": "L1", "items": [{"n": 1}, {"n": 2}], "next_cursor": page.next_cursor, "total": 3}
