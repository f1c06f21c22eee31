"""Sales' OpenAPI document says what every field of its requests and answers means, and lists the
allowed values of each choice, so that an integrator needs no trial and error against 422s."""

from __future__ import annotations

from sales.handlers import api
from tests.unit.support import call

# Schemas of the shared plumbing (errors), not of sales' own models.
PLUMBING = {"ErrorBody", "Problem", "HTTPValidationError", "ValidationError", "ResponseValidationError"}


def document() -> dict:
    response = call(api.handler, "GET", "/sales/openapi.json")  # public: no key
    assert response.status == 200
    return response.body


def test_every_field_of_sales_models_has_a_description(table):
    schemas = document()["components"]["schemas"]
    undocumented = [f"{name}.{field}" for name, schema in schemas.items() if name not in PLUMBING
                    for field, spec in schema.get("properties", {}).items() if not spec.get("description")]
    assert undocumented == []


def test_every_choice_lists_its_allowed_values(table):
    schemas = document()["components"]["schemas"]
    assert schemas["PaymentMethod"]["enum"] == ["cash", "card", "cheque", "third_party"]
    assert "does_not_start" in schemas["FaultCategory"]["enum"]
    assert schemas["SaleStatus"]["enum"] == ["sold", "handed_over", "cancelled"]
    assert schemas["Grade"]["enum"] == ["D", "C", "B", "A", "Premium"]
    assert "version" not in schemas["Sale"]["properties"]


def test_the_privacy_rule_of_free_text_is_stated_where_it_applies(table):
    schemas = document()["components"]["schemas"]
    for model, field in (("WarrantyClaimRequest", "note"), ("CancellationRequest", "reason")):
        assert "never about the person" in schemas[model]["properties"][field]["description"]


def test_the_receipt_is_documented_as_a_pdf_and_the_list_as_a_page_of_sales(table):
    paths = document()["paths"]
    assert "application/pdf" in paths["/sales/{sale_id}/receipt"]["get"]["responses"]["200"]["content"]
    listed = paths["/sales"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"$ref": "#/components/schemas/SalesPage"}
