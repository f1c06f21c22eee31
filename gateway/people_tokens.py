"""A person's Cognito ID token → the partner identity they act for.

People log in to the portal with the people pool (template.yaml `PeoplePool`). Their ID
token is an RS256 JWT signed by the pool: its `cognito:groups` names their role (exactly
one of shared/partners.py's roles), `custom:partner_id` and `custom:territory` the partner
they act for. The authorizer turns it into the same context as that partner's API key, so
the handlers never know which of the two was presented.

The pool's public keys (JWKS) are fetched once per warm function and kept; a token signed
by a key the function has not seen makes it fetch them again (key rotation).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

# What a token must say to be taken: a person's ID token (not an access token) of our client.
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "token_use"]
# Seconds of clock difference tolerated between Cognito and this function.
LEEWAY_SECONDS = 30


class InvalidToken(Exception):
    """The token cannot be taken (signature, issuer, audience, expiry, or what it names)."""


@dataclass(frozen=True)
class Person:
    subject: str
    partner_id: str
    role: str
    territory: str
    expires_at: int


def looks_like_a_token(credential: str) -> bool:
    """A JWT is three base64url parts; an API key (`devtools/partner_keys.py`) never has a dot."""
    return credential.count(".") == 2


def issuer(pool_id: str) -> str:
    region = pool_id.split("_", 1)[0]
    # Built rather than read from the pool's ProviderURL, which the local cloud cannot resolve.
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def keys_url(pool_id: str) -> str:
    """Where the pool publishes its keys: Cognito's own host, or the local cloud's when the
    functions run there (AWS_ENDPOINT_URL, set by the emulator)."""
    local_cloud = os.environ.get("AWS_ENDPOINT_URL")
    base = local_cloud.rstrip("/") if local_cloud else issuer(pool_id)
    if local_cloud:
        base = f"{base}/{pool_id}"
    return f"{base}/.well-known/jwks.json"


@functools.cache
def _key_client(url: str):
    import jwt  # only when a token is presented: API keys never pay for loading cryptography

    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


def verify(token: str, pool_id: str, client_id: str) -> Person:
    """The person a valid ID token names; InvalidToken otherwise (the reason is for logs only)."""
    import jwt

    try:
        signing_key = _key_client(keys_url(pool_id)).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token, signing_key.key, algorithms=["RS256"], audience=client_id, issuer=issuer(pool_id),
            leeway=LEEWAY_SECONDS, options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(type(error).__name__) from None
    if claims.get("token_use") != "id":
        raise InvalidToken("not an ID token")
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):  # some issuers flatten the list
        groups = groups.strip("[]").replace(",", " ").split()
    if len(groups) != 1:
        raise InvalidToken(f"a person has exactly one role; this token names {len(groups)}")
    partner_id = claims.get("custom:partner_id")
    if not partner_id:
        raise InvalidToken("no partner id")
    return Person(subject=claims["sub"], partner_id=partner_id, role=groups[0],
                  territory=claims.get("custom:territory") or "", expires_at=int(claims["exp"]))
