"""After the sale: cancellation and refund, handover, accompaniment, warranty, figures, price grid."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared import clock
from sales.domain.pricing import DEFAULT_GRID
from sales.domain.sale import Sale, WarrantyClaimRequest
from sales.handlers import api
from shared.events import open_envelope
from tests.unit.sales.test_sales import reserve, sell
from tests.unit.support import all_items, call, outbox_envelopes_in

TODAY = clock.today()


def sold(device_id: str = "dev-1") -> dict:
    reserve(device_id)
    response = sell(device_id)
    assert response.status == 201, response.body
    return response.body


def post(path: str, body: dict, role: str = "point_of_sale", **kwargs):
    return call(api.handler, "POST", path, role, body, **kwargs)


def test_a_sale_cancelled_before_handover_is_refunded_and_announced(table, dynamodb):
    sale = sold()
    response = post(f"/sales/sales/{sale['sale_id']}/cancellation",
                    {"reason": "beneficiary changed their mind", "refunds": [{"method": "card", "amount_eur": "105.00"}]})
    assert response.status == 200, response.body
    assert response.body["status"] == "cancelled"
    [cancelled] = outbox_envelopes_in(dynamodb, "SaleCancelled")
    assert open_envelope(cancelled).reservation_id == sale["reservation_id"]
    # the device can no longer be sold through that reservation
    assert sell("dev-1").status == 404


def test_a_refund_must_equal_the_price(table, dynamodb):
    sale = sold()
    before = all_items(dynamodb)
    response = post(f"/sales/sales/{sale['sale_id']}/cancellation",
                    {"reason": "x", "refunds": [{"method": "cash", "amount_eur": "100.00"}]})
    assert response.status == 409
    assert "refunds total 100.00 €" in response.body["message"]
    assert all_items(dynamodb) == before


def test_a_device_handed_over_starts_its_warranty_and_cannot_be_cancelled(table, dynamodb):
    sale = sold()
    response = post(f"/sales/sales/{sale['sale_id']}/handover", {"handed_over_on": TODAY.isoformat()})
    assert response.status == 200, response.body
    assert response.body["warranty_ends_on"] == (TODAY + timedelta(days=365)).isoformat()
    assert len(outbox_envelopes_in(dynamodb, "DeviceHandedOver")) == 1
    refused = post(f"/sales/sales/{sale['sale_id']}/cancellation",
                   {"reason": "x", "refunds": [{"method": "card", "amount_eur": "105.00"}]})
    assert refused.status == 409
    assert "only a sale not yet handed over can be cancelled" in refused.body["message"]


def test_a_warranty_claim_within_the_period_sends_the_device_back_to_refurb(table, dynamodb):
    sale = sold()
    post(f"/sales/sales/{sale['sale_id']}/handover", {"handed_over_on": TODAY.isoformat()})
    response = post(f"/sales/sales/{sale['sale_id']}/warranty-claims",
                    {"fault_category": "screen", "note": "l'écran scintille après 10 minutes"})
    assert response.status == 201, response.body
    assert response.body["claim_reference"] == f"{sale['receipt_number']}-W1"
    [claim] = outbox_envelopes_in(dynamodb, "WarrantyClaimOpened")
    event = open_envelope(claim)
    assert (event.claim_id, event.claim_reference, event.fault_category) == (
        response.body["claim_id"], response.body["claim_reference"], "screen")
    # the point of sale's note stays in sales: on the sale, not in the event
    assert "scintille" not in claim.model_dump_json()
    [kept] = call(api.handler, "GET", f"/sales/sales/{sale['sale_id']}", "point_of_sale").body["warranty_claims"]
    assert (kept["reference"], kept["fault_category"], kept["note"]) == (
        response.body["claim_reference"], "screen", "l'écran scintille après 10 minutes")


def test_a_second_claim_on_a_sale_gets_the_next_reference(table, dynamodb):
    sale = sold()
    post(f"/sales/sales/{sale['sale_id']}/handover", {"handed_over_on": TODAY.isoformat()})
    first = post(f"/sales/sales/{sale['sale_id']}/warranty-claims", {"fault_category": "battery"})
    second = post(f"/sales/sales/{sale['sale_id']}/warranty-claims", {"fault_category": "does_not_start"})
    assert [first.body["claim_reference"], second.body["claim_reference"]] == [
        f"{sale['receipt_number']}-W1", f"{sale['receipt_number']}-W2"]


@pytest.mark.parametrize("body, field, what", [
    ({"fault_category": "screen", "note": "cliente Mme Martin, rappeler au 06 12 34 56 78"}, "note", "a phone number"),
    ({"fault_category": "screen", "note": "remis par Mme Martin"}, "note", "a person's name"),
    ({"fault_category": "screen", "note": "à livrer au 12 rue de la Paix"}, "note", "a postal address"),
    ({"fault_category": "the screen flickers"}, "fault_category", None),
    ({"fault": "screen flickers"}, "fault", None),
])
def test_a_warranty_claim_with_personal_data_or_no_category_is_refused_and_nothing_is_written(
        table, dynamodb, body, field, what):
    sale = sold()
    post(f"/sales/sales/{sale['sale_id']}/handover", {"handed_over_on": TODAY.isoformat()})
    before = all_items(dynamodb)
    response = post(f"/sales/sales/{sale['sale_id']}/warranty-claims", body)
    assert response.status == 422
    assert field in {part for problem in response.body["detail"] for part in problem["loc"]}
    if what:
        assert response.body["message"] == (
            f"body.note: looks like personal data ({what}): describe the fault, not the person")
    assert all_items(dynamodb) == before


def test_a_cancellation_reason_naming_the_buyer_is_refused(table, dynamodb):
    sale = sold()
    before = all_items(dynamodb)
    response = post(f"/sales/sales/{sale['sale_id']}/cancellation",
                    {"reason": "M. Dupont a changé d'avis", "refunds": [{"method": "card", "amount_eur": "105.00"}]})
    assert response.status == 422
    assert response.body["message"] == ("body.reason: looks like personal data (a person's name): "
                                        "say why the sale is cancelled, not who the buyer is")
    assert all_items(dynamodb) == before


def test_a_warranty_claim_after_the_period_is_refused_with_the_end_date():
    sale = Sale.model_validate({
        "sale_id": "s", "device_id": "d", "reservation_id": "r", "point_of_sale_id": "p", "year": 2024,
        "sequence": 1, "receipt_number": "p-2024-000001", "price_eur": "90", "payments": [
            {"method": "cash", "amount_eur": "90"}], "sold_at": "2024-01-10T10:00:00Z"})
    sale.hand_over(date(2024, 1, 10))
    request = WarrantyClaimRequest(fault_category="keyboard")
    with pytest.raises(Exception, match="the warranty ended on 2025-01-09"):
        sale.open_warranty_claim("c", request, date(2025, 1, 10))
    sale.open_warranty_claim("c", request, date(2025, 1, 9))
    assert [(c.claim_id, c.reference) for c in sale.warranty_claims] == [("c", "p-2024-000001-W1")]


def test_no_warranty_claim_before_handover(table):
    sale = sold()
    response = post(f"/sales/sales/{sale['sale_id']}/warranty-claims", {"fault_category": "does_not_start"})
    assert response.status == 409
    assert "not handed over" in response.body["message"]


def test_a_handover_date_before_the_sale_is_refused(table):
    sale = sold()
    response = post(f"/sales/sales/{sale['sale_id']}/handover",
                    {"handed_over_on": (TODAY - timedelta(days=3)).isoformat()})
    assert response.status == 409
    assert "handed_over_on" in response.body["message"]


def test_accompaniment_is_booked_then_attended_or_missed(table):
    sale = sold()
    booking = {"social_centre_id": "centre-social-maurepas", "slot_starts_at": "2026-12-03T14:00:00+01:00"}
    assert post(f"/sales/sales/{sale['sale_id']}/accompaniment/outcome", {"attended": True}).status == 409
    assert post(f"/sales/sales/{sale['sale_id']}/accompaniment", booking).status == 200
    response = post(f"/sales/sales/{sale['sale_id']}/accompaniment/outcome", {"attended": False})
    assert response.status == 200
    assert response.body["accompaniment_attended"] is False


def test_a_point_of_sale_sees_only_its_own_sales(table):
    sale = sold()
    other = call(api.handler, "GET", f"/sales/sales/{sale['sale_id']}", "point_of_sale", partner_id="pos-elsewhere")
    assert other.status == 404


def test_figures_count_sales_revenue_and_rates_per_point_of_sale_and_category(table):
    first, second, third = sold("dev-1"), sold("dev-2"), sold("dev-3")
    post(f"/sales/sales/{first['sale_id']}/handover", {"handed_over_on": TODAY.isoformat()})
    post(f"/sales/sales/{first['sale_id']}/accompaniment",
         {"social_centre_id": "c", "slot_starts_at": "2026-12-03T14:00:00Z"})
    post(f"/sales/sales/{first['sale_id']}/accompaniment/outcome", {"attended": True})
    post(f"/sales/sales/{third['sale_id']}/cancellation",
         {"reason": "x", "refunds": [{"method": "card", "amount_eur": "105.00"}]})

    response = call(api.handler, "GET", "/sales/figures", "point_of_sale",
                    query={"since": (TODAY - timedelta(days=1)).isoformat()})
    assert response.status == 200, response.body
    overall = response.body["overall"]
    assert (overall["sales"], overall["cancelled"], overall["revenue_eur"]) == (2, 1, "210.00")
    assert overall["average_price_eur"] == "105.00"
    assert (overall["handover_rate"], overall["accompaniment_booked_rate"]) == (0.5, 0.5)
    assert overall["accompaniment_attended_rate"] == 1.0
    assert set(response.body["by_point_of_sale"]) == {first["point_of_sale_id"]}
    assert response.body["by_category"]["job_seeker"]["sales"] == 2
    assert second["sale_id"]


def test_figures_need_a_start_date(table):
    response = call(api.handler, "GET", "/sales/figures", "point_of_sale")
    assert response.status == 422
    assert "since" in response.text


def test_a_period_that_ends_before_it_starts_is_refused_naming_until(table):
    response = call(api.handler, "GET", "/sales/figures", "admin", query={"since": "8205-09-18", "until": "5799-10-19"})
    assert response.status == 422
    assert response.body["message"].startswith("until: 5799-10-19 is before since (8205-09-18)")


def test_an_administrator_loads_a_new_price_grid_that_quotes_apply(table):
    prices = DEFAULT_GRID.model_dump(mode="json")["prices"]
    prices["laptop"]["A"] = "110"
    response = call(api.handler, "PUT", "/sales/price-grid", "admin", {"prices": prices})
    assert response.status == 200, response.body
    assert response.body["version"] == 1
    reserve("dev-9", grade="A")
    assert call(api.handler, "GET", "/sales/quotes/dev-9", "point_of_sale").body["price_eur"] == "110.00"


def test_a_grid_breaking_the_caps_is_refused_naming_the_price_and_nothing_changes(table):
    prices = DEFAULT_GRID.model_dump(mode="json")["prices"]
    prices["phone"]["Premium"] = "115"
    response = call(api.handler, "PUT", "/sales/price-grid", "admin", {"prices": prices})
    assert response.status == 422
    assert "phone Premium: 115.00 € is above the legal cap of 100 €" in response.body["message"]
    assert call(api.handler, "GET", "/sales/price-grid", "point_of_sale").body["version"] == 0


def test_only_an_administrator_changes_the_price_grid(table):
    prices = DEFAULT_GRID.model_dump(mode="json")["prices"]
    assert call(api.handler, "PUT", "/sales/price-grid", "point_of_sale", {"prices": prices}).status == 403
