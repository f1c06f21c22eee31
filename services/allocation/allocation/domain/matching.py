"""Which waiting referral gets which ready device, and why.

The foundation rule is the fair one: the referral that has waited longest gets the next
ready device. Every reservation stores its explanation (the rule applied and the
candidates passed over), so a social worker can be told why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.events.vocabulary import BeneficiaryCategory, DeviceSpecs, DeviceType, Grade, Provenance

RESERVATION_HOLD = timedelta(days=14)


class ReferralStatus(StrEnum):
    WAITING = "waiting"
    RESERVED = "reserved"
    FULFILLED = "fulfilled"


class DeviceStatus(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    SOLD = "sold"


class ReferralRequest(BaseModel):
    """What a partner's advisor sends. `beneficiary_ref` is the partner's pseudonym for the person."""

    model_config = ConfigDict(extra="forbid")

    beneficiary_ref: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    category: BeneficiaryCategory
    territory: str = Field(pattern=r"^(\d{2,3}|2A|2B)$")
    eligibility_proof_ref: str = Field(min_length=1, max_length=64)


class Referral(BaseModel):
    referral_id: str
    partner_id: str
    beneficiary_ref: str
    category: BeneficiaryCategory
    territory: str
    eligibility_proof_ref: str
    status: ReferralStatus = ReferralStatus.WAITING
    created_at: datetime
    device_id: str | None = None
    reservation_id: str | None = None
    version: int = 0


class AvailableDevice(BaseModel):
    device_id: str
    grade: Grade
    device_type: DeviceType
    specs: DeviceSpecs
    provenance: Provenance
    ready_at: datetime
    status: DeviceStatus = DeviceStatus.AVAILABLE
    reservation_id: str | None = None
    version: int = 0


@dataclass(frozen=True)
class Match:
    device: AvailableDevice
    referral: Referral
    explanation: dict = field(default_factory=dict)


def longest_waiting_first(device: AvailableDevice, waiting: list[Referral]) -> Match | None:
    if not waiting:
        return None
    ordered = sorted(waiting, key=lambda r: (r.created_at, r.referral_id))
    chosen, others = ordered[0], ordered[1:]
    return Match(device, chosen, {
        "rule": "longest waiting referral first",
        "chosen": {"referral_id": chosen.referral_id, "waiting_since": chosen.created_at.isoformat()},
        "passed_over": [
            {"referral_id": r.referral_id, "why": "referred later"} for r in others[:10]
        ],
    })


def oldest_device_first(referral: Referral, available: list[AvailableDevice]) -> Match | None:
    if not available:
        return None
    ordered = sorted(available, key=lambda d: (d.ready_at, d.device_id))
    chosen = ordered[0]
    return Match(chosen, referral, {
        "rule": "a new referral takes the device that has been ready longest",
        "chosen": {"device_id": chosen.device_id, "ready_since": chosen.ready_at.isoformat()},
        "passed_over": [{"device_id": d.device_id, "why": "ready later"} for d in ordered[1:10]],
    })


def reservation_deadline(reserved_at: datetime) -> datetime:
    return reserved_at + RESERVATION_HOLD
