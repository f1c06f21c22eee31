"""A sale at a point of sale, from payment to handover, accompaniment and warranty.

    sold ──handover──► handed_over ──(warranty claim within the period)──► claim opened
      └──cancel (refund)──► cancelled

Only a device not yet handed over can be cancelled; the warranty runs from the handover.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import RuleViolation
from shared.events.vocabulary import FaultCategory, Id
from shared.personal_data import free_text

WARRANTY_DAYS = 365  # refurbished devices: a year from handover (configurable per deployment)

# A point of sale's words stay in sales (events carry codes), and never name or locate a person.
CancellationReason = free_text(500, "say why the sale is cancelled, not who the buyer is")
FaultNote = free_text(1000, "describe the fault, not the person")


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    CHEQUE = "cheque"
    THIRD_PARTY = "third_party"  # a social fund or another payer on the beneficiary's behalf


class Payment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: PaymentMethod
    amount_eur: Decimal = Field(gt=0, decimal_places=2)


class SaleRequest(BaseModel):
    """What a point of sale sends; payments may be split between several methods."""

    model_config = ConfigDict(extra="forbid")
    device_id: str = Field(min_length=1)
    payments: list[Payment] = Field(min_length=1)


class CancellationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: CancellationReason
    refunds: list[Payment] = Field(min_length=1)


class Cancellation(BaseModel):
    """A cancellation as kept with its sale: the reason is dropped when the sale is forgotten."""

    reason: str | None = None
    refunds: list[Payment]


class ForgottenBecause(StrEnum):
    RETENTION = "retention period ended"
    ERASURE = "erasure requested by the referring partner"


class HandoverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    handed_over_on: date


class AccompanimentBooking(BaseModel):
    """An onboarding session at a social centre, booked at handover."""

    model_config = ConfigDict(extra="forbid")
    social_centre_id: Id = Field(max_length=64)
    slot_starts_at: datetime


class AccompanimentOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attended: bool


class WarrantyClaimRequest(BaseModel):
    """What the point of sale says about a device brought back: a category the workshop acts on
    (announced in WarrantyClaimOpened) and, if it helps, a note that stays in sales."""

    model_config = ConfigDict(extra="forbid")
    fault_category: FaultCategory = Field(description=", ".join(c.value for c in FaultCategory))
    note: FaultNote | None = None


class WarrantyClaim(BaseModel):
    """A claim as sales keeps it; `reference` is what the beneficiary, the point of sale and the workshop quote."""

    claim_id: str
    reference: str
    fault_category: FaultCategory
    note: str | None = None  # the point of sale's words: never in an event
    opened_on: date


class SaleStatus(StrEnum):
    SOLD = "sold"
    HANDED_OVER = "handed_over"
    CANCELLED = "cancelled"


class Sale(BaseModel):
    sale_id: str
    device_id: str
    reservation_id: str
    point_of_sale_id: str
    beneficiary_category: str | None = None
    year: int
    sequence: int
    receipt_number: str
    price_eur: Decimal
    payments: list[Payment]
    sold_at: datetime
    status: SaleStatus = SaleStatus.SOLD
    cancellation: Cancellation | None = None
    handed_over_on: date | None = None
    warranty_ends_on: date | None = None
    accompaniment: AccompanimentBooking | None = None
    accompaniment_attended: bool | None = None
    warranty_claims: list[WarrantyClaim] = Field(default_factory=list)
    forgotten_at: datetime | None = None
    forgotten_because: ForgottenBecause | None = None
    version: int = 0

    def cancel(self, request: CancellationRequest) -> None:
        if self.status is not SaleStatus.SOLD:
            raise RuleViolation(f"sale is {self.status.value}: only a sale not yet handed over can be cancelled")
        check_payments_match(request.refunds, self.price_eur, what="refunds")
        self.cancellation = Cancellation(reason=request.reason, refunds=request.refunds)
        self.status = SaleStatus.CANCELLED

    def forgotten(self, at: datetime, because: ForgottenBecause) -> Sale:
        """A copy without the free text a point of sale typed; on an erasure, without the beneficiary's
        category either. Status, price, payments, dates and accompaniment stay: the figures count them."""
        changes: dict = {"forgotten_at": at, "forgotten_because": because}
        if self.cancellation is not None:
            changes["cancellation"] = self.cancellation.model_copy(update={"reason": None})
        if because is ForgottenBecause.ERASURE:
            changes["beneficiary_category"] = None
        return self.model_copy(update=changes)

    def hand_over(self, on: date, warranty_days: int = WARRANTY_DAYS) -> None:
        if self.status is not SaleStatus.SOLD:
            raise RuleViolation(f"sale is {self.status.value}: only a sold device can be handed over")
        if on < self.sold_at.date():
            raise RuleViolation(f"handed_over_on {on} is before the sale ({self.sold_at.date()})")
        self.handed_over_on = on
        self.warranty_ends_on = on + timedelta(days=warranty_days)
        self.status = SaleStatus.HANDED_OVER

    def book_accompaniment(self, booking: AccompanimentBooking) -> None:
        if self.status is SaleStatus.CANCELLED:
            raise RuleViolation("sale is cancelled: no accompaniment to book")
        self.accompaniment = booking
        self.accompaniment_attended = None

    def record_accompaniment(self, attended: bool) -> None:
        if self.accompaniment is None:
            raise RuleViolation("no accompaniment session was booked for this sale")
        self.accompaniment_attended = attended

    def open_warranty_claim(self, claim_id: str, request: WarrantyClaimRequest, today: date) -> WarrantyClaim:
        if self.status is not SaleStatus.HANDED_OVER or self.warranty_ends_on is None:
            raise RuleViolation("the warranty runs from the handover: this device was not handed over")
        if today > self.warranty_ends_on:
            raise RuleViolation(f"the warranty ended on {self.warranty_ends_on}: the claim is refused")
        reference = claim_reference(self.receipt_number, len(self.warranty_claims) + 1)
        claim = WarrantyClaim(claim_id=claim_id, reference=reference, fault_category=request.fault_category,
                              note=request.note, opened_on=today)
        self.warranty_claims.append(claim)
        return claim


def claim_reference(receipt_number: str, number: int) -> str:
    """The sale's receipt number and the claim's number on it: pos-1-2026-000001-W1, -W2…"""
    return f"{receipt_number}-W{number}"


def check_payments_match(payments: list[Payment], price: Decimal, what: str = "payments") -> None:
    paid = sum((p.amount_eur for p in payments), Decimal("0"))
    if paid != price:
        raise RuleViolation(f"{what} total {paid} € but the quoted price is {price} €")
