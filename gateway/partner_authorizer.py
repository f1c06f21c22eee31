"""HTTP API Lambda authorizer: an API key in `Authorization: Bearer <key>` → partner identity.

Keys are looked up, by their SHA-256, in the gateway's key table (`gateway/key_store.py`);
administrators issue and revoke them through `/access/keys` (`gateway/keys_api.py`). Each
decision is kept in this instance's memory for `KEY_CACHE_SECONDS` (template parameter
`PartnerKeyCacheSeconds`, 15 s), and the HTTP API keeps our answer as long: a revoked key
stops working within twice that time, 30 s. This is the simplest authorizer that keeps
identity out of request bodies; a JWT or Cognito authorizer can replace it as long as it
passes the same context (see shared/partners.py).
"""

from __future__ import annotations

import functools
import os
import time
from collections import OrderedDict
from typing import Any, Callable

from shared.observability import entry_point, logger

from key_store import PartnerKey, PartnerKeyStore, hash_of

DEFAULT_CACHE_SECONDS = 15.0
# Bounds the memory a flood of made-up keys can take; the oldest decisions go first.
MAX_CACHED_DECISIONS = 1024


def cache_seconds() -> float:
    return float(os.environ.get("KEY_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


# One store per warm function; its boto3 client is made on first use.
store = functools.cache(lambda: PartnerKeyStore(os.environ["PARTNER_KEYS_TABLE"]))


class DecisionCache:
    """The identity each recently presented key gave (None: refused), by the key's hash, for a
    fixed time. Only hashes are kept, never a key."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self._decisions: OrderedDict[str, tuple[float, PartnerKey | None]] = OrderedDict()

    def get(self, key_hash: str, look_up: Callable[[], PartnerKey | None]) -> PartnerKey | None:
        now = self.clock()
        cached = self._decisions.get(key_hash)
        if cached and cached[0] > now:
            return cached[1]
        decision = look_up()
        if decision is not None and not decision.active:
            decision = None
        self._decisions[key_hash] = (now + self.seconds, decision)
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


def find_partner(authorization: str | None) -> PartnerKey | None:
    secret = presented_key(authorization)
    if secret is None:
        return None
    return decisions.get(hash_of(secret), lambda: store().find(secret))


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    partner = find_partner(headers.get("authorization"))
    if partner is None:
        logger.info("request refused: no active key")  # never the presented key
        return {"isAuthorized": False}
    return {
        "isAuthorized": True,
        "context": {
            "partner_id": partner.partner_id,
            "role": partner.role.value,
            "territory": partner.territory,
            "key_id": partner.key_id,
        },
    }
