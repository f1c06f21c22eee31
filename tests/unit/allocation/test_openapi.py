"""Allocation's OpenAPI document tells an integrator every field and every allowed value: nothing is
learnt from a 422."""

from __future__ import annotations

from typing import Any

import pytest

from allocation.handlers import api
from tests.unit.support import call

# Schemas that shared/http.py and Powertools add to every service's document (not allocation's models).
SHARED_SCHEMAS = {"ErrorBody", "Problem", "HTTPValidationError", "ValidationError", "ResponseValidationError"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    response = call(api.handler, "GET", "/allocation/openapi.json")  # public: no key
    assert response.status == 200
    return response.body


def test_every_field_of_allocations_models_is_described(document):
    undescribed = [f"{name}.{field}" for name, schema in document["components"]["schemas"].items()
                   if name not in SHARED_SCHEMAS
                   for field, prop in schema.get("properties", {}).items() if not prop.get("description")]
    assert undescribed == []


def test_every_parameter_is_described(document):
    undescribed = [f"{method.upper()} {path} {parameter['name']}" for path, operations in document["paths"].items()
                   for method, operation in operations.items() for parameter in operation.get("parameters", [])
                   if not parameter.get("description")]
    assert undescribed == []


def enum_of(document: dict, prop: dict) -> list:
    """The allowed values of a property, following a reference (nullable or not) to an enum schema."""
    for option in [prop, *prop.get("anyOf", []), *prop.get("allOf", [])]:
        if "enum" in option:
            return option["enum"]
        if "$ref" in option:
            return document["components"]["schemas"][option["$ref"].rsplit("/", 1)[-1]]["enum"]
    return []


@pytest.mark.parametrize(("schema", "field", "values"), [
    ("ReferralRequest", "category", ["minimum_social_benefits", "job_seeker", "young_person", "student"]),
    ("ReferralRequest", "priority", [1, 2, 3]),
    ("PartnerRegistration", "kind", ["social_services", "employment_service", "social_centre"]),
    ("ReferralView", "status", ["waiting", "reserved", "fulfilled", "cancelled", "expired"]),
    ("ReservationView", "status", ["active", "fulfilled", "released"]),
    ("DeviceSummary", "grade", ["D", "C", "B", "A", "Premium"]),
    ("MatchReason", "code", ["open_to_every_territory", "kept_for_territory", "territory_window_ended",
                             "requirements_met", "no_requirement", "first_in_line", "own_territory_device",
                             "ready_longest"]),
])
def test_a_choice_lists_its_allowed_values(document, schema, field, values):
    assert enum_of(document, document["components"]["schemas"][schema]["properties"][field]) == values


def test_uses_are_a_list_of_known_values_and_accompaniment_a_boolean(document):
    schemas = document["components"]["schemas"]
    uses = schemas["Needs"]["properties"]["uses"]
    assert enum_of(document, uses["items"]) == ["schooling", "job_search", "administrative_procedures", "training"]
    assert schemas["ReferralRequest"]["properties"]["accompaniment_wanted"]["type"] == "boolean"


def test_the_list_and_the_referral_document_their_answers(document):
    def answer_schema(path: str, method: str, status: str) -> str:
        return document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]

    assert answer_schema("/referrals", "get", "200").endswith("/ReferralPage")
    assert answer_schema("/referrals", "post", "201").endswith("/ReferralView")
    assert answer_schema("/referrals/{referral_id}", "get", "200").endswith("/ReferralView")
    statuses = document["components"]["schemas"]["ReferralPage"]
    assert statuses["properties"]["items"]["items"]["$ref"].endswith("/ReferralView")
