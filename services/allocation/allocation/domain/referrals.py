"""A referral: a partner's advisor asks for a device for one beneficiary, known only by pseudonym.

`beneficiary_ref` is the partner's own reference for the person; it is unique per partner,
so the beneficiary's identity inside this service is the pair (partner_id, beneficiary_ref).
No name, address or benefit detail is ever asked for (the pattern rejects spaces), and the
pseudonym never leaves allocation: events carry the referral id only.

Life of a referral (`REFERRAL_TRANSITIONS` is the whole state machine):

    waiting  -> reserved                 a device was reserved for it
    reserved -> fulfilled                the device was sold to the beneficiary
    reserved -> waiting                  the reservation was released without a sale (the
                                         partner released it): back in line at its original
                                         place
    fulfilled -> waiting                 the sale was cancelled before handover (refunded):
                                         back in line at its original place
    waiting | reserved -> cancelled      the partner withdrew it
    waiting | reserved -> expired        it lapsed: the reservation was not collected within
                                         the hold (the service's schedule decides)

A closed referral (fulfilled, cancelled, expired) is *forgotten* at the end of the retention
period, or at once when the referring partner asks to erase the beneficiary (`forgotten`):
the pseudonym, the eligibility proof's reference, the commune, the needs and the free-text
reason are dropped; what counts need (partner, category, territory, priority, status, dates,
device) stays. docs/services/allocation.md, "Retention and erasure".
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import RuleViolation
from shared.events.vocabulary import BeneficiaryCategory

from allocation.domain.needs import Needs, Requirements

TERRITORY = r"^(\d{2,3}|2A|2B)$"
COMMUNE = r"^(\d{5}|2[AB]\d{3})$"
"""An INSEE commune code: it starts with its département's code (35238 Rennes, 2A004 Ajaccio, 97411 Saint-Denis)."""


def commune_in_territory(commune: str, territory: str) -> bool:
    return commune.startswith(territory)


class Priority(IntEnum):
    """Set by the referring partner. Lower goes first; within a priority, longest waiting first."""

    URGENT = 1
    HIGH = 2
    NORMAL = 3


class ReferralStatus(StrEnum):
    WAITING = "waiting"
    RESERVED = "reserved"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


REFERRAL_TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.WAITING: frozenset({ReferralStatus.RESERVED, ReferralStatus.CANCELLED, ReferralStatus.EXPIRED}),
    ReferralStatus.RESERVED: frozenset({ReferralStatus.FULFILLED, ReferralStatus.WAITING,
                                        ReferralStatus.CANCELLED, ReferralStatus.EXPIRED}),
    ReferralStatus.FULFILLED: frozenset({ReferralStatus.WAITING}),
    ReferralStatus.CANCELLED: frozenset(),
    ReferralStatus.EXPIRED: frozenset(),
}

OPEN_STATUSES = frozenset({ReferralStatus.WAITING, ReferralStatus.RESERVED})
CLOSED_STATUSES = frozenset({ReferralStatus.FULFILLED, ReferralStatus.CANCELLED, ReferralStatus.EXPIRED})


class ForgottenBecause(StrEnum):
    RETENTION = "retention period ended"
    ERASURE = "erasure requested by the referring partner"


class ReferralRequest(BaseModel):
    """What a partner's advisor sends. `beneficiary_ref` is the partner's pseudonym for the person."""

    model_config = ConfigDict(extra="forbid")

    beneficiary_ref: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$",
        description="The partner's own pseudonymous reference for the person, e.g. a case number (never a name: "
                    "letters, digits and ._:- only); unique per partner")
    category: BeneficiaryCategory = Field(description=(
        "The programme's audience the person belongs to: minimum_social_benefits (receives a minimum social "
        "benefit), job_seeker, young_person (16-25 in an integration scheme), student"))
    territory: str | None = Field(
        default=None, pattern=TERRITORY,
        description="Département code of the beneficiary, e.g. 35; by default the referring partner's territory, "
                    "and it must be that territory")
    commune: str | None = Field(
        default=None, pattern=COMMUNE,
        description="INSEE code of the beneficiary's commune, e.g. 35238; if the partner serves a list of "
                    "communes, one of them")
    eligibility_proof_ref: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$",
        description="The partner's reference of the eligibility proof it checked (the proof stays with it)")
    needs: Needs = Field(default_factory=Needs, description="Needs diagnosis; by default nothing is required")
    priority: Priority = Field(default=Priority.NORMAL, description="1 urgent, 2 high, 3 normal")
    accompaniment_wanted: bool = Field(
        default=False, description="The beneficiary wants a social centre's help to start with the device (a "
                                   "session booked by the point of sale at handover)")


