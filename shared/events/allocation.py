"""Events published by allocation. Beneficiaries appear only as pseudonymous referral ids."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

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
    territory: str = Field(pattern=r"^(\d{2,3}|2A|2B)$",
                           description="The beneficiary's département: the points of sale that may sell it")


class ReservationReleased(_AllocationEvent):
    """A reservation ended without a sale; the device is available again."""

    EVENT_TYPE = "ReservationReleased"

    reservation_id: str
    referral_id: str
    reason: str
