"""HTTP API Lambda authorizer: `Authorization: Bearer <credential>` → partner identity.

The credential is either a partner system's API key or a person's ID token from the people
pool (`gateway/people_tokens.py`, told apart by their shape); both give the handlers the same
context (`partner_id`, `role`, `territory`, see shared/partners.py), so a social worker in the
portal and their organisation's case software are the same partner to every route. One
authorizer for both, so that a route needs no second one and the HTTP API's cache serves both.

Keys are looked up, by their SHA-256, in the gateway's key table (`gateway/key_store.py`);
administrators issue and revoke them through `/access/keys` (`gateway/keys_api.py`). Each
decision is kept in this instance's memory for `KEY_CACHE_SECONDS` (template parameter
`PartnerKeyCacheSeconds`, 15 s), and the HTTP API keeps our answer as long: a revoked key
stops working within twice that time, 30 s. A token's decision is kept as long, never past
the token's own expiry (the HTTP API's cache may serve it up to that long after it).
"""

from __future__ import annotations

import functools
import os
import time
from collections import OrderedDict
from typing import Any, Callable

from shared.observability import entry_point, logger

from key_store import PartnerKeyStore, hash_of
import people_tokens

DEFAULT_CACHE_SECONDS = 15.0
# Bounds the memory a flood of made-up keys can take; the oldest decisions go first.
MAX_CACHED_DECISIONS = 1024


def cache_seconds() -> float:
    return float(os.environ.get("KEY_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


# One store per warm function; its boto3 client is made on first use.
store = functools.cache(lambda: PartnerKeyStore(os.environ["PARTNER_KEYS_TABLE"]))


# The context handed to the routes: partner_id, role, territory, and which credential (key id or person).
Identity = dict[str, str]


class DecisionCache:
    """The identity each recently presented credential gave (None: refused), by its hash, for a
    fixed time (a token's: never past its expiry). Only hashes are kept, never a credential."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self._decisions: OrderedDict[str, tuple[float, Identity | None]] = OrderedDict()

    def get(self, key_hash: str, look_up: Callable[[], tuple[Identity | None, float | None]]) -> Identity | None:
        """`look_up` gives the decision and, for a token, how many seconds it remains valid."""
        now = self.clock()
        cached = self._decisions.get(key_hash)
        if cached and cached[0] > now:
            return cached[1]
        decision, remaining = look_up()
        keep = self.seconds if remaining is None else max(0.0, min(self.seconds, remaining))
        self._decisions[key_hash] = (now + keep, decision)
        self._decisions.move_to_end(key_hash)
        while len(self._decisions) > MAX_CACHED_DECISIONS:
            self._decisions.popitem(last=False)
        return decision

    def clear(self) -> None:
        self._decisions.clear()


decisions = DecisionCache(cache_seconds())


def presented_key(authorization: str | None) -> str | None:
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    return authorization[7:].strip() or None


def identity_of_key(secret: str) -> tuple[Identity | None, None]:
    key = store().find(secret)
    if key is None or not key.active:
        return None, None
    return {"partner_id": key.partner_id, "role": key.role.value, "territory": key.territory,
            "key_id": key.key_id}, None


def identity_of_person(token: str) -> tuple[Identity | None, float | None]:
    try:
        person = people_tokens.verify(token, os.environ["PEOPLE_POOL_ID"], os.environ["PEOPLE_POOL_CLIENT_ID"])
    except people_tokens.InvalidToken as refusal:
        logger.info("person's token refused", extra={"reason": str(refusal)})  # never the token
        return None, None
    return {"partner_id": person.partner_id, "role": person.role, "territory": person.territory,
            "key_id": f"person:{person.subject}"}, person.expires_at - time.time()


def find_partner(authorization: str | None) -> Identity | None:
    credential = presented_key(authorization)
    if credential is None:
        return None
    if people_tokens.looks_like_a_token(credential):
        return decisions.get(hash_of(credential), lambda: identity_of_person(credential))
    return decisions.get(hash_of(credential), lambda: identity_of_key(credential))


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    identity = find_partner(headers.get("authorization"))
    if identity is None:
        logger.info("request refused: no active key or valid token")  # never the credential
        return {"isAuthorized": False}
    return {"isAuthorized": True, "context": identity}
