"""Refurb's OpenAPI document describes every field it takes and answers, and shows each choice's
allowed values, so an integrator (or a page) reads them there instead of learning them from 422s."""

from __future__ import annotations

import pytest

from refurb.handlers import api
from tests.unit.support import call

# Powertools' own validation schemas, and the error body every service shares (shared/http.py).
NOT_REFURBS = {"HTTPValidationError", "ValidationError", "ResponseValidationError", "ErrorBody", "Problem"}


@pytest.fixture(scope="module")
def document() -> dict:
    response = call(api.handler, "GET", "/refurb/openapi.json")  # public: no key
    assert response.status == 200
    return response.body


def schema(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


def enum_of(document: dict, node: dict) -> list[str]:
    """The allowed values of a property (through its $ref, list items, or an optional's anyOf)."""
    if "enum" in node:
        return node["enum"]
    if "$ref" in node:
        return enum_of(document, schema(document, node["$ref"].rsplit("/", 1)[1]))
    if "items" in node:
        return enum_of(document, node["items"])
    for option in node.get("anyOf", []):
        if option.get("type") != "null":
            return enum_of(document, option)
    raise AssertionError(f"no enum in {node}")


def test_every_field_of_every_model_has_a_description(document):
    undescribed = [f"{name}.{field}"
                   for name, model in document["components"]["schemas"].items() if name not in NOT_REFURBS
                   for field, node in model.get("properties", {}).items() if not node.get("description")]
    assert undescribed == []


def test_every_parameter_has_a_description(document):
    undescribed = [f"{method.upper()} {path} {parameter['name']}"
                   for path, operations in document["paths"].items() for method, operation in operations.items()
                   for parameter in operation.get("parameters", []) if not parameter.get("description")]
    assert undescribed == []


def test_every_answer_has_its_model(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            success = operation["responses"]["200"]["content"]["application/json"]["schema"]
            assert "$ref" in success, f"{method.upper()} {path}: an untyped answer"
    work_order = document["paths"]["/work-orders/{device_id}"]["get"]["responses"]["200"]
    assert work_order["content"]["application/json"]["schema"]["$ref"].endswith("/WorkOrderView")


@pytest.mark.parametrize(("model", "field", "values"), [
    ("WorkOrderView", "allowed_steps", ["diagnosis", "erasure", "repair", "installation", "grade", "ready", "scrap"]),
    ("WorkOrderView", "status", ["awaiting_diagnosis", "awaiting_erasure", "awaiting_repair", "awaiting_installation",
                                 "awaiting_grade", "awaiting_ready", "ready", "scrapped"]),
    ("StepProgress", "state", ["done", "due", "to_do", "skipped"]),
    ("DriveToErase", "state", ["to_erase", "failed", "erased", "destroyed"]),
    ("ErasureMethod", "technique", ["overwrite", "ata_secure_erase", "nvme_sanitize", "nvme_format_ses",
                                    "cryptographic_erase", "physical_destruction"]),
    ("ErasureMethod", "levels", ["clear", "purge", "destroy"]),
    ("ErasureRecord", "level", ["clear", "purge", "destroy"]),
    ("DiagnosedDrive", "kind", ["hdd", "ssd", "nvme"]),
    ("DiagnosedDrive", "smart_status", ["passed", "failed", "unavailable"]),
    ("ScrapReport", "reason", ["beyond_economic_repair", "motherboard_failure", "physical_damage", "liquid_damage",
                               "obsolete", "missing_parts", "locked", "other"]),
    ("ScrapReport", "recycling_channel", ["ecosystem", "certified_recycler", "manufacturer_take_back"]),
    ("Fact", "measure", ["cpu_score", "ram_gb", "ssd_gb", "hdd_gb", "has_nvme", "has_hdd"]),
    ("FiredRule", "kind", ["points", "cap"]),
])
def test_a_choice_shows_its_allowed_values(document, model, field, values):
    properties = schema(document, model)["properties"]
    assert enum_of(document, properties[field]) == values


def test_each_function_tested_at_diagnosis_is_a_choice_of_three(document):
    diagnosis = schema(document, "Diagnosis-Input")["properties"]
    for function in ("screen", "keyboard", "trackpad", "webcam", "audio", "ports", "charger"):
        assert enum_of(document, diagnosis[function]) == ["works", "faulty", "absent"]


def test_the_queue_filter_lists_the_statuses(document):
    parameters = {p["name"]: p for p in document["paths"]["/workshops/{workshop_id}/queue"]["get"]["parameters"]}
    assert "awaiting_erasure" in enum_of(document, parameters["status"]["schema"])
