"""Who is calling: the partner identity the API's authorizer put in the request context.

Identity and role are never read from the request body or headers: the authorizer (see
`gateway/partner_authorizer.py`) authenticates the caller and passes `partner_id`, `role`
and `territory` in `requestContext.authorizer.lambda`. Replacing that authorizer (JWT,
Cognito) changes nothing here as long as it passes the same context.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    DONOR = "donor"
    WAREHOUSE = "warehouse"
    WORKSHOP = "workshop"
    REFERRER = "referrer"
    POINT_OF_SALE = "point_of_sale"
    ADMIN = "admin"


@dataclass(frozen=True)
class Partner:
    partner_id: str
    role: Role
    territory: str | None = None


def partner_from_authorizer(authorizer_context: dict | None) -> Partner:
    context = authorizer_context or {}
    partner_id, role = context.get("partner_id"), context.get("role")
    if not partner_id or not role:
        raise Unauthenticated("no partner identity in the request (is the API's authorizer attached?)")
    try:
        return Partner(partner_id=partner_id, role=Role(role), territory=context.get("territory") or None)
    except ValueError:
        raise Forbidden(f"unknown partner role {role!r}") from None
