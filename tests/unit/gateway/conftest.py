"""The gateway's key table and people's pool in moto, and no store or cached decision kept from a previous test."""

from __future__ import annotations

import pytest

import keys_api
import partner_authorizer
import people_directory
from key_store import PartnerKeyStore
from tests.unit.support import KEYS_TABLE, PeoplePool, create_keys_table, create_people_pool


@pytest.fixture(autouse=True)
def fresh_gateway_state(monkeypatch):
    """Both functions keep their store, and the authorizer its decisions, per warm process."""
    monkeypatch.setenv("PARTNER_KEYS_TABLE", KEYS_TABLE)
    for module in (keys_api, partner_authorizer):
        module.store.cache_clear()
    keys_api.people.cache_clear()
    people_directory.cognito_client.cache_clear()
    partner_authorizer.decisions.clear()
    yield
    for module in (keys_api, partner_authorizer):
        module.store.cache_clear()
    keys_api.people.cache_clear()
    people_directory.cognito_client.cache_clear()
    partner_authorizer.decisions.clear()


@pytest.fixture
def keys_table(dynamodb) -> str:
    return create_keys_table(dynamodb)


@pytest.fixture
def key_store(keys_table) -> PartnerKeyStore:
    return PartnerKeyStore(keys_table)


@pytest.fixture
def people_pool(aws, monkeypatch) -> PeoplePool:
    pool = create_people_pool()
    monkeypatch.setenv("PEOPLE_POOL_ID", pool.pool_id)
    return pool
