"""A person's ID token: taken when the people pool signed it for the portal's client and it names
one role and a partner; then the routes get the same identity as that partner's API key."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import partner_authorizer
import people_tokens
from shared.partners import Role
from tests.unit.support import LambdaContext

POOL = "eu-west-3_TestPool1"
CLIENT = "portal-client-id"


class Keys:
    """What PyJWKClient would have fetched: the pool's signing key, by kid."""

    def __init__(self):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def get_signing_key_from_jwt(self, token):
        kid = jwt.get_unverified_header(token).get("kid")
        if kid != "pool-key":
            raise jwt.PyJWKClientError("no key with this kid")
        return jwt.PyJWK.from_dict({**jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True),
                                    "kid": "pool-key", "alg": "RS256", "use": "sig"})


@pytest.fixture
def pool(monkeypatch) -> Keys:
    keys = Keys()
    monkeypatch.setattr(people_tokens, "_key_client", lambda url: keys)
    monkeypatch.setenv("PEOPLE_POOL_ID", POOL)
    monkeypatch.setenv("PEOPLE_POOL_CLIENT_ID", CLIENT)
    return keys


def token(keys: Keys, *, private=None, kid="pool-key", algorithm="RS256", **changes) -> str:
    now = int(time.time())
    claims = {"sub": "person-1", "iss": people_tokens.issuer(POOL), "aud": CLIENT, "token_use": "id",
              "iat": now, "exp": now + 900, "cognito:groups": ["referrer"], "email": "a@b.test",
              "custom:partner_id": "social-services-35", "custom:territory": "35"}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, private or keys.private, algorithm=algorithm, headers={"kid": kid})


def test_a_valid_id_token_names_the_person_and_the_partner_they_act_for(pool):
    person = people_tokens.verify(token(pool), POOL, CLIENT)
    assert (person.partner_id, person.role, person.territory, person.subject) == (
        "social-services-35", "referrer", "35", "person-1")


@pytest.mark.parametrize("changes", [
    {"aud": "another-client"},
    {"iss": "https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_OtherPool"},
    {"exp": int(time.time()) - 120},
    {"token_use": "access"},
    {"cognito:groups": ["referrer", "admin"]},
    {"cognito:groups": []},
    {"custom:partner_id": None},
    {"exp": None},
], ids=["audience", "issuer", "expired", "access-token", "two-roles", "no-role", "no-partner", "no-expiry"])
def test_a_token_that_is_not_a_person_s_id_token_for_this_portal_is_refused(pool, changes):
    with pytest.raises(people_tokens.InvalidToken):
        people_tokens.verify(token(pool, **changes), POOL, CLIENT)


def test_a_token_signed_by_another_key_or_not_signed_is_refused(pool):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for forged in (token(pool, private=stranger), token(pool, kid="other"),
                   jwt.encode({"sub": "x"}, key=None, algorithm="none")):
        with pytest.raises(people_tokens.InvalidToken):
            people_tokens.verify(forged, POOL, CLIENT)


def authorize(credential: str) -> dict:
    event = {"version": "2.0", "type": "REQUEST", "rawPath": "/allocation/health",
             "headers": {"authorization": f"Bearer {credential}"}}
    return partner_authorizer.handler(event, LambdaContext())


def test_a_person_and_their_partner_s_key_give_the_routes_the_same_identity(pool, key_store):
    key, _ = key_store.issue("social-services-35", Role.REFERRER, "35", issued_by="association-admin")
    by_key, by_token = authorize(key)["context"], authorize(token(pool))["context"]
    assert by_token.pop("key_id") == "person:person-1"
    by_key.pop("key_id")
    assert by_token == by_key == {"partner_id": "social-services-35", "role": "referrer", "territory": "35"}


def test_a_refused_token_is_not_authorized_and_never_logged(pool, capsys):
    forged = token(pool, aud="another-client")
    assert authorize(forged) == {"isAuthorized": False}
    assert forged not in capsys.readouterr().out


def test_a_token_s_decision_is_not_kept_past_its_expiry(pool, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(partner_authorizer, "decisions", partner_authorizer.DecisionCache(15, lambda: clock[0]))
    verified = []
    real_verify = people_tokens.verify
    monkeypatch.setattr(people_tokens, "verify", lambda *a: verified.append(1) or real_verify(*a))
    short, long = token(pool, exp=int(time.time()) + 5), token(pool, sub="person-2")
    for credential in (short, long):
        assert authorize(credential)["isAuthorized"] is True
    clock[0] += 6  # within the cache's 15 s but past the short token's expiry
    for credential in (short, long):
        authorize(credential)
    assert len(verified) == 3  # the short one was checked again; the long one's decision was kept
