"""Sales through its Lambda entry points: a reserved device is quoted, paid in full and sold once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pydantic import ValidationError

from sales.domain.pricing import DEFAULT_GRID, LEGAL_CAP, PriceGrid, quote
from sales.domain.receipts import receipt_number
from sales.handlers import api, consumer
from shared.events import open_envelope
from shared.events.allocation import ReservationReleased
from shared.events.sales import DeviceSold
from shared.events.vocabulary import DeviceType, Grade
from tests.unit.support import all_items, call, deliver, device_reserved, items_with_prefix, outbox_envelopes_in


def reserve(device_id: str = "dev-1", grade: str = "A", device_type: str = "laptop") -> str:
    """Sales learns a reservation the way it does in production: allocation's DeviceReserved."""
    event = device_reserved(device_id, grade=grade, device_type=device_type)
    assert deliver(consumer.handler, event.to_envelope())["batchItemFailures"] == []
    return event.reservation_id


def sell(device_id: str = "dev-1", *amounts: str, partner_id: str | None = None, role: str = "point_of_sale"):
    payments = [{"method": "card", "amount_eur": a} for a in (amounts or ("105.00",))]
    return call(api.handler, "POST", "/sales/sales", role, {"device_id": device_id, "payments": payments},
                partner_id=partner_id)


# --- pricing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("grade, price", [("D", "60"), ("C", "75"), ("B", "90"), ("A", "105"), ("Premium", "120")])
def test_a_laptop_is_quoted_from_the_default_grid(grade, price):
    assert quote(DeviceType.LAPTOP, Grade(grade)) == Decimal(price)


def grid_with(device_type: DeviceType, grade: Grade, price: str) -> dict:
    """The default grid as JSON, with one price changed."""
    prices = DEFAULT_GRID.model_dump(mode="json")["prices"]
    prices[device_type.value][grade.value] = price
    return {"prices": prices}


@pytest.mark.parametrize("price", ["59.99", "120.01", "0"])
def test_a_grid_with_a_price_outside_the_solidarity_bounds_is_refused(price):
    with pytest.raises(ValidationError, match="laptop A: .* is outside 60–120 €"):
        PriceGrid.model_validate(grid_with(DeviceType.LAPTOP, Grade.A, price))


def test_a_grid_with_a_price_above_the_legal_cap_of_its_type_is_refused():
    assert LEGAL_CAP[DeviceType.TABLET] == Decimal("100")
    assert PriceGrid.model_validate(grid_with(DeviceType.TABLET, Grade.A, "100")).quote("tablet", "A") == 100
    with pytest.raises(ValidationError, match="tablet A: 101.00 € is above the legal cap of 100 €"):
        PriceGrid.model_validate(grid_with(DeviceType.TABLET, Grade.A, "101"))


def test_a_grid_missing_a_price_is_refused():
    prices = grid_with(DeviceType.PHONE, Grade.D, "60")
    del prices["prices"]["phone"]["D"]
    with pytest.raises(ValidationError, match="phone D: no price"):
        PriceGrid.model_validate(prices)


def test_the_bounds_themselves_are_allowed():
    grid = PriceGrid.model_validate(grid_with(DeviceType.LAPTOP, Grade.D, "60"))
    assert grid.quote(DeviceType.LAPTOP, Grade.D) == Decimal("60")
    assert grid.quote(DeviceType.LAPTOP, Grade.PREMIUM) == Decimal("120")


def test_receipt_numbers_are_zero_padded_per_point_of_sale_and_year():
    assert receipt_number("pos-1", 2026, 7) == "pos-1-2026-000007"


# --- API --------------------------------------------------------------------------------------

def test_a_reserved_device_is_quoted(table):
    reservation_id = reserve("dev-1", grade="B")
    response = call(api.handler, "GET", "/sales/quotes/dev-1", "point_of_sale")
    assert response.status == 200
    assert response.body == {"device_id": "dev-1", "label_code": None, "reservation_id": reservation_id,
                             "device_type": "laptop", "grade": "B", "price_eur": "90.00",
                             "reserved_until": "2026-12-12T09:00:00Z"}


def test_a_device_without_reservation_has_no_quote(table):
    response = call(api.handler, "GET", "/sales/quotes/dev-1", "point_of_sale")
    assert response.status == 404
    assert "dev-1" in response.body["message"]


