"""Anyone reads an API's OpenAPI document, before holding a key: its own route on the HTTP API,
more specific than the service's proxy route, has no authorizer. Only that path is public."""

from __future__ import annotations

import pytest

from tests.localcloud.cloud import LocalCloud

APIS = ["intake", "refurb", "allocation", "sales", "access", "operations"]


@pytest.mark.parametrize("api", APIS)
def test_the_document_is_served_without_a_key_for_the_api_prefix(local_cloud: LocalCloud, api: str):
    response = local_cloud.call("GET", f"/{api}/openapi.json", None)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["servers"] == [{"url": f"/{api}"}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_a_key_nobody_holds_does_not_stop_anyone_reading_the_document(local_cloud: LocalCloud):
    assert local_cloud.call("GET", "/sales/openapi.json", "nobody").status_code == 200


def test_the_rest_of_the_api_still_needs_a_key(local_cloud: LocalCloud):
    assert local_cloud.call("GET", "/sales/health", None).status_code == 401
    assert local_cloud.call("POST", "/sales/openapi.json", None).status_code == 401  # GET only
    assert local_cloud.call("GET", "/sales/openapi", None).status_code == 401  # the former path is gone
    assert local_cloud.call("GET", "/sales/openapi", "admin").status_code == 404
