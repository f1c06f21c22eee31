"""A reservation: one device held for one referral until it is sold or released.

    active -> fulfilled     the device was sold to the beneficiary (DeviceSold)
    active -> released      no sale: the hold passed (expired), the partner released it or
                            cancelled the referral
    fulfilled -> released   the sale was cancelled before handover (SaleCancelled)

A released reservation stays released: a device going back to someone gets a new
reservation. Every reservation keeps the explanation of the match that made it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from shared.errors import RuleViolation
from shared.events.vocabulary import DeviceType, Grade
from shared.events.vocabulary import ReleaseReason  # noqa: F401  (the contract's words; imported from here too)


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    FULFILLED = "fulfilled"
    RELEASED = "released"


class Reservation(BaseModel):
    reservation_id: str
    device_id: str
    referral_id: str
    partner_id: str
    """The referring partner: it may see and release the reservation."""
    status: ReservationStatus = ReservationStatus.ACTIVE
    reserved_at: datetime
    held_until: datetime
    explanation: dict[str, Any]
    device_type: DeviceType | None = None
    grade: Grade | None = None
    """What was reserved, as the device was when it was reserved (None on reservations made before
    they were kept here: then the device's projection says)."""
    territory: str | None = None
    """The beneficiary's département: any point of sale of it may sell the device (DeviceReserved.territory)."""
    sale_id: str | None = None
    point_of_sale_id: str | None = None
    """Where the device was sold (DeviceSold), so where the beneficiary collects it."""
    sold_at: datetime | None = None
    released_at: datetime | None = None
    released_because: ReleaseReason | None = None
    release_note: str | None = None
    cancelled_sale_ids: tuple[str, ...] = ()
    """Sales of this reservation that were cancelled: a DeviceSold for one of them arriving late is old news."""
    correlation_id: str | None = None
    """The flow of the DeviceReserved event: the release is announced in the same flow."""
    version: int = 0

    def is_due(self, now: datetime) -> bool:
        return self.status is ReservationStatus.ACTIVE and self.held_until <= now

    def fulfilled(self, sale_id: str, at: datetime, point_of_sale_id: str | None = None) -> Reservation:
        if self.status is not ReservationStatus.ACTIVE:
            raise RuleViolation(f"reservation {self.reservation_id} is {self.status}: it cannot be sold")
        return self.model_copy(update={"status": ReservationStatus.FULFILLED, "sale_id": sale_id, "sold_at": at,
                                       "point_of_sale_id": point_of_sale_id})

    def released(self, because: ReleaseReason, at: datetime, note: str | None = None) -> Reservation:
        if self.status is ReservationStatus.RELEASED:
            raise RuleViolation(f"reservation {self.reservation_id} is already released")
        if self.status is ReservationStatus.FULFILLED and because is not ReleaseReason.SALE_CANCELLED:
            raise RuleViolation(f"reservation {self.reservation_id} was sold: only a cancelled sale releases it")
        return self.model_copy(update={"status": ReservationStatus.RELEASED, "released_at": at,
                                       "released_because": because, "release_note": note})

    def without_note(self) -> Reservation:
        """The partner's free-text note dropped (its referral is forgotten)."""
        return self.model_copy(update={"release_note": None})

    def with_cancelled_sale(self, sale_id: str) -> Reservation:
        return self.model_copy(update={"cancelled_sale_ids": (*self.cancelled_sale_ids, sale_id)})
