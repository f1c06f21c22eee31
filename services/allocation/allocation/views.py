"""What allocation's API answers about referrals and reservations: the response models (so that
the OpenAPI document describes every field and its allowed values) and the functions that
build them from the stored aggregates.

A view is built through its model, so the document and the answers cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.events.vocabulary import BeneficiaryCategory, DeviceType, DonorType, Grade, ReleaseReason

from allocation.domain.devices import AvailableDevice
from allocation.domain.eligibility import EligibilityRules
from allocation.domain.matching import (
    MatchingPolicy,
    FIRST_IN_LINE,
    KEPT_FOR_TERRITORY,
    NO_REQUIREMENT,
    OPEN_TO_EVERY_TERRITORY,
    OWN_TERRITORY_DEVICE,
    OWN_TERRITORY_FIRST,
    READY_LATER,
    READY_LONGEST,
    REQUIREMENTS_MET,
    TERRITORY_WINDOW_ENDED,
)
from allocation.domain.needs import Needs, Requirements
from allocation.domain.partners import PartnerRegistration
from allocation.domain.referrals import ForgottenBecause, Priority, Referral, ReferralStatus
from allocation.domain.reservation import Reservation, ReservationStatus
from allocation.domain.waiting_pool import LOWER_PRIORITY, NEEDS_NOT_MET, OTHER_TERRITORY, REFERRED_LATER

ReasonCode = Literal[OPEN_TO_EVERY_TERRITORY, KEPT_FOR_TERRITORY, TERRITORY_WINDOW_ENDED,  # type: ignore[valid-type]
                     REQUIREMENTS_MET, NO_REQUIREMENT, FIRST_IN_LINE, OWN_TERRITORY_DEVICE, READY_LONGEST]
PassedOverCode = Literal[OTHER_TERRITORY, NEEDS_NOT_MET, LOWER_PRIORITY, REFERRED_LATER,  # type: ignore[valid-type]
                         OWN_TERRITORY_FIRST, READY_LATER]


class DeviceSummary(BaseModel):
    device_id: str = Field(description="The reserved device")
    device_type: DeviceType | None = Field(description="What kind of device it is")
    grade: Grade | None = Field(description="Its refurbishment grade, from D (works, visible wear) to Premium")


class Collection(BaseModel):
    """Where the beneficiary collects the device: a point of sale of the territory until it is sold,
    then the point of sale that sold it."""

    territory: str | None = Field(description="Département code: any point of sale of it may sell the device")
    point_of_sale_id: str | None = Field(
        description="The point of sale that sold the device (where it is handed over); null until it is sold")


class MatchReason(BaseModel):
    """One rule of the match, as a code and the facts that go with it (a page words it)."""

    rule: Literal["provenance", "needs", "order"] = Field(description="The matching rule, in the order they apply")
    code: ReasonCode = Field(description=(
        "provenance: open_to_every_territory (a company's device), kept_for_territory (a public body's or "
        "school's device kept for its donor's territory until kept_until), territory_window_ended (it was, until "
        "kept_until; then open to all). needs: requirements_met (every one in requirements), no_requirement. "
        "order: first_in_line (the device went to the referral first in line: priority, then waiting time), "
        "own_territory_device (a device kept for the referral's territory goes first), ready_longest (the "
        "device ready the longest)"))
    donor_type: DonorType | None = Field(None, description="provenance: the kind of donor the device came from")
    donor_territory: str | None = Field(None, description="provenance: the donor's département code")
    kept_until: datetime | None = Field(None, description="provenance: when the device opens (opened) to every "
                                                          "territory")
    requirements: Requirements | None = Field(None, description="needs: the referral's requirements the device meets")
    priority: Priority | None = Field(None, description="order (first_in_line): the referral's priority")
    waiting_since: datetime | None = Field(None, description="order (first_in_line): when the referral was made")
    ready_since: datetime | None = Field(None, description="order: when the device became ready")


class PassedOver(BaseModel):
    code: PassedOverCode = Field(description=(
        "Why these candidates did not get it. A device looking for a referral passed over referrals: "
        "other_territory (the device is kept for another territory), needs_not_met, lower_priority, "
        "referred_later (same priority, waiting less long). A referral looking for a device passed over devices: "
        "other_territory (kept for another territory), needs_not_met, own_territory_device_first (open devices, "
        "while one kept for its territory was there), ready_later"))
    count: int = Field(ge=1, description="How many candidates this rule passed over")


class MatchExplanation(BaseModel):
    """Why this device went to this referral, in codes and numbers."""

    trigger: Literal["device_ready", "referral_arrived"] = Field(
        description="device_ready: the device became ready and looked for a referral; referral_arrived: the "
                    "referral arrived (or came back in line) and looked for a device")
    decided_at: datetime = Field(description="When the match was made")
    candidates: int = Field(ge=0, description="How many referrals (device_ready) or devices (referral_arrived) "
                                               "were looked at")
    reasons: list[MatchReason] = Field(description="The rules that made this match, one per rule; empty for a "
                                                   "reservation made before reasons were recorded")
    passed_over: list[PassedOver] = Field(description="The other candidates, counted by the rule that passed "
                                                      "them over")


class ReservationView(BaseModel):
    reservation_id: str = Field(description="The reservation")
    device_id: str = Field(description="The device it holds")
    referral_id: str = Field(description="The referral it was made for")
    status: ReservationStatus = Field(description="active: held for the beneficiary until held_until; "
                                                  "fulfilled: sold; released: ended without a sale")
    reserved_at: datetime = Field(description="When it was made")
    held_until: datetime = Field(description="When it expires if the device was not sold")
    device: DeviceSummary = Field(description="What was reserved")
    collect_at: Collection = Field(description="Where the beneficiary collects the device")
    matching: MatchExplanation = Field(description="Why the device went to this referral, as codes and numbers")
    explanation: dict[str, Any] = Field(description="The full record of the decision (rules in words, the policy "
                                                    "applied, the first candidates passed over)")
    sale_id: str | None = Field(description="The sale, once sold")
    sold_at: datetime | None = Field(description="When it was sold")
    released_at: datetime | None = Field(description="When it ended without a sale")
    released_because: ReleaseReason | None = Field(description="Why it ended without a sale")
    release_note: str | None = Field(description="The partner's words when it released the reservation")
    cancelled_sale_ids: list[str] = Field(description="Sales of this reservation that were cancelled")


class ReferralView(BaseModel):
    referral_id: str = Field(description="The referral")
    partner_id: str = Field(description="The referring partner")
    beneficiary_ref: str | None = Field(description="The partner's pseudonym for the person; null once forgotten")
    category: BeneficiaryCategory = Field(description="The programme's audience the person belongs to")
    territory: str = Field(description="The beneficiary's département code")
    commune: str | None = Field(description="INSEE code of the beneficiary's commune, if given")
    eligibility_proof_ref: str | None = Field(description="The partner's reference of the eligibility proof it "
                                                          "checked; null once forgotten")
    needs: Needs = Field(description="The needs diagnosis")
    priority: Priority = Field(description="1 urgent, 2 high, 3 normal")
    accompaniment_wanted: bool = Field(description="The beneficiary wants a social centre's help with the device")
    status: ReferralStatus = Field(description=(
        "waiting: in line for a device; reserved: a device is held for the person; fulfilled: the device was "
        "sold to them; cancelled: the partner withdrew it; expired: the reserved device was not collected in time"))
    created_at: datetime = Field(description="When it was made (its place in line)")
    fulfilled_at: datetime | None = Field(description="When the device was sold to the person")
    closed_at: datetime | None = Field(description="When it was cancelled or expired")
    closed_because: str | None = Field(description="Why it was cancelled (the partner's words) or expired")
    device_id: str | None = Field(description="The device reserved or sold for it")
    reservation_id: str | None = Field(description="Its current (or last) reservation")
    declined_device_ids: list[str] = Field(description="Devices the partner released for it: never offered again")
    forgotten_at: datetime | None = Field(description="When what names the person was dropped")
    forgotten_because: ForgottenBecause | None = Field(description="Why it was forgotten")
    reservation: ReservationView | None = Field(None, description="Its reservation (the device, where to collect "
                                                                  "it, why it was matched); null if none")


class ReferralPage(BaseModel):
    partner_id: str = Field(description="Whose referrals")
    status: ReferralStatus | None = Field(description="The status asked for; null: every status")
    items: list[ReferralView] = Field(description="This page's referrals, newest first")
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last")
    total: int | None = Field(description="Not counted (null): counting would read the whole list")


class PartnerView(PartnerRegistration):
    partner_id: str = Field(description="The referral partner's id (its API key's)")
    registered_at: datetime = Field(description="When an administrator first registered it")
    updated_at: datetime = Field(description="When its registration last changed")


class _StoredPolicyView(BaseModel):
    version: int = Field(description="0: the defaults, never changed; then one more at each change")
    changed_by: str | None = Field(description="The administrator who made the last change")
    changed_at: datetime | None = Field(description="When")


class EligibilityRulesView(_StoredPolicyView):
    policy: EligibilityRules = Field(description="The rules applied to every new referral")


class MatchingPolicyView(_StoredPolicyView):
    policy: MatchingPolicy = Field(description="The policy applied to every new match")


def matching_view(explanation: dict[str, Any]) -> dict[str, Any]:
    """The coded part of a stored explanation."""
    passed_over = explanation.get("passed_over_by_reason", {})
    return {"trigger": explanation["trigger"], "decided_at": explanation["decided_at"],
            "candidates": explanation.get("candidates", 0), "reasons": explanation.get("reasons", []),
            "passed_over": [{"code": code, "count": group["count"]} for code, group in passed_over.items()]}


def reservation_view(reservation: Reservation, device: AvailableDevice | None = None,
                     territory: str | None = None) -> dict[str, Any]:
    """`device` and `territory` (the referral's) stand in for what reservations made before they were
    kept on them lack."""
    body = reservation.model_dump(mode="json", exclude={"version", "partner_id", "correlation_id", "device_type",
                                                        "grade", "territory", "point_of_sale_id"})
    body |= {
        "device": {"device_id": reservation.device_id,
                   "device_type": reservation.device_type or (device.device_type if device else None),
                   "grade": reservation.grade or (device.grade if device else None)},
        "collect_at": {"territory": reservation.territory or territory, "point_of_sale_id": reservation.point_of_sale_id},
        "matching": matching_view(reservation.explanation),
    }
    return ReservationView.model_validate(body).model_dump(mode="json")


def referral_view(referral: Referral, reservation: dict[str, Any] | None = None) -> dict[str, Any]:
    body = referral.model_dump(mode="json", exclude={"version"}) | {"reservation": reservation}
    return ReferralView.model_validate(body).model_dump(mode="json")
