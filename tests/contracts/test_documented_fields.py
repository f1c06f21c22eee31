"""Every field of a served OpenAPI document says what it is, and every choice lists its values:
an integrator reads the document, not the code, and should not find a field's meaning or its
allowed values by trial and error against 422s.

A gap is a property or parameter without a `description`, or a string that is a choice without
an `enum` (or `const`). A string is taken for a choice when its name says so (`status`, `role`,
`category`, `grade`, `…_kind`, …), when its pattern is only a list of words (`^(a|b|c)$`), or
when its description says "one of"; not when its description says it is words ("in words",
"free text"). The documents are built in-process from each API's router, exactly as served.

`CHECKED` lists the documents held to it. Run as a script, it lists the gaps of every document:

    .venv/bin/python -m tests.contracts.test_documented_fields
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from shared.access import services_tables

ROUTERS = {
    "intake": "intake.handlers.api",
    "refurb": "refurb.handlers.api",
    "allocation": "allocation.handlers.api",
    "sales": "sales.handlers.api",
    "access": "keys_api",
    "operations": "operations_api",
}
# The documents this test holds to it; every API belongs here once its models are described.
CHECKED = ["intake", "refurb", "allocation", "sales", "access", "operations"]

CHOICE_NAME = re.compile(r"(^|_)(status|state|role|kind|category|grade|level|technique|outcome|method|stage|format|"
                         r"queue|channel|mode|unit)$")
WORDS_ONLY = re.compile(r"^\^?\(?[\w-]+(\|[\w-]+)+\)?\$?$")
ONE_OF = re.compile(r"\bone of\b", re.IGNORECASE)
WORDS = re.compile(r"\bin words\b|\bfree text\b", re.IGNORECASE)


def served(api: str) -> dict[str, Any]:
    return importlib.import_module(ROUTERS[api]).app.openapi_document()


def gaps(document: dict[str, Any]) -> list[str]:
    """Each undescribed field and each choice without its values, named where it is."""
    found: list[str] = []
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        found += _schema_gaps(schema, name, name)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                label = f"{where} {parameter['in']} parameter {parameter['name']}"
                schema = parameter.get("schema", {})
                if not (parameter.get("description") or schema.get("description")):
                    found.append(f"{label}: no description")
                found += [f"{label}: {gap}" for gap in _choice_gaps(schema, parameter["name"])]
            for content in _contents(operation):
                if "$ref" not in content.get("schema", {}):  # an inline body: its properties too
                    found += _schema_gaps(content.get("schema", {}), where, where)
    return found


def _contents(operation: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from operation.get("requestBody", {}).get("content", {}).values()
    for answer in operation.get("responses", {}).values():
        yield from answer.get("content", {}).values()


def _schema_gaps(schema: dict[str, Any], where: str, name: str) -> list[str]:
    if not isinstance(schema, dict):
        return []
    found = []
    for prop, sub in schema.get("properties", {}).items():
        label = f"{where}.{prop}"
        if not sub.get("description"):
            found.append(f"{label}: no description")
        found += [f"{label}: {gap}" for gap in _choice_gaps(sub, prop)]
        found += _schema_gaps(sub, label, prop)
    for sub in _alternatives(schema):
        found += _schema_gaps(sub, where, name)
    return found


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schemas a value may also match inside this one: anyOf/oneOf/allOf, list items, map values."""
    inner = [*schema.get("anyOf", []), *schema.get("oneOf", []), *schema.get("allOf", [])]
    if isinstance(schema.get("items"), dict):
        inner.append(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        inner.append(schema["additionalProperties"])
    return inner


def _choice_gaps(schema: dict[str, Any], name: str) -> list[str]:
    if not isinstance(schema, dict) or "$ref" in schema or "enum" in schema or "const" in schema:
        return []
    if schema.get("type") == "string":
        pattern, description = schema.get("pattern", ""), schema.get("description", "")
        if WORDS.search(description):
            return []
        if CHOICE_NAME.search(name) or WORDS_ONLY.match(pattern) or ONE_OF.search(description):
            return ["a choice without an enum of its values"]
        return []
    return [gap for sub in _alternatives(schema) for gap in _choice_gaps(sub, name)]


def test_the_routers_are_those_of_every_api():
    assert set(ROUTERS) == set(services_tables())
    assert set(CHECKED) <= set(ROUTERS)


@pytest.mark.parametrize("api", CHECKED)
def test_every_field_is_described_and_every_choice_lists_its_values(api):
    found = gaps(served(api))
    assert not found, f"{api}'s document:\n" + "\n".join(found)


def test_an_undescribed_field_and_a_choice_without_values_are_named():
    document = {
        "components": {"schemas": {"Sale": {"properties": {
            "sale_id": {"type": "string", "description": "The sale's id"},
            "note": {"type": "string"},
            "payment_method": {"type": "string", "description": "How it was paid"},
            "method": {"type": "string", "description": "How the estimate is made, in words"},
            "split": {"type": "array", "description": "Payments", "items": {"properties": {
                "mode": {"anyOf": [{"type": "string", "pattern": "^(cash|card)$"}, {"type": "null"}],
                         "description": "How"}}}},
            "grade": {"$ref": "#/components/schemas/Grade", "description": "Its grade"},
        }}}},
        "paths": {"/sales": {"get": {"parameters": [
            {"name": "status", "in": "query", "schema": {"type": "string", "description": "one of open, closed"}},
        ]}}},
    }
    assert gaps(document) == [
        "Sale.note: no description",
        "Sale.payment_method: a choice without an enum of its values",
        "Sale.split.mode: a choice without an enum of its values",
        "GET /sales query parameter status: a choice without an enum of its values",
    ]


def main() -> int:
    total = 0
    for api in ROUTERS:
        found = gaps(served(api))
        total += len(found)
        state = "held to it" if api in CHECKED else "not yet held to it"
        print(f"\n{api} ({state}): {len(found)} gap(s)")
        for gap in found:
            print(f"  {gap}")
    print(f"\n{total} gap(s) in all")
    return 1 if total else 0


if __name__ == "__main__":
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sys.path[:0] = [str(root / folder) for folder in
                    ("services/intake", "services/refurb", "services/allocation", "services/sales", "gateway")]
    raise SystemExit(main())
