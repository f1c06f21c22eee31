"""Lists page over the real HTTP API: 561 unassigned work orders (once shown as 200, with no
cursor) come in pages of 200, every one once, oldest first, and the last page says it is."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from tests.localcloud.cloud import LocalCloud, eventually
from tests.localcloud.test_refurb import receive_a_two_drive_laptop

OPEN_STATUSES = ["awaiting_diagnosis", "awaiting_erasure", "awaiting_repair", "awaiting_installation",
                 "awaiting_grade", "awaiting_ready"]
COUNT = 561


def copies_of_a_real_work_order(cloud: LocalCloud, table: str, tag: str) -> list[tuple[str, str]]:
    """COUNT unassigned open work orders, written in refurb's table as copies of one a real
    reception opened (561 receptions would take minutes): spread over every open step, opened
    in an order that is not the order of their steps. (opened at, device id) of each."""
    device_id = receive_a_two_drive_laptop(cloud)
    eventually(lambda: cloud.call("GET", f"/refurb/work-orders/{device_id}", "admin").ok, "the work order in refurb")
    dynamodb = cloud.client("dynamodb")
    model = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"WORKORDER#{device_id}"}, "sk": {"S": "WORKORDER"}},
                              ConsistentRead=True)["Item"]
    model.pop("workshop_id", None)
    start = datetime(2021, 3, 1, tzinfo=timezone.utc)
    written, requests = [], []
    for n in range(COUNT):
        copy_id = f"{tag}-{n:04d}"
        opened_at = (start + timedelta(minutes=(n * 7) % COUNT)).isoformat()
        status = OPEN_STATUSES[n % len(OPEN_STATUSES)]
        requests.append({"PutRequest": {"Item": {
            **model, "pk": {"S": f"WORKORDER#{copy_id}"}, "device_id": {"S": copy_id}, "status": {"S": status},
            "opened_at": {"S": opened_at}, "gsi1pk": {"S": "QUEUE#UNASSIGNED"},
            "gsi1sk": {"S": f"open#{status}#{opened_at}#{copy_id}"}}}})
        written.append((opened_at, copy_id))
    write_all(dynamodb, table, requests)
    return written


def write_all(dynamodb, table: str, requests: list[dict]) -> None:
    for start in range(0, len(requests), 25):
        pending = {table: requests[start:start + 25]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def test_561_unassigned_work_orders_come_in_pages_of_200_each_once(local_cloud: LocalCloud):
    cloud, table = local_cloud, local_cloud.outputs["RefurbTableName"]
    tag = "page-" + uuid.uuid4().hex[:6]
    written = copies_of_a_real_work_order(cloud, table, tag)
    try:
        pages, cursor = [], None
        while True:
            response = cloud.http.get(cloud.base_url + "/refurb/unassigned-work-orders",
                                      params={"limit": 200, **({"cursor": cursor} if cursor else {})},
                                      headers={"Authorization": "Bearer dev-admin-key"}, timeout=30)
            assert response.status_code == 200, response.text
            pages.append(response.json())
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break

        listed = [order["device_id"] for page in pages for order in page["items"]]
        assert all(len(page["items"]) <= 200 for page in pages) and len(pages) >= 3
        assert len(listed) == len(set(listed))  # nothing twice across pages
        mine = [device_id for device_id in listed if device_id.startswith(tag)]
        assert mine == [device_id for _, device_id in sorted(written)]  # all 561, oldest first
        assert [page["total"] for page in pages] == [None] * len(pages)

        altered = cloud.call("GET", "/refurb/unassigned-work-orders?cursor=" + pages[0]["next_cursor"][:-5], "admin")
        assert altered.status_code == 422 and "cursor" in altered.json()["message"]
    finally:
        write_all(cloud.client("dynamodb"), table, [
            {"DeleteRequest": {"Key": {"pk": {"S": f"WORKORDER#{device_id}"}, "sk": {"S": "WORKORDER"}}}}
            for _, device_id in written])