def test_a_redelivered_reservation_is_stored_once(table, dynamodb):
    envelope = device_reserved("dev-1").to_envelope()
    deliver(consumer.handler, envelope, envelope)
    reservations = [i for i in items_with_prefix(dynamodb, "DEVICE#dev-1") if i["sk"].startswith("RESERVATION#")]
    assert len(reservations) == 1


def test_a_sale_paid_in_full_is_recorded_with_its_receipt_and_announced(table, dynamodb):
    reservation_id = reserve("dev-1", grade="A")

    response = sell("dev-1", "60.00", "45.00", partner_id="pos-rennes-centre")

    assert response.status == 201, response.body
    sale = response.body
    year = int(sale["sold_at"][:4])
    assert (sale["device_id"], sale["reservation_id"], sale["point_of_sale_id"]) == (
        "dev-1", reservation_id, "pos-rennes-centre")
    assert (sale["price_eur"], sale["year"], sale["sequence"]) == ("105.00", year, 1)
    assert sale["receipt_number"] == f"pos-rennes-centre-{year}-000001"
    assert [p["amount_eur"] for p in sale["payments"]] == ["60.00", "45.00"]

    [announced] = outbox_envelopes_in(dynamodb, "DeviceSold")
    event = open_envelope(announced)
    assert isinstance(event, DeviceSold)
    assert (event.device_id, event.sale_id, event.reservation_id, event.receipt_number, event.price_eur) == (
        "dev-1", sale["sale_id"], reservation_id, sale["receipt_number"], Decimal("105"))

    stored = call(api.handler, "GET", f"/sales/sales/{sale['sale_id']}", "point_of_sale")
    assert stored.status == 200
    assert (stored.body["receipt_number"], stored.body["device_id"]) == (sale["receipt_number"], "dev-1")
    # the reservation is used up
    assert call(api.handler, "GET", "/sales/quotes/dev-1", "point_of_sale").status == 404


def test_a_sale_without_an_active_reservation_is_not_found_and_writes_nothing(table, dynamodb):
    response = sell("dev-1", "105.00")
    assert response.status == 404
    assert "no active reservation" in response.body["message"]
    assert all_items(dynamodb) == []


@pytest.mark.parametrize("amounts, paid", [(("100.00",), "100.00"), (("100.00", "10.00"), "110.00")])
def test_payments_must_equal_the_quote(table, dynamodb, amounts, paid):
    reserve("dev-1", grade="A")
    before = all_items(dynamodb)

    response = sell("dev-1", *amounts)

    assert response.status == 409
    assert response.body["message"] == f"payments total {paid} € but the quoted price is 105.00 €"
    assert all_items(dynamodb) == before


def test_the_first_receipt_of_each_point_of_sale_is_number_one(table):
    reserve("dev-1")
    reserve("dev-2")
    first = sell("dev-1", partner_id="pos-rennes-centre").body
    other = sell("dev-2", partner_id="pos-saint-malo").body
    assert first["receipt_number"].startswith("pos-rennes-centre-") and first["sequence"] == 1
    assert other["receipt_number"].startswith("pos-saint-malo-") and other["sequence"] == 1
    assert first["receipt_number"].endswith("-000001") and other["receipt_number"].endswith("-000001")


def test_receipt_numbers_follow_each_other_per_point_of_sale_without_gap(table, dynamodb):
    for n in range(1, 6):
        reserve(f"dev-{n}")

    numbers = []
    for n in (1, 2, 3):
        numbers.append(sell(f"dev-{n}", partner_id="pos-rennes-centre").body["receipt_number"])
    # refused sales in between consume no number
    assert sell("dev-4", "100.00", partner_id="pos-rennes-centre").status == 409
    assert sell("dev-99", partner_id="pos-rennes-centre").status == 404
    numbers.append(sell("dev-4", partner_id="pos-rennes-centre").body["receipt_number"])
    elsewhere = sell("dev-5", partner_id="pos-saint-malo").body["receipt_number"]

    year = numbers[0].split("-")[-2]
    assert numbers == [f"pos-rennes-centre-{year}-{n:06d}" for n in (1, 2, 3, 4)]
    assert elsewhere == f"pos-saint-malo-{year}-000001"
    assert len(items_with_prefix(dynamodb, "SALE#")) == 5


