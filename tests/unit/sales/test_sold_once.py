"""A device is sold once, whatever the order in which allocation's events reach sales.

Allocation reserves a device again only after ending the previous reservation, but the release
and the new DeviceReserved travel on a queue that does not keep order: sales may hear of a
second reservation while the first one still holds the device.
"""

from __future__ import annotations

from sales.adapters.repository import SalesRepository
from sales.handlers import api, consumer
from shared.events.allocation import ReservationReleased
from tests.unit.sales.test_sales import sell
from tests.unit.support import all_items, call, deliver, device_received, device_reserved

REFUND = [{"method": "card", "amount_eur": "105.00"}]


def announce(device_id: str, territory: str = "35") -> str:
    event = device_reserved(device_id, territory=territory)
    assert deliver(consumer.handler, event.to_envelope())["batchItemFailures"] == []
    return event.reservation_id


def release(device_id: str, reservation_id: str) -> None:
    released = ReservationReleased(device_id=device_id, reservation_id=reservation_id, referral_id="ref-1",
                                   reason="expired")
    assert deliver(consumer.handler, released.to_envelope())["batchItemFailures"] == []


def quoted_reservation(device_id: str) -> str | None:
    response = call(api.handler, "GET", f"/sales/quotes/{device_id}", "point_of_sale")
    return response.body["reservation_id"] if response.status == 200 else None


def status_of(device_id: str, reservation_id: str) -> str:
    return SalesRepository().get_reservation(device_id, reservation_id)["status"]


def sales_of(dynamodb, device_id: str) -> list[dict]:
    return [i for i in all_items(dynamodb) if i["sk"] == "SALE" and i["device_id"] == device_id]


def test_a_second_reservation_heard_before_the_release_of_the_first_is_parked(table, dynamodb):
    first = announce("dev-1")
    second = announce("dev-1")

    assert status_of("dev-1", second) == "parked"
    assert quoted_reservation("dev-1") == first
    assert sell("dev-1").status == 201
    assert sell("dev-1").status == 404
    assert len(sales_of(dynamodb, "dev-1")) == 1


def test_the_release_of_the_first_hands_the_device_to_the_parked_reservation(table, dynamodb):
    first = announce("dev-1")
    second, third = announce("dev-1"), announce("dev-1")

    release("dev-1", first)

    assert (status_of("dev-1", first), status_of("dev-1", second), status_of("dev-1", third)) == (
        "released", "reserved", "parked")
    assert quoted_reservation("dev-1") == second
    sale = sell("dev-1")
    assert sale.status == 201 and sale.body["reservation_id"] == second
    assert sell("dev-1").status == 404


def test_a_late_release_of_a_sold_reservation_leaves_the_parked_one_unsellable(table, dynamodb):
    first = announce("dev-1")
    second = announce("dev-1")
    assert sell("dev-1").status == 201

    release("dev-1", first)

    assert (status_of("dev-1", first), status_of("dev-1", second)) == ("sold", "parked")
    assert quoted_reservation("dev-1") is None
    assert sell("dev-1").status == 404
    assert len(sales_of(dynamodb, "dev-1")) == 1


def test_a_parked_reservation_released_is_never_sold(table, dynamodb):
    first = announce("dev-1")
    second = announce("dev-1")
    release("dev-1", second)
    release("dev-1", first)
    assert (status_of("dev-1", first), status_of("dev-1", second)) == ("released", "released")
    assert sell("dev-1").status == 404
    # nothing holds the device any more: the next reservation is sellable at once
    third = announce("dev-1")
    assert quoted_reservation("dev-1") == third


def test_the_device_claim_refuses_a_second_sale_whatever_the_reservations_say(table, dynamodb):
    """Two reservations both active (as sales kept them before devices were held): one sale only."""
    first = announce("dev-1")
    assert sell("dev-1").status == 201
    repository = SalesRepository()
    sold = repository.get_reservation("dev-1", first)
    stray = {**sold, "sk": "RESERVATION#stray", "reservation_id": "stray", "status": "reserved",
             "version": 0}
    stray.pop("sale_id"), stray.pop("gsi1pk"), stray.pop("gsi1sk")
    work = repository.unit_of_work()
    work.create(stray, "stray")
    work.commit()

    second_sale = sell("dev-1")

    assert second_sale.status == 409, second_sale.body
    assert "dev-1 is sold already" in second_sale.body["message"]
    assert len(sales_of(dynamodb, "dev-1")) == 1


def test_a_refunded_cancellation_frees_the_device_for_its_next_reservation(table, dynamodb):
    first = announce("dev-1")
    sale = sell("dev-1").body
    parked = announce("dev-1")
    cancelled = call(api.handler, "POST", f"/sales/sales/{sale['sale_id']}/cancellation", "point_of_sale",
                     {"reason": "the screen flickers", "refunds": REFUND})
    assert cancelled.status == 200, cancelled.body

    assert (status_of("dev-1", first), status_of("dev-1", parked)) == ("cancelled", "reserved")
    assert SalesRepository().device_sale("dev-1") is None
    again = sell("dev-1")
    assert again.status == 201 and again.body["reservation_id"] == parked
    assert len(sales_of(dynamodb, "dev-1")) == 2


def test_a_label_a_reservation_and_its_release_delivered_twice_change_nothing_and_keep_no_idempotency_record(table, dynamodb):
    """Sales' consumer is idempotent by its own writes: a redelivery finds the label, the
    reservation or its release written and leaves it, without an idempotency record."""
    received = device_received("dev-1").to_envelope()
    reserved = device_reserved("dev-1").to_envelope()
    assert deliver(consumer.handler, received, received, reserved, reserved)["batchItemFailures"] == []
    deliver(consumer.handler, reserved)
    reservation_id = quoted_reservation("dev-1")
    assert [i["sk"] for i in all_items(dynamodb) if i["pk"] == "DEVICE#dev-1" and i["sk"].startswith("RESERVATION#")] \
        == [f"RESERVATION#{reservation_id}"]

    released = ReservationReleased(device_id="dev-1", reservation_id=reservation_id, referral_id="ref-1",
                                   reason="expired").to_envelope()
    deliver(consumer.handler, released)
    stored = sorted(str(i) for i in all_items(dynamodb))
    deliver(consumer.handler, released, reserved, received)
    assert sorted(str(i) for i in all_items(dynamodb)) == stored
    assert status_of("dev-1", reservation_id) == "released" and quoted_reservation("dev-1") is None
    assert [i for i in all_items(dynamodb) if i["pk"] == "IDEMPOTENCY"] == []
