"""Events published by allocation. Beneficiaries appear only as pseudonymous referral ids."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.events.envelope import DomainEvent
from shared.events.vocabulary import BeneficiaryCategory, DeviceType, Grade, Id, ReleaseReason, Territory


class _AllocationEvent(DomainEvent):
    SOURCE_SERVICE = "allocation"


class DeviceReserved(_AllocationEvent):
    """A ready device was reserved for a referral."""

    EVENT_TYPE = "DeviceReserved"

    reservation_id: Id
    referral_id: Id
    beneficiary_category: BeneficiaryCategory
    grade: Grade
    device_type: DeviceType
    expires_at: datetime
    territory: Territory = Field(description="The beneficiary's département: the points of sale that may sell it")


class ReservationReleased(_AllocationEvent):
    """A reservation ended without a sale; the device is available again.

    What the partner wrote about why (a note) stays in allocation."""

    EVENT_TYPE = "ReservationReleased"

    reservation_id: Id
    referral_id: Id
    reason: ReleaseReason


class BeneficiaryErased(_AllocationEvent):
    """The referring partner asked allocation to forget a beneficiary: one event per reservation
    ever made for one of their referrals, so that sales drops what links that device's
    reservation and sale to the person. The subject stays the device, as for every event;
    the referral id is pseudonymous and names no one once allocation has dropped the reference.
    """

    EVENT_TYPE = "BeneficiaryErased"

    reservation_id: Id
    referral_id: Id
