"""Intake's OpenAPI document names and describes every field a partner sends or receives, and lists
the allowed values of every choice, so that an integrator need not learn them from 422s."""

from __future__ import annotations

import pytest

from intake.handlers import api
from tests.unit.support import call

# The validation error shapes Powertools adds to every document (intake answers ErrorBody instead).
FRAMEWORK_SCHEMAS = {"HTTPValidationError", "ValidationError", "ResponseValidationError"}


@pytest.fixture(scope="module")
def document() -> dict:
    response = call(api.handler, "GET", "/intake/openapi.json")  # public: no key
    assert response.status == 200
    return response.body


def schemas(document: dict) -> dict[str, dict]:
    return {name: schema for name, schema in document["components"]["schemas"].items()
            if name not in FRAMEWORK_SCHEMAS}


def test_every_field_of_every_model_has_a_description(document):
    undescribed = [f"{name}.{field}" for name, schema in schemas(document).items()
                   for field, prop in schema.get("properties", {}).items() if not prop.get("description")]
    assert undescribed == []


def test_every_path_and_query_parameter_has_a_description(document):
    undescribed = [f"{method.upper()} {path} {parameter['name']}"
                   for path, operations in document["paths"].items() for method, operation in operations.items()
                   for parameter in operation.get("parameters", []) if not parameter.get("description")]
    assert undescribed == []


def test_every_choice_is_an_enum_that_says_what_it_is(document):
    enums = {name: schema for name, schema in schemas(document).items() if "enum" in schema}
    assert {"DeviceType", "DonorType", "DeviceStatus", "LotStatus", "RejectionReason", "DriveKind", "Grade",
            "ErasureLevel", "ErasureTechnique", "Outcome", "DocumentFormat", "ImportKind", "ImportStatus"} <= set(enums)
    assert [name for name, schema in enums.items() if not schema.get("description")] == []
    device = schemas(document)["DeviceDeclaration"]["properties"]
    assert device["device_type"]["$ref"] == "#/components/schemas/DeviceType"
    assert schemas(document)["DeviceType"]["enum"] == ["laptop", "desktop", "tablet", "phone"]


def test_every_json_answer_has_its_shape(document):
    shapeless = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                if status.startswith("2") and "$ref" not in schema and path != "/health":
                    shapeless.append(f"{method.upper()} {path} {status}")
    assert shapeless == []


def test_the_passport_answer_lists_what_the_page_shows_and_nothing_about_a_person(document):
    passport = schemas(document)["Passport"]["properties"]
    assert set(passport) == {"label_code", "make", "model", "device_type", "grade", "erasure_done", "erasure",
                             "outcome"}
    assert schemas(document)["Outcome"]["enum"] == ["in_progress", "ready", "sold", "handed_over", "recycled"]
