"""Who may call each of allocation's routes, and on which objects (see shared/access.py).

A referral partner reaches its own registration, the referrals it made and the reservations
made for them; administrators register partners, edit the policies and look into the pool.
"""

from __future__ import annotations

from shared.access import Ownership, Reach, admins_only, every_role, grant
from shared.partners import Role

OWN = Reach.OWN

ROUTES = {
    "GET /health": every_role(),
    "PUT /partners/{partner_id}": admins_only("referral partner", "registers a referral partner"),
    "GET /partners/{partner_id}": grant("referral partner", "its own registration", referrer=OWN),
    "POST /referrals": grant(None, "refers a beneficiary of its own", referrer=OWN),
    "GET /referrals": grant(None, "its own referrals; admins name the partner with ?partner_id=", referrer=OWN),
    "GET /referrals/{referral_id}": grant("referral", referrer=OWN),
    "POST /referrals/{referral_id}/cancellation": grant("referral", referrer=OWN),
    "GET /reservations/{reservation_id}": grant("reservation", "made for one of its referrals", referrer=OWN),
    "POST /reservations/{reservation_id}/release": grant("reservation", referrer=OWN),
    "DELETE /beneficiaries/{beneficiary_ref}": grant(
        "beneficiary", "erases one of its own beneficiaries; admins name the partner with ?partner_id=",
        referrer=OWN),
    "GET /devices/{device_id}": admins_only("device", "a device as the pool knows it"),
    "GET /policies/eligibility": admins_only(),
    "PUT /policies/eligibility": admins_only(),
    "GET /policies/matching": admins_only(),
    "PUT /policies/matching": admins_only(),
}


def referrer_ownership(partner_id: str, territory: str | None = None) -> Ownership:
    """A referral, a reservation or a registration: owned by the referring partner."""
    return Ownership(owners={Role.REFERRER: partner_id}, territory=territory)
