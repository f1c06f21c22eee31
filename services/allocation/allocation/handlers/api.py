"""Allocation's partner endpoints, under /allocation. See docs/services/allocation.md.

- administrators: register referral partners (`PUT /partners/<id>`), edit the eligibility
  rules and the matching policy (`/policies/eligibility`, `/policies/matching`), look at a
  device of the pool (`GET /devices/<id>`);
- referral partners: refer (`POST /referrals`), list their referrals (`GET /referrals`), follow a
  referral and its reservation with
  the explanation of the match, withdraw a referral (`POST /referrals/<id>/cancellation`),
  release a reservation whose device does not suit (`POST /reservations/<id>/release`),
  erase a beneficiary they referred (`DELETE /beneficiaries/<beneficiary_ref>`).
"""

from __future__ import annotations

import functools

from datetime import datetime, timezone
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from shared.errors import InvalidInput, NotFound
from shared.http import ServiceApi, json_response
from shared.observability import entry_point, logger
from shared.outbox import ConcurrencyConflict
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page
from shared.partners import Role
from shared.personal_data import free_text
from shared.retry import retry_on_conflict

from allocation import forgetting, reservations, views
from allocation.access import ROUTES, referrer_ownership
from allocation.adapters.repository import AllocationRepository, StoredPolicy
from allocation.domain.devices import AvailableDevice
from allocation.domain.eligibility import EligibilityRules
from allocation.domain.matching import MatchingPolicy
from allocation.domain.partners import PartnerRegistration, ReferralPartner
from allocation.domain.referrals import Referral, ReferralRequest, ReferralStatus
from allocation.domain.reservation import Reservation
from allocation.views import (
    EligibilityRulesView,
    MatchingPolicyView,
    PartnerView,
    ReferralPage,
    ReferralView,
    ReservationView,
)

app = ServiceApi("allocation", ROUTES)
# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(AllocationRepository)

PARTNER_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
PartnerId = Annotated[str, Path(pattern=PARTNER_ID, description="The referral partner's id (its API key's)")]
BeneficiaryRef = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,64}$",
                                     description="The partner's pseudonymous reference for the person")]
ReferralId = Annotated[str, Path(description="The referral's id (POST /referrals answered it)")]
ReservationId = Annotated[str, Path(description="The reservation's id (a referral's reservation_id)")]
DeviceId = Annotated[str, Path(description="The device's id")]


def now() -> datetime:
    return datetime.now(timezone.utc)


# A partner's words about a withdrawal: about the situation, never naming or locating the person.
WithdrawalReason = free_text(500, "say why, without naming or locating the person")


class Withdrawal(BaseModel):
    """Why a partner withdraws a referral or releases a reservation (kept with it, never published:
    ReservationReleased carries a reason code)."""

    model_config = ConfigDict(extra="forbid")
    reason: Annotated[WithdrawalReason, Field(description=(
        "Why, in at most 500 characters, about the situation: never the person's name, contact or address "
        "(refused)"))]


def _cause() -> reservations.Cause:
    return reservations.Cause(correlation_id=app.correlation_id())


# --- views ----------------------------------------------------------------------------------------

def _reservation_view(reservation: Reservation, territory: str | None = None) -> dict[str, Any]:
    device = None if reservation.device_type and reservation.grade else repository().get_device(reservation.device_id)
    return views.reservation_view(reservation, device, territory)


def _referral_view(referral: Referral, reservation: Reservation | None = None) -> dict[str, Any]:
    if reservation is None and referral.reservation_id:
        reservation = repository().get_reservation(referral.reservation_id)
    return views.referral_view(referral, _reservation_view(reservation, referral.territory) if reservation else None)


def _referral_page(page: Page, **context: Any) -> dict[str, Any]:
    """A page of referrals with their reservations, read together."""
    reservations = repository().reservations([r.reservation_id for r in page.items if r.reservation_id])
    return page.body(lambda referral: _referral_view(referral, reservations.get(referral.reservation_id)), **context)


