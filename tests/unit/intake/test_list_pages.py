"""Intake's lists page with one convention (items, next_cursor, total), and a cursor handed out
for one list opens no other: not another donor's lots, not another lot's devices."""

from __future__ import annotations

from datetime import timedelta

from intake.handlers import api, consumer
from shared.events.refurb import WorkOrderAssigned
from tests.unit.intake.conftest import LOT, get
from tests.unit.support import ROLE_PARTNERS, T0, call, deliver, device_received

DONOR = ROLE_PARTNERS["donor"]
SPECS = {"cpu_model": "i5-8250U", "ram_gb": 8, "drives": [{"kind": "nvme", "size_gb": 256}]}


def every_page(path: str, role: str, query: dict | None = None, **kwargs) -> list[dict]:
    pages, cursor = [], None
    while True:
        response = get(api.handler, path, role, {**(query or {}), **({"cursor": cursor} if cursor else {})}, **kwargs)
        assert response.status == 200, response.body
        pages.append(response.body)
        cursor = response.body["next_cursor"]
        if cursor is None:
            return pages


def declare_lots(count: int) -> list[str]:
    return [call(api.handler, "POST", "/intake/lots", "donor", LOT).body["lot_id"] for _ in range(count)]


def receive(lot_id: str, serial: str) -> str:
    response = call(api.handler, "POST", f"/intake/lots/{lot_id}/devices", "warehouse",
                    {"serial_number": serial, "make": "HP", "model": "EliteBook 840 G5", "device_type": "laptop",
                     "specs": SPECS})
    assert response.status == 201, response.body
    return response.body["device_id"]


def test_a_donors_lots_come_page_by_page_oldest_first(donor):
    declared = declare_lots(7)

    pages = every_page("/intake/lots", "donor", {"limit": 3})

    assert [[lot["lot_id"] for lot in p["items"]] for p in pages] == [declared[:3], declared[3:6], declared[6:]]
    assert {p["donor_id"] for p in pages} == {DONOR}
    assert {p["total"] for p in pages} == {None}  # counting means reading them all: not counted


def test_a_warehouses_lots_come_page_by_page_newest_first_and_its_cursor_opens_no_other_territory(donor):
    newest_first = declare_lots(5)[::-1]

    pages = every_page("/intake/lots", "warehouse", {"limit": 2})

    assert [[lot["lot_id"] for lot in p["items"]] for p in pages] == [newest_first[:2], newest_first[2:4],
                                                                      newest_first[4:]]
    replayed = get(api.handler, "/intake/lots", "warehouse", {"cursor": pages[0]["next_cursor"]}, territory="44")
    assert (replayed.status, replayed.body["message"]) == (422, "cursor: not a cursor of this list")


def test_a_cursor_of_one_donors_lots_does_not_open_another_donors(donor):
    declare_lots(3)
    theirs = get(api.handler, "/intake/lots", "warehouse", {"donor_id": DONOR, "limit": 1}).body["next_cursor"]
    assert theirs

    # another donor replays the cursor it was shown (or copied): refused, not the first donor's lots
    replayed = get(api.handler, "/intake/lots", "donor", {"cursor": theirs}, partner_id="another-donor")
    assert (replayed.status, replayed.body["message"]) == (422, "cursor: not a cursor of this list")


def test_a_cursor_of_one_lots_devices_does_not_open_another_lot(lot_id):
    other_lot = declare_lots(1)[0]
    for n in range(3):
        receive(lot_id, f"5CG10{n}")
    cursor = get(api.handler, f"/intake/lots/{lot_id}/devices", "donor", {"limit": 1}).body["next_cursor"]

    moved = get(api.handler, f"/intake/lots/{other_lot}/devices", "donor", {"cursor": cursor})
    assert moved.status == 422


def test_the_devices_of_one_status_fill_their_pages(lot_id):
    received = set()
    for n in range(12):
        received.add(receive(lot_id, f"5CG20{n:02d}"))
        if n % 2:  # rejected devices between the received ones: dropped after reading
            rejected = call(api.handler, "POST", f"/intake/lots/{lot_id}/rejections", "warehouse",
                            {"serial_number": f"5CG29{n:02d}", "make": "HP", "model": "x", "device_type": "laptop",
                             "reason": "physical_damage"})
            assert rejected.status == 201, rejected.body

    pages = every_page(f"/intake/lots/{lot_id}/devices", "donor", {"status": "received", "limit": 5})

    assert [len(p["items"]) for p in pages] == [5, 5, 2]
    assert {d["device_id"] for p in pages for d in p["items"]} == received
    assert {p["status"] for p in pages} == {"received"}


def test_a_timeline_pages_in_the_order_things_happened(lot_id):
    device_id = receive(lot_id, "5CG3000")
    steps = [device_received(device_id).to_envelope(occurred_at=T0)] + [
        WorkOrderAssigned(device_id=device_id, workshop_id=f"workshop-{n}").to_envelope(
            occurred_at=T0 + timedelta(minutes=n)) for n in range(1, 6)]
    assert deliver(consumer.handler, *reversed(steps))["batchItemFailures"] == []

    pages = every_page(f"/intake/devices/{device_id}/timeline", "admin", {"limit": 4})

    assert [[s["event_id"] for s in p["items"]] for p in pages] == [
        [s.event_id for s in steps[:4]], [s.event_id for s in steps[4:]]]
    tampered = get(api.handler, f"/intake/devices/{device_id}/timeline", "admin",
                   {"cursor": pages[0]["next_cursor"][:-2]})
    assert tampered.status == 422


def test_a_page_holds_at_most_200(donor):
    assert get(api.handler, "/intake/lots", "donor", {"limit": 200}).status == 200
    too_many = get(api.handler, "/intake/lots", "donor", {"limit": 201})
    assert (too_many.status, "limit" in too_many.text) == (422, True)