def test_a_sale_that_lost_the_counter_takes_the_next_number_without_reading_it_again(table, monkeypatch):
    from sales.adapters.repository import SalesRepository

    reserve("dev-1")
    reserve("dev-2")
    assert sell("dev-1", partner_id="pos-rennes-centre").body["sequence"] == 1
    reads = []
    real_read = SalesRepository.receipt_counter

    def stale_first_read(self, point_of_sale_id, year):
        reads.append(point_of_sale_id)
        return {"last_number": 0, "version": 0} if len(reads) == 1 else real_read(self, point_of_sale_id, year)

    monkeypatch.setattr(SalesRepository, "receipt_counter", stale_first_read)
    second = sell("dev-2", partner_id="pos-rennes-centre")

    assert (second.status, second.body["sequence"]) == (201, 2)
    assert second.body["receipt_number"].endswith("-000002")
    assert reads == ["pos-rennes-centre"]  # the refused write said where the counter stood


def test_a_point_of_sale_retrying_a_sale_with_its_key_gets_the_same_receipt(table, dynamodb):
    reserve("dev-1")
    payments = [{"method": "cash", "amount_eur": "105.00"}]
    first, retry = (
        call(api.handler, "POST", "/sales/sales", "point_of_sale", {"device_id": "dev-1", "payments": payments},
             headers={"Idempotency-Key": "till-3-ticket-118"})
        for _ in range(2)
    )
    assert (first.status, retry.status) == (201, 201)
    assert retry.body == first.body
    assert len(items_with_prefix(dynamodb, "SALE#")) == 1
    assert len(outbox_envelopes_in(dynamodb, "DeviceSold")) == 1


def test_a_device_cannot_be_sold_twice(table, dynamodb):
    reserve("dev-1")
    assert sell("dev-1", partner_id="pos-rennes-centre").status == 201

    again = sell("dev-1", partner_id="pos-saint-malo")

    assert again.status == 404
    assert len(items_with_prefix(dynamodb, "SALE#")) == 1
    assert len(outbox_envelopes_in(dynamodb, "DeviceSold")) == 1


def test_only_a_point_of_sale_sells(table, dynamodb):
    reserve("dev-1")
    before = all_items(dynamodb)
    response = sell("dev-1", role="referrer")
    assert response.status == 403
    assert all_items(dynamodb) == before


def test_a_payment_must_be_positive_with_cents_at_most(table):
    reserve("dev-1")
    for amount in ("0", "-105", "104.999"):
        response = sell("dev-1", amount)
        assert response.status == 422, amount
        assert "amount_eur" in {str(p) for problem in response.body["detail"] for p in problem["loc"]}


def test_an_unknown_sale_is_not_found(table):
    assert call(api.handler, "GET", "/sales/sales/nope", "point_of_sale").status == 404


def test_the_default_grid_prices_every_type_and_grade_within_the_caps():
    for device_type in DeviceType:
        for grade in Grade:
            assert 60 <= quote(device_type, grade) <= min(120, LEGAL_CAP[device_type])


def test_a_sale_reads_back_as_it_was_recorded(table):
    reserve("dev-1")
    sale = sell("dev-1").body
    read = call(api.handler, "GET", f"/sales/sales/{sale['sale_id']}", "point_of_sale").body
    assert (read["year"], read["sequence"], read["receipt_number"]) == (
        sale["year"], sale["sequence"], sale["receipt_number"])


def test_a_released_reservation_can_no_longer_be_sold(table):
    reservation_id = reserve("dev-1")
    released = ReservationReleased(device_id="dev-1", reservation_id=reservation_id, referral_id="ref-1",
                                   reason="expired")
    assert deliver(consumer.handler, released.to_envelope())["batchItemFailures"] == []
    assert sell("dev-1").status == 404


def test_a_release_heard_before_its_reservation_still_wins(table):
    released = ReservationReleased(device_id="dev-2", reservation_id="r-early", referral_id="ref-2", reason="expired")
    assert deliver(consumer.handler, released.to_envelope())["batchItemFailures"] == []
    late = device_reserved("dev-2", reservation_id="r-early")
    assert deliver(consumer.handler, late.to_envelope())["batchItemFailures"] == []
    assert sell("dev-2").status == 404