def _partner_view(partner: ReferralPartner) -> dict[str, Any]:
    return PartnerView.model_validate(partner.model_dump(exclude={"version"})).model_dump(mode="json")


def _policy_view(stored: StoredPolicy) -> dict[str, Any]:
    return {"version": stored.version, "changed_by": stored.changed_by, "changed_at": stored.changed_at,
            "policy": stored.policy.model_dump(mode="json")}


def _documented(model: type[BaseModel], status: int = 200, description: str = "Successful Response") -> dict:
    """An operation's success response, its body described by `model` in the OpenAPI document."""
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}


# --- access ---------------------------------------------------------------------------------------

def _own_referral(referral_id: str) -> Referral:
    """The referral, if the caller is its partner (or an administrator): others get a 404."""
    referral = repository().get_referral(referral_id)
    app.require_reach(referrer_ownership(referral.partner_id) if referral else None, f"no referral {referral_id}")
    return referral


def _own_reservation(reservation_id: str) -> Reservation:
    reservation = repository().get_reservation(reservation_id)
    app.require_reach(referrer_ownership(reservation.partner_id) if reservation else None,
                      f"no reservation {reservation_id}")
    return reservation


# --- endpoints ------------------------------------------------------------------------------------

@app.get("/health")
def health() -> dict[str, str]:
    return {"service": "allocation", "status": "ok"}


@app.put("/partners/<partner_id>", responses={
    **_documented(PartnerView, 201, "Registered"),
    **_documented(PartnerView, 200, "Already registered: changed, or as it was")})
def register_partner(partner_id: PartnerId, registration: PartnerRegistration):
    """An administrator registers a referral partner, or changes its registration."""

    def attempt():
        existing = repository().get_partner(partner_id)
        if existing is not None and PartnerRegistration.model_validate(
                existing.model_dump(include=set(PartnerRegistration.model_fields))) == registration:
            return json_response(200, _partner_view(existing))
        at = now()
        partner = ReferralPartner(
            partner_id=partner_id, registered_at=existing.registered_at if existing else at, updated_at=at,
            version=existing.version if existing else 0, **registration.model_dump())
        repository().commit(save=(partner,))  # changed meanwhile: the retry compares with that one
        logger.info("referral partner registered", extra={"partner_id": partner_id, "territory": partner.territory})
        return json_response(200 if existing else 201, _partner_view(partner))

    try:
        return retry_on_conflict(attempt, what="registering a referral partner", attempts=2)
    except ConcurrencyConflict:
        raise ConcurrencyConflict(f"partner {partner_id} is being registered: retry") from None


@app.get("/partners/<partner_id>", responses=_documented(PartnerView))
def get_partner(partner_id: PartnerId) -> dict[str, Any]:
    partner = repository().get_partner(partner_id)
    app.require_reach(referrer_ownership(partner_id) if partner else None, f"no referral partner {partner_id}")
    return _partner_view(partner)


@app.post("/referrals", status_code=201, responses=_documented(
    ReferralView, 201, "Referred: reserved at once if a device fits, otherwise waiting"))
@app.replayable
def refer(request: ReferralRequest):
    partner = app.partner()
    referral = reservations.refer(repository(), partner.partner_id, request, now(), _cause())
    return json_response(201, _referral_view(referral))


