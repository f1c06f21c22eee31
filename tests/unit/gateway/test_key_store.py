"""The key table keeps keys hashed, names them by a public id, and remembers revocations."""

from __future__ import annotations

import hashlib
import json

import pytest

from shared.errors import NotFound
from shared.partners import Role
from tests.unit.support import all_items


def test_an_issued_key_is_a_long_random_token_stored_only_as_its_sha256(key_store, dynamodb, keys_table):
    secret, key = key_store.issue("pos-brest", Role.POINT_OF_SALE, "29", issued_by="association-admin")
    other, _ = key_store.issue("pos-brest", Role.POINT_OF_SALE, "29", issued_by="association-admin")
    assert secret.startswith("sv_") and len(secret) >= 3 + 43 and other != secret  # 32 random bytes, urlsafe
    [stored, _] = sorted(all_items(dynamodb, keys_table), key=lambda i: i["key_id"] != key.key_id)
    assert stored["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(all_items(dynamodb, keys_table))
    assert stored | {"key_hash": "…"} == {
        "key_hash": "…", "key_id": key.key_id, "partner_id": "pos-brest", "role": "point_of_sale", "territory": "29",
        "label": "", "issued_at": key.issued_at, "issued_by": "association-admin",
    }


def test_a_presented_key_is_found_by_its_hash_and_nothing_else_is(key_store):
    secret, key = key_store.issue("workshop-brest", Role.WORKSHOP, "29", issued_by="association-admin",
                                  label="bench 2")
    assert key_store.find(secret) == key
    for presented in (secret[:-1], secret + "x", secret.upper(), "", "x" * 10_000):
        assert key_store.find(presented) is None


def test_the_view_of_a_key_never_holds_its_secret_or_hash(key_store):
    secret, key = key_store.issue("donor-29", Role.DONOR, "29", issued_by="association-admin")
    view = json.dumps(key.view())
    assert secret not in view and hashlib.sha256(secret.encode()).hexdigest() not in view
    assert key.view()["status"] == "active"


def test_revoking_keeps_the_record_with_who_and_when_and_a_second_revocation_changes_nothing(key_store):
    secret, key = key_store.issue("donor-29", Role.DONOR, "29", issued_by="association-admin")
    revoked = key_store.revoke(key.key_id, revoked_by="admin-a")
    assert revoked.revoked_by == "admin-a" and revoked.revoked_at and not revoked.active
    assert key_store.find(secret) == revoked
    assert key_store.revoke(key.key_id, revoked_by="admin-b") == revoked


def test_revoking_an_unknown_key_is_not_found(key_store):
    with pytest.raises(NotFound):
        key_store.revoke("key_000000000000", revoked_by="association-admin")


def test_keys_are_listed_oldest_first_and_by_partner(key_store):
    _, first = key_store.issue("pos-brest", Role.POINT_OF_SALE, "29", issued_by="a")
    _, second = key_store.issue("donor-29", Role.DONOR, "29", issued_by="a")
    _, third = key_store.issue("pos-brest", Role.POINT_OF_SALE, "29", issued_by="a")
    assert {k.key_id for k in key_store.list()} == {first.key_id, second.key_id, third.key_id}
    assert {k.key_id for k in key_store.list("pos-brest")} == {first.key_id, third.key_id}
    assert key_store.list("nobody") == []


def test_keeping_a_known_key_is_idempotent_and_makes_it_active_again(key_store, dynamodb, keys_table):
    kept = key_store.keep("dev-donor-key", "donor-35", Role.DONOR, "35", issued_by="seed", label="local partner")
    assert key_store.keep("dev-donor-key", "donor-35", Role.DONOR, "35", issued_by="seed",
                          label="local partner") == kept
    key_store.revoke(kept.key_id, revoked_by="someone")
    assert key_store.keep("dev-donor-key", "donor-35", Role.DONOR, "35", issued_by="seed",
                          label="local partner") == kept
    assert key_store.find("dev-donor-key") == kept and len(all_items(dynamodb, keys_table)) == 1

