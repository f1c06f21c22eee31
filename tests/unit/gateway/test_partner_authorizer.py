"""The HTTP API authorizer: a partner's key gives its identity; anything else gives nothing."""

from __future__ import annotations

import json

import pytest

import partner_authorizer
from tests.unit.support import LambdaContext

KEYS = {
    "key-donor-35": {"partner_id": "donor-departement-35", "role": "donor", "territory": "35"},
    "key-pos": {"partner_id": "pos-rennes-centre", "role": "point_of_sale"},
}


@pytest.fixture(autouse=True)
def partner_keys(monkeypatch):
    monkeypatch.setenv("PARTNER_KEYS", json.dumps(KEYS))
    partner_authorizer._partner_keys.cache_clear()
    yield
    partner_authorizer._partner_keys.cache_clear()


def authorize(headers: dict | None) -> dict:
    event = {"version": "2.0", "type": "REQUEST", "routeArn": "arn:aws:execute-api:us-east-1:123:api/$default/GET/x",
             "rawPath": "/intake/health", "headers": headers}
    return partner_authorizer.handler(event, LambdaContext())


def test_the_right_key_authorizes_with_the_partner_identity():
    assert authorize({"authorization": "Bearer key-donor-35"}) == {
        "isAuthorized": True,
        "context": {"partner_id": "donor-departement-35", "role": "donor", "territory": "35"},
    }


def test_header_name_and_scheme_are_case_insensitive():
    result = authorize({"Authorization": "bearer key-pos"})
    assert result["isAuthorized"] is True
    assert result["context"] == {"partner_id": "pos-rennes-centre", "role": "point_of_sale", "territory": ""}


@pytest.mark.parametrize("headers", [
    {"authorization": "Bearer wrong-key"},
    {"authorization": "Bearer key-donor-3"},       # a prefix of a real key
    {"authorization": "Bearer key-donor-35x"},     # a real key with more
    {"authorization": "key-donor-35"},              # no scheme
    {"authorization": "Basic key-donor-35"},
    {"authorization": "Bearer "},
    {"x-api-key": "key-donor-35"},
    {},
    None,
], ids=["wrong", "prefix", "longer", "no-scheme", "basic", "empty", "other-header", "no-header", "no-headers"])
def test_a_wrong_or_missing_key_is_not_authorized(headers):
    assert authorize(headers) == {"isAuthorized": False}


def test_no_configured_keys_authorizes_nobody(monkeypatch):
    monkeypatch.delenv("PARTNER_KEYS")
    partner_authorizer._partner_keys.cache_clear()
    assert authorize({"authorization": "Bearer key-donor-35"}) == {"isAuthorized": False}
    assert authorize({"authorization": "Bearer "}) == {"isAuthorized": False}
