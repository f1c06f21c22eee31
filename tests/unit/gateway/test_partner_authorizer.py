"""The HTTP API authorizer: an active key gives its partner's identity; anything else gives nothing.

A decision is kept for the stated cache time, so a revoked key is refused within that time.
"""

from __future__ import annotations

import pytest

import partner_authorizer
from shared.partners import Role
from tests.unit.support import LambdaContext


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(partner_authorizer, "decisions",
                        partner_authorizer.DecisionCache(partner_authorizer.DEFAULT_CACHE_SECONDS, clock))
    return clock


@pytest.fixture
def keys(key_store, clock) -> dict:
    donor, donor_key = key_store.issue("donor-departement-35", Role.DONOR, "35", issued_by="association-admin")
    pos, pos_key = key_store.issue("pos-rennes-centre", Role.POINT_OF_SALE, "35", issued_by="association-admin")
    return {"donor": donor, "donor_key": donor_key, "pos": pos, "pos_key": pos_key}


def authorize(headers: dict | None) -> dict:
    event = {"version": "2.0", "type": "REQUEST", "routeArn": "arn:aws:execute-api:us-east-1:123:api/$default/GET/x",
             "rawPath": "/intake/health", "headers": headers}
    return partner_authorizer.handler(event, LambdaContext())


def test_the_right_key_authorizes_with_the_partner_identity(keys):
    assert authorize({"authorization": f"Bearer {keys['donor']}"}) == {
        "isAuthorized": True,
        "context": {"partner_id": "donor-departement-35", "role": "donor", "territory": "35",
                    "key_id": keys["donor_key"].key_id},
    }


def test_header_name_and_scheme_are_case_insensitive(keys):
    result = authorize({"Authorization": f"bearer {keys['pos']}"})
    assert result["isAuthorized"] is True
    assert result["context"]["partner_id"] == "pos-rennes-centre" and result["context"]["role"] == "point_of_sale"


@pytest.mark.parametrize("make_headers", [
    lambda k: {"authorization": "Bearer wrong-key"},
    lambda k: {"authorization": f"Bearer {k[:-1]}"},   # a prefix of a real key
    lambda k: {"authorization": f"Bearer {k}x"},       # a real key with more
    lambda k: {"authorization": k},                    # no scheme
    lambda k: {"authorization": f"Basic {k}"},
    lambda k: {"authorization": "Bearer "},
    lambda k: {"x-api-key": k},
    lambda k: {},
    lambda k: None,
], ids=["wrong", "prefix", "longer", "no-scheme", "basic", "empty", "other-header", "no-header", "no-headers"])
def test_a_wrong_or_missing_key_is_not_authorized(keys, make_headers):
    assert authorize(make_headers(keys["donor"])) == {"isAuthorized": False}


def test_an_empty_key_table_authorizes_nobody(keys_table, clock):
    assert authorize({"authorization": "Bearer dev-donor-key"}) == {"isAuthorized": False}


def test_a_revoked_key_is_refused_once_its_cached_decision_expires(keys, key_store, clock):
    header = {"authorization": f"Bearer {keys['donor']}"}
    assert authorize(header)["isAuthorized"] is True
    key_store.revoke(keys["donor_key"].key_id, revoked_by="association-admin")
    clock.now += partner_authorizer.DEFAULT_CACHE_SECONDS - 1
    assert authorize(header)["isAuthorized"] is True  # the stated delay: still cached
    clock.now += 1
    assert authorize(header) == {"isAuthorized": False}
    # a key never presented before its revocation is refused at once
    key_store.revoke(keys["pos_key"].key_id, revoked_by="association-admin")
    assert authorize({"authorization": f"Bearer {keys['pos']}"}) == {"isAuthorized": False}


def test_a_cached_decision_spares_the_table_until_it_expires(keys, clock, monkeypatch):
    header = {"authorization": f"Bearer {keys['donor']}"}
    look_ups = []
    store = partner_authorizer.store()
    monkeypatch.setattr(store, "find", lambda secret, find=store.find: look_ups.append(1) or find(secret))
    for _ in range(5):
        assert authorize(header)["isAuthorized"] is True
        assert authorize({"authorization": "Bearer made-up"}) == {"isAuthorized": False}
    assert len(look_ups) == 2
    clock.now += partner_authorizer.DEFAULT_CACHE_SECONDS
    authorize(header)
    assert len(look_ups) == 3


def test_the_cache_time_comes_from_the_function_configuration(monkeypatch):
    monkeypatch.setenv("KEY_CACHE_SECONDS", "5")
    assert partner_authorizer.cache_seconds() == 5.0
    monkeypatch.delenv("KEY_CACHE_SECONDS")
    assert partner_authorizer.cache_seconds() == partner_authorizer.DEFAULT_CACHE_SECONDS == 15


def test_the_cache_holds_a_bounded_number_of_decisions(keys, clock, monkeypatch):
    monkeypatch.setattr(partner_authorizer, "MAX_CACHED_DECISIONS", 3)
    for n in range(10):
        authorize({"authorization": f"Bearer made-up-{n}"})
    assert len(partner_authorizer.decisions._decisions) == 3


def test_the_presented_key_is_never_logged(keys, caplog):
    authorize({"authorization": f"Bearer {keys['donor']}"})
    authorize({"authorization": "Bearer a-guessed-key-123"})
    logged = "\n".join(str(record.__dict__) for record in caplog.records)  # messages and their extra fields
    assert "request refused" in logged  # the refusal is logged, without what was presented
    assert keys["donor"] not in logged and "a-guessed-key-123" not in logged
