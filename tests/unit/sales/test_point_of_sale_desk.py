"""What a point of sale's desk needs: find a reserved device by its label, list its own sales,
print a sale's receipt."""

from __future__ import annotations

import base64
import io

from pypdf import PdfReader

from sales.handlers import api, consumer
from shared import clock
from tests.unit.sales.test_sales import sell
from tests.unit.support import LambdaContext, call, deliver, device_received, device_reserved, http_event

LABEL = "SV-7K2M-Q9TX"


def receive(device_id: str, label_code: str = LABEL) -> None:
    """Sales hears the label the way it does in production: intake's DeviceReceived."""
    event = device_received(device_id, label_code=label_code)
    assert deliver(consumer.handler, event.to_envelope())["batchItemFailures"] == []


def reserve(device_id: str, *, territory: str = "35", grade: str = "A") -> str:
    event = device_reserved(device_id, territory=territory, grade=grade)
    assert deliver(consumer.handler, event.to_envelope())["batchItemFailures"] == []
    return event.reservation_id


def quote_by_label(typed: str, **kwargs):
    return call(api.handler, "GET", f"/sales/quotes/by-label/{typed}", "point_of_sale", **kwargs)


# --- finding a device by its label -------------------------------------------------------------

def test_a_reserved_device_is_found_by_its_label_however_it_is_typed(table):
    receive("dev-1")
    reservation_id = reserve("dev-1", grade="B")

    for typed in (LABEL, "sv7k2mq9tx", "SV-7K2M-Q9TX".lower()):
        response = quote_by_label(typed)
        assert response.status == 200, (typed, response.body)
        assert response.body == {"device_id": "dev-1", "label_code": LABEL, "reservation_id": reservation_id,
                                 "device_type": "laptop", "grade": "B", "price_eur": "90.00",
                                 "reserved_until": "2026-12-12T09:00:00Z"}


def test_a_label_out_of_reach_unknown_or_not_reserved_is_not_found_alike(table):
    receive("dev-44", "SV-AAAA-4444")
    reserve("dev-44", territory="44")
    receive("dev-idle", "SV-BBBB-0000")

    answers = {code: quote_by_label(code) for code in ("SV-AAAA-4444", "SV-BBBB-0000", "SV-ZZZZ-9999")}

    assert {code: r.status for code, r in answers.items()} == dict.fromkeys(answers, 404)
    assert [r.body["message"] for r in answers.values()] == [f"no reserved device labelled {c}" for c in answers]
    # the point of sale of the reservation's territory does find the first one
    assert quote_by_label("SV-AAAA-4444", territory="44").status == 200


def test_the_sale_keeps_the_device_label_type_and_grade(table):
    receive("dev-1")
    reserve("dev-1", grade="A")
    sale = sell("dev-1", "105.00").body
    assert (sale["label_code"], sale["device_type"], sale["grade"]) == (LABEL, "laptop", "A")


# --- my sales ----------------------------------------------------------------------------------

def test_a_point_of_sale_lists_its_own_sales_newest_first_page_by_page(table):
    for n in range(3):
        reserve(f"dev-{n}")
        assert sell(f"dev-{n}").status == 201
    reserve("dev-other")
    assert sell("dev-other", partner_id="pos-saint-malo").status == 201

    first = call(api.handler, "GET", "/sales/sales", "point_of_sale", query={"limit": "2"})
    assert first.status == 200, first.body
    assert [s["receipt_number"][-6:] for s in first.body["items"]] == ["000003", "000002"]
    assert first.body["next_cursor"]
    second = call(api.handler, "GET", "/sales/sales", "point_of_sale",
                  query={"limit": "2", "cursor": first.body["next_cursor"]})
    assert [s["device_id"] for s in second.body["items"]] == ["dev-0"]
    assert second.body["next_cursor"] is None


def test_a_point_of_sale_cannot_list_another_ones_sales_and_an_admin_names_the_point_of_sale(table):
    reserve("dev-1")
    assert sell("dev-1").status == 201

    other = call(api.handler, "GET", "/sales/sales", "point_of_sale", partner_id="pos-saint-malo",
                 query={"point_of_sale_id": "pos-rennes-centre"})
    assert (other.status, other.body["items"]) == (200, [])

    assert call(api.handler, "GET", "/sales/sales", "admin").status == 422
    admin = call(api.handler, "GET", "/sales/sales", "admin", query={"point_of_sale_id": "pos-rennes-centre"})
    assert [s["device_id"] for s in admin.body["items"]] == ["dev-1"]


# --- the receipt -------------------------------------------------------------------------------

def receipt(sale_id: str, **kwargs) -> dict:
    return api.handler(http_event("GET", f"/sales/sales/{sale_id}/receipt", "point_of_sale", **kwargs),
                       LambdaContext())


def pdf_text(response: dict) -> str:
    assert response["isBase64Encoded"] is True
    reader = PdfReader(io.BytesIO(base64.b64decode(response["body"])))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())  # one space for every run of blanks and breaks


def test_the_receipt_is_a_pdf_with_its_number_the_device_the_price_and_each_payment(table):
    receive("dev-1")
    reserve("dev-1", grade="A")
    sale = sell("dev-1", "60.00", "45.00").body

    response = receipt(sale["sale_id"])

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/pdf"
    assert f'filename="recu-{sale["receipt_number"]}.pdf"' in response["headers"]["Content-Disposition"]
    text = pdf_text(response)
    assert f"Reçu de vente N° {sale['receipt_number']}" in text
    assert "pos-rennes-centre" in text and LABEL in text and "Ordinateur portable" in text
    assert "Prix 105,00 €" in text
    assert text.count("Carte bancaire") == 2 and "60,00 €" in text and "45,00 €" in text
    assert "Total payé 105,00 €" in text
    assert "à compter de la remise" in text  # not handed over: no end date yet


def test_after_the_handover_the_receipt_says_when_the_warranty_ends(table):
    reserve("dev-1")
    sale = sell("dev-1").body
    today = clock.today()
    handed = call(api.handler, "POST", f"/sales/sales/{sale['sale_id']}/handover", "point_of_sale",
                  {"handed_over_on": today.isoformat()}).body

    text = pdf_text(receipt(sale["sale_id"]))

    ends = handed["warranty_ends_on"]
    assert f"Garantie jusqu'au {ends[8:10]}/{ends[5:7]}/{ends[:4]} inclus" in text


def test_another_point_of_sale_gets_no_receipt(table):
    reserve("dev-1")
    sale = sell("dev-1").body
    response = receipt(sale["sale_id"], partner_id="pos-saint-malo")
    assert response["statusCode"] == 404
