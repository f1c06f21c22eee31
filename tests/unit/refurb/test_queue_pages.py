"""Refurb's lists page with a cursor: the unassigned work orders (561 of them once showed as
200), a workshop's queue and the workshops."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

from refurb.handlers import api, consumer
from shared.dynamo import serialize
from tests.unit.support import TABLE_NAME, all_items, call, deliver, device_received

OPEN_STATUSES = ["awaiting_diagnosis", "awaiting_erasure", "awaiting_repair", "awaiting_installation",
                 "awaiting_grade", "awaiting_ready"]
START = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def unassigned_orders(dynamodb, count: int, closed: int = 0) -> list[str]:
    """`count` open unassigned work orders spread over every open step, opened one minute apart
    in an order that is not the order of their steps, and `closed` scrapped ones: written by
    copying the work order a real reception opened (561 receptions through the consumer would
    take minutes)."""
    assert deliver(consumer.handler, device_received("dev-model").to_envelope())["batchItemFailures"] == []
    model = next(i for i in all_items(dynamodb) if i["pk"] == "WORKORDER#dev-model")
    dynamodb.delete_item(TableName=TABLE_NAME, Key=serialize({"pk": model["pk"], "sk": model["sk"]}))
    opened = []
    for n in range(count + closed):
        device_id, at = f"dev-{n:04d}", (START + timedelta(minutes=(n * 7) % (count + closed))).isoformat()
        status = OPEN_STATUSES[n % len(OPEN_STATUSES)] if n < count else "scrapped"
        phase = "open" if n < count else "closed"
        dynamodb.put_item(TableName=TABLE_NAME, Item=serialize({
            **model, "pk": f"WORKORDER#{device_id}", "device_id": device_id, "status": status, "opened_at": at,
            "gsi1pk": "QUEUE#UNASSIGNED", "gsi1sk": f"{phase}#{status}#{at}#{device_id}"}))
        if n < count:
            opened.append((at, device_id))
    return [device_id for _, device_id in sorted(opened)]


def every_page(path: str, query: dict | None = None, role: str = "admin", **kwargs) -> list[dict]:
    pages, cursor = [], None
    while True:
        response = call(api.handler, "GET", path, role,
                        query={**(query or {}), **({"cursor": cursor} if cursor else {})}, **kwargs)
        assert response.status == 200, response.body
        pages.append(response.body)
        cursor = response.body["next_cursor"]
        if cursor is None:
            return pages


def test_561_unassigned_work_orders_come_all_in_pages_of_200_oldest_first(dynamodb, table):
    expected = unassigned_orders(dynamodb, 561, closed=30)

    pages = every_page("/refurb/unassigned-work-orders", {"limit": "200"})

    assert [len(p["items"]) for p in pages] == [200, 200, 161]
    listed = [o["device_id"] for p in pages for o in p["items"]]
    assert listed == expected  # every open one once, oldest first whatever its step; no scrapped one
    assert {p["status"] for p in pages} == {"open"}
    assert [p["total"] for p in pages] == [None] * 3  # no counter of unassigned orders: not counted


def test_the_default_page_is_50_and_200_is_the_most_one_page_holds(dynamodb, table):
    unassigned_orders(dynamodb, 60)

    first = call(api.handler, "GET", "/refurb/unassigned-work-orders", "admin")
    too_many = call(api.handler, "GET", "/refurb/unassigned-work-orders", "admin", query={"limit": "201"})

    assert (len(first.body["items"]), first.body["next_cursor"] is not None) == (50, True)
    assert (too_many.status, "limit" in too_many.text) == (422, True)


def test_one_status_of_the_unassigned_orders_pages_too(dynamodb, table):
    unassigned_orders(dynamodb, 120, closed=45)

    erasures = every_page("/refurb/unassigned-work-orders", {"status": "awaiting_erasure", "limit": "7"})
    scrapped = every_page("/refurb/unassigned-work-orders", {"status": "scrapped", "limit": "20"})

    assert sum(len(p["items"]) for p in erasures) == 20
    assert {o["status"] for p in erasures for o in p["items"]} == {"awaiting_erasure"}
    listed = [o["device_id"] for p in scrapped for o in p["items"]]
    assert len(listed) == len(set(listed)) == 45


def test_a_tampered_or_foreign_cursor_is_a_422(dynamodb, table):
    unassigned_orders(dynamodb, 60)
    cursor = call(api.handler, "GET", "/refurb/unassigned-work-orders", "admin").body["next_cursor"]
    by_status = call(api.handler, "GET", "/refurb/unassigned-work-orders", "admin",
                     query={"status": "awaiting_diagnosis", "limit": "2"}).body["next_cursor"]
    other_queue = base64.urlsafe_b64encode(json.dumps({
        "gsi1pk": "QUEUE#workshop-brest", "gsi1sk": "open#awaiting_diagnosis#x", "pk": "WORKORDER#x",
        "sk": "WORKORDER"}).encode()).decode()

    for bad, query in ((cursor[:-3] + "!!!", {}), (cursor[:10], {}), (by_status, {}),
                       (other_queue, {"status": "awaiting_diagnosis"}), (cursor, {"status": "awaiting_diagnosis"})):
        response = call(api.handler, "GET", "/refurb/unassigned-work-orders", "admin", query={**query, "cursor": bad})
        assert (response.status, "cursor" in response.body["message"]) == (422, True), (bad, query)


def test_a_workshop_pages_its_queue_and_reads_how_many_orders_it_holds(table):
    assert call(api.handler, "PUT", "/refurb/workshops/workshop-rennes", "admin",
                {"territories": ["35"], "capacity": 30}).status == 200
    for n in range(25):
        assert deliver(consumer.handler, device_received(f"dev-{n:02d}").to_envelope())["batchItemFailures"] == []

    pages = every_page("/refurb/workshops/workshop-rennes/queue", {"limit": "10"}, role="workshop",
                       partner_id="workshop-rennes")

    assert [len(p["items"]) for p in pages] == [10, 10, 5]
    assert len({o["device_id"] for p in pages for o in p["items"]}) == 25
    assert {p["total"] for p in pages} == {25}
    assert pages[0]["workshop_id"] == "workshop-rennes"


def test_the_workshops_are_listed_page_by_page(table):
    for n in range(7):
        assert call(api.handler, "PUT", f"/refurb/workshops/workshop-{n}", "admin",
                    {"territories": ["35"], "capacity": 3}).status == 200

    pages = every_page("/refurb/workshops", {"limit": "3"})

    assert [[w["workshop_id"] for w in p["items"]] for p in pages] == [
        ["workshop-0", "workshop-1", "workshop-2"], ["workshop-3", "workshop-4", "workshop-5"], ["workshop-6"]]
    assert pages[0]["items"][0]["free"] == 3
