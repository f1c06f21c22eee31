"""The served OpenAPI documents: public, aimed at the service's prefix, with the bearer scheme on
every route that needs a key, and every status a route can answer, with the one error body.

The local-cloud tier sends generated requests against them (tests/localcloud/test_openapi_conformance.py);
here the documents are read from the handlers themselves, in a few milliseconds.
"""

from __future__ import annotations

import importlib

import pytest

from shared.access import services_tables
from tests.unit.support import call

DOCUMENTS = ["intake", "refurb", "allocation", "sales", "access", "operations"]
GATEWAY_APIS = {"access": "keys_api", "operations": "operations_api"}
ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


def api_module(service: str):
    return importlib.import_module(GATEWAY_APIS.get(service) or f"{service}.handlers.api")


def served(service: str) -> dict:
    """The document as anyone gets it: no key, so no identity from the authorizer."""
    response = call(api_module(service).handler, "GET", f"/{service}/openapi.json")
    assert response.status == 200, response.body
    return response.body


def operations(service: str):
    document = served(service)
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", {int(status): answer for status, answer in operation["responses"].items()}


@pytest.mark.parametrize("service", DOCUMENTS)
def test_a_document_is_served_for_the_service_prefix(service):
    assert served(service)["servers"] == [{"url": f"/{service}"}]


@pytest.mark.parametrize("service", DOCUMENTS)
def test_every_route_that_needs_a_key_asks_for_the_bearer_scheme_and_a_public_one_does_not(service):
    document = served(service)
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "API key" in scheme["description"] and "Cognito ID token" in scheme["description"]
    table = services_tables()[service]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            key = f"{method.upper()} {path}"
            expected = [] if table[key].public else [{"bearer": []}]
            assert operation.get("security", []) == expected, key


def test_the_passport_is_public_in_its_document():
    operation = served("intake")["paths"]["/passport/{label_code}"]["get"]
    assert "security" not in operation
    assert "Public: no key needed" in operation["description"]


@pytest.mark.parametrize("service", DOCUMENTS)
def test_every_operation_says_who_may_call_it(service):
    for path, methods in served(service)["paths"].items():
        for method, operation in methods.items():
            assert "Who may call it:" in operation["description"] or "Public" in operation["description"], path


def test_an_operation_names_the_roles_its_access_rule_grants_and_how_far():
    operation = served("sales")["paths"]["/sales/{sale_id}/handover"]["post"]
    assert "Who may call it: point_of_sale (its own sales only), admin (every sale)" in operation["description"]
    assert "404" in operation["description"]


def test_a_document_holds_only_the_schemas_its_operations_use():
    schemas = served("access")["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ResponseValidationError" not in schemas
    assert {"ErrorBody", "Problem", "KeyRequest", "Role"} <= set(schemas)


@pytest.mark.parametrize("service", DOCUMENTS)
def test_every_operation_lists_the_refusals_its_route_can_answer(service):
    table = services_tables()[service]
    for key, responses in operations(service):
        method, path = key.split(" ", 1)
        access = table[key]
        expected = {400, 422}
        expected |= set() if access.public else {401, 403}
        expected |= {404} if access.kind or "{" in path else set()
        expected |= {409} if method in {"POST", "PUT", "DELETE"} else set()
        expected |= {415} if method in {"POST", "PUT"} else set()
        assert expected <= set(responses), f"{key}: {sorted(expected - set(responses))} not listed"
        assert any(200 <= status < 300 for status in responses), f"{key}: no success listed"
        for status in expected:
            body = responses[status]["content"]["application/json"]["schema"]
            assert body == ERROR_BODY, f"{key} {status}: {body}"


def test_the_public_passport_lists_no_refusal_of_a_key():
    responses = dict(operations("intake"))["GET /passport/{label_code}"]
    assert not {401, 403} & set(responses)


def test_a_route_that_creates_lists_201_and_not_200():
    assert {201} == {s for s in dict(operations("sales"))["POST /sales"] if s < 300}
    assert {200, 201} == {s for s in dict(operations("intake"))["POST /donors"] if s < 300}


def test_a_document_lists_the_pdf_it_can_answer():
    success = dict(operations("intake"))["GET /lots/{lot_id}/documents/donation-certificate"][200]
    assert set(success["content"]) == {"application/json", "application/pdf"}


def test_the_error_body_is_one_schema_that_the_gateways_own_refusals_also_match():
    schema = served("sales")["components"]["schemas"]["ErrorBody"]
    assert schema["required"] == ["message"]  # the HTTP API's 401 and 403 say only {"message": ...}
    assert set(schema["properties"]) == {"message", "error", "detail"}


@pytest.mark.parametrize("content_type", ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain"])
def test_a_body_that_is_not_json_is_a_415_naming_what_to_send(content_type):
    from sales.handlers import api

    response = call(api.handler, "PUT", "/sales/price-grid", "admin", '{"prices": {}}',
                    headers={"content-type": content_type})
    assert response.status == 415
    assert response.body == {"error": "Unsupported Media Type", "message": "send the body as application/json"}


def test_a_price_with_more_digits_than_a_decimal_holds_is_a_422_not_a_server_error():
    from sales.handlers import api

    grid = {"prices": {"laptop": {"A": -2.581922541898914e+294}}}
    response = call(api.handler, "PUT", "/sales/price-grid", "admin", grid)
    assert response.status == 422
    assert "body.prices" in response.body["message"]


def test_every_route_of_a_document_is_in_its_access_table():
    for service in DOCUMENTS:
        listed = {key for key, _ in operations(service)}
        assert listed == set(services_tables()[service]), service


def test_an_operation_is_summed_up_by_its_first_sentence_or_else_by_who_may_call_it():
    assert served("access")["paths"]["/keys"]["get"]["summary"] == "The keys issued, active and revoked, oldest first"
    assert served("sales")["paths"]["/sales/{sale_id}/handover"]["post"]["summary"] == "For point_of_sale, admin"


@pytest.mark.parametrize("service", DOCUMENTS)
def test_a_document_names_the_guide_to_its_rules_and_the_guide_exists(service):
    from devtools.localcloud.paths import ROOT

    guide = served(service)["info"]["description"].rsplit("Rules and workflows: ", 1)[1].rstrip(".")
    assert (ROOT / guide).is_file(), guide


def test_a_route_that_a_retry_may_replay_lists_the_idempotency_key_header_and_no_other_does():
    def header_of(service, path, method):
        parameters = served(service)["paths"][path][method].get("parameters", [])
        return [p for p in parameters if p["in"] == "header"]

    (header,) = header_of("allocation", "/referrals", "post")
    assert header["name"] == "idempotency-key" and not header["required"]
    assert "same body" in header["description"]
    assert header_of("access", "/keys", "post") == []  # its answer holds the key: never replayed
