"""HTTP API Lambda authorizer: an API key in `Authorization: Bearer <key>` → partner identity.

Keys come from the `PARTNER_KEYS` environment variable (a JSON object: key → {partner_id,
role, territory}), set from the template's `PartnerApiKeys` parameter. This is the simplest
authorizer that keeps identity out of request bodies; a JWT or Cognito authorizer can replace
it as long as it passes the same context (see shared/partners.py).
"""

from __future__ import annotations

import hmac
import json
import os
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _partner_keys() -> dict[str, dict[str, str]]:
    return json.loads(os.environ.get("PARTNER_KEYS") or "{}")


def find_partner(authorization: str | None) -> dict[str, str] | None:
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    presented = authorization[7:].strip()
    for key, partner in _partner_keys().items():
        if hmac.compare_digest(key.encode(), presented.encode()):
            return partner
    return None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    partner = find_partner(headers.get("authorization"))
    if partner is None:
        return {"isAuthorized": False}
    return {
        "isAuthorized": True,
        "context": {
            "partner_id": partner["partner_id"],
            "role": partner["role"],
            "territory": partner.get("territory", ""),
        },
    }