class Referral(BaseModel):
    referral_id: str
    partner_id: str
    beneficiary_ref: str | None = None
    """None once forgotten."""
    category: BeneficiaryCategory
    territory: str
    commune: str | None = None
    eligibility_proof_ref: str | None = None
    needs: Needs = Field(default_factory=Needs)
    priority: Priority = Priority.NORMAL
    accompaniment_wanted: bool = False
    status: ReferralStatus = ReferralStatus.WAITING
    created_at: datetime
    fulfilled_at: datetime | None = None
    closed_at: datetime | None = None
    closed_because: str | None = None
    device_id: str | None = None
    reservation_id: str | None = None
    declined_device_ids: tuple[str, ...] = ()
    """Devices whose reservation the partner released for this referral: never offered to it again."""
    forgotten_at: datetime | None = None
    forgotten_because: ForgottenBecause | None = None
    version: int = 0

    @property
    def requirements(self) -> Requirements:
        """What a device must have to be reserved for it (its needs diagnosis's requirements)."""
        return self.needs.requirements

    @property
    def waiting_since(self) -> str:
        """When it was referred, in ISO 8601: its place in line, as explanations quote it."""
        return self.created_at.isoformat()

    @property
    def closed_since(self) -> datetime | None:
        """When it was fulfilled or closed: the retention period runs from then."""
        if self.status is ReferralStatus.FULFILLED:
            return self.fulfilled_at
        return self.closed_at if self.status in CLOSED_STATUSES else None

    def forgotten(self, at: datetime, because: ForgottenBecause) -> Referral:
        """A closed referral's copy that names no one: only what counts need is kept."""
        if self.status not in CLOSED_STATUSES:
            raise RuleViolation(f"referral {self.referral_id} is {self.status}: it is closed before it is forgotten")
        return self.model_copy(update={
            "beneficiary_ref": None, "eligibility_proof_ref": None, "commune": None, "needs": Needs(),
            "accompaniment_wanted": False, "closed_because": None, "declined_device_ids": (),
            "forgotten_at": at, "forgotten_because": because})

    @property
    def beneficiary_key(self) -> tuple[str, str]:
        """Who the beneficiary is, as far as this service may know: the partner and its pseudonym."""
        return (self.partner_id, self.beneficiary_ref)

    def moved_to(self, status: ReferralStatus, at: datetime, because: str | None = None) -> Referral:
        """A copy in the new status (same version: the repository's conditional write checks it).

        `because` is recorded when the referral closes (cancelled, expired)."""
        if status not in REFERRAL_TRANSITIONS[self.status]:
            raise RuleViolation(f"referral {self.referral_id} cannot go from {self.status} to {status}")
        changes: dict = {"status": status}
        if status is ReferralStatus.FULFILLED:
            changes["fulfilled_at"] = at
        elif status in (ReferralStatus.CANCELLED, ReferralStatus.EXPIRED):
            changes |= {"closed_at": at, "closed_because": because}
        elif status is ReferralStatus.WAITING:
            changes |= {"device_id": None, "reservation_id": None, "fulfilled_at": None}
        return self.model_copy(update=changes)

    def declining(self, device_id: str) -> Referral:
        """A copy that will never be offered `device_id` again."""
        return self.model_copy(update={"declined_device_ids": (*self.declined_device_ids, device_id)})