@app.get("/referrals", responses=_documented(ReferralPage))
def list_referrals(
        status: Annotated[ReferralStatus | None, Query(description="Only the referrals in this status")] = None,
        partner_id: Annotated[str | None, Query(pattern=PARTNER_ID, description=(
            "Whose referrals (administrators, who must name one); a referral partner always reads its own"))] = None,
        cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> dict[str, Any]:
    """A partner's referrals, newest first, each with its reservation (device, where to collect it,
    why it was matched)."""
    caller = app.partner()
    if caller.role is Role.REFERRER:
        partner_id = caller.partner_id
    elif not partner_id:
        raise InvalidInput("partner_id: say whose referrals to list")
    page = repository().referrals_of_partner(partner_id, status, cursor=cursor, limit=limit)
    return _referral_page(page, partner_id=partner_id, status=status.value if status else None)


@app.get("/referrals/<referral_id>", responses=_documented(ReferralView))
def get_referral(referral_id: ReferralId) -> dict[str, Any]:
    return _referral_view(_own_referral(referral_id))


@app.post("/referrals/<referral_id>/cancellation", responses=_documented(ReferralView))
@app.replayable
def cancel_referral(referral_id: ReferralId, withdrawal: Withdrawal) -> dict[str, Any]:
    referral = _own_referral(referral_id)
    cancelled = reservations.cancel_referral(repository(), referral.referral_id, withdrawal.reason, now(), _cause())
    return _referral_view(cancelled)


@app.get("/reservations/<reservation_id>", responses=_documented(ReservationView))
def get_reservation(reservation_id: ReservationId) -> dict[str, Any]:
    return _reservation_view(_own_reservation(reservation_id))


@app.post("/reservations/<reservation_id>/release", responses=_documented(ReservationView))
@app.replayable
def release_reservation(reservation_id: ReservationId, withdrawal: Withdrawal) -> dict[str, Any]:
    reservation = _own_reservation(reservation_id)
    released = reservations.release(repository(), reservation.reservation_id, withdrawal.reason, now(), _cause())
    return _reservation_view(released)


@app.delete("/beneficiaries/<beneficiary_ref>")
def erase_beneficiary(
        beneficiary_ref: BeneficiaryRef,
        partner_id: Annotated[str | None, Query(pattern=PARTNER_ID,
                                                description="The referring partner (administrators only)")] = None,
) -> dict[str, Any]:
    """The referring partner erases a beneficiary it referred: their referrals are withdrawn if open,
    then forgotten here and in sales. 404 for a reference this partner does not hold (never referred,
    another partner's, or already erased)."""
    caller = app.partner()
    # a referrer names its own beneficiaries only: the reference is looked up among its referrals
    referrer = caller.partner_id if caller.role is Role.REFERRER else partner_id
    erasure = None
    if referrer:
        erasure = forgetting.erase_beneficiary(repository(), referrer, beneficiary_ref, now(), _cause())
    if erasure is None:
        raise NotFound("no such beneficiary among this partner's referrals")  # never echo the pseudonym
    return {"erased": erasure.view()}


@app.get("/devices/<device_id>")
def get_device(device_id: DeviceId) -> dict[str, Any]:
    """A device as allocation knows it (in the pool, reserved or sold): administrators only."""
    device: AvailableDevice | None = repository().get_device(device_id)
    if device is None:
        raise NotFound(f"no device {device_id} in allocation")
    return device.model_dump(mode="json", exclude={"version"})


@app.get("/policies/eligibility", responses=_documented(EligibilityRulesView))
def get_eligibility_rules() -> dict[str, Any]:
    return _policy_view(repository().policy("eligibility"))


@app.put("/policies/eligibility", responses=_documented(EligibilityRulesView))
def put_eligibility_rules(rules: EligibilityRules) -> dict[str, Any]:
    return _save_policy("eligibility", rules)


@app.get("/policies/matching", responses=_documented(MatchingPolicyView))
def get_matching_policy() -> dict[str, Any]:
    return _policy_view(repository().policy("matching"))


@app.put("/policies/matching", responses=_documented(MatchingPolicyView))
def put_matching_policy(policy: MatchingPolicy) -> dict[str, Any]:
    return _save_policy("matching", policy)


def _save_policy(kind: str, policy: EligibilityRules | MatchingPolicy) -> dict[str, Any]:
    """The whole policy, replaced; it applies to the decisions taken from now on."""
    admin = app.partner()
    current = repository().policy(kind)
    repository().save_policy(kind, policy, current.version, admin.partner_id, now())
    logger.info("policy changed", extra={"policy": kind, "changed_by": admin.partner_id})
    return _policy_view(repository().policy(kind))


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
