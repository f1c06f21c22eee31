"""Events published by allocation. Beneficiaries appear only as pseudonymous referral ids."""

from __future__ import annotations

from datetime import datetime

from shared.events.envelope import DomainEvent
from shared.events.vocabulary import BeneficiaryCategory, DeviceType, Grade


class _AllocationEvent(DomainEvent):
    SOURCE_SERVICE = "allocation"


class DeviceReserved(_AllocationEvent):
    """A ready device was reserved for a referral."""

    EVENT_TYPE = "DeviceReserved"

    reservation_id: str
    referral_id: str
    beneficiary_category: BeneficiaryCategory
    grade: Grade
    device_type: DeviceType
    expires_at: datetime


class ReservationReleased(_AllocationEvent):
    """A reservation ended without a sale; the device is available again."""

    EVENT_TYPE = "ReservationReleased"

    reservation_id: str
    referral_id: str
    reason: str


class BeneficiaryErased(_AllocationEvent):
    """The referring partner asked allocation to forget a beneficiary: one event per reservation
    ever made for one of their referrals, so that sales drops what links that device's
    reservation and sale to the person. The subject stays the device, as for every event;
    the referral id is pseudonymous and names no one once allocation has dropped the reference.
    """

    EVENT_TYPE = "BeneficiaryErased"

    reservation_id: str
    referral_id: str
