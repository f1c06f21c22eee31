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
from shared.events.vocabulary import BeneficiaryCategory, DeviceType, FaultCategory, Grade, Id
from shared.personal_data import free_text

WARRANTY_DAYS = 365  # refurbished devices: a year from handover (configurable per deployment)

# A point of sale's words stay in sales (events carry codes), and never name or locate a person.
CancellationReason = free_text(500, "say why the sale is cancelled, not who the buyer is")
FaultNote = free_text(1000, "describe the fault, not the person")
PRIVACY_RULE = ("Free text about the device or the situation, never about the person: a text that looks "
                "like it holds an e-mail address, a phone number, a postal address or a name after a "
                "civility (\"Mme Martin\") is refused (422). It stays in sales, never in an event, and is "
                "dropped when the sale is forgotten.")


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    CHEQUE = "cheque"
    THIRD_PARTY = "third_party"  # a social fund or another payer on the beneficiary's behalf


class Payment(BaseModel):
    """One part of what the buyer paid (or was refunded): a sale may be split between methods."""

    model_config = ConfigDict(extra="forbid")
    method: PaymentMethod = Field(description="cash, card, cheque, or third_party (a social fund or another "
                                              "payer on the beneficiary's behalf)")
    amount_eur: Decimal = Field(gt=0, decimal_places=2, description="Euros, at most two decimals")


class SaleRequest(BaseModel):
    """What a point of sale sends; payments may be split between several methods."""

    model_config = ConfigDict(extra="forbid")
    device_id: str = Field(min_length=1, description="The reserved device (found by its label: "
                                                     "GET /quotes/by-label/{label_code})")
    payments: list[Payment] = Field(min_length=1, description="They add up to the quoted price exactly (else 409)")


class CancellationRequest(BaseModel):
    """A sale not yet handed over is refunded in full and its device goes back to the pool."""

    model_config = ConfigDict(extra="forbid")
    reason: CancellationReason = Field(description="Why the sale is cancelled. " + PRIVACY_RULE)
    refunds: list[Payment] = Field(min_length=1, description="They add up to the sale's price exactly (else 409)")


class Cancellation(BaseModel):
    """A cancellation as kept with its sale: the reason is dropped when the sale is forgotten."""

    reason: str | None = Field(None, description="The point of sale's words; null once the sale is forgotten")
    refunds: list[Payment] = Field(description="What was given back, by method")


class ForgottenBecause(StrEnum):
    RETENTION = "retention period ended"
    ERASURE = "erasure requested by the referring partner"


class HandoverRequest(BaseModel):
    """The device left the point of sale with its buyer: the warranty starts that day."""

    model_config = ConfigDict(extra="forbid")
    handed_over_on: date = Field(description="The day of the handover, not before the sale")


class AccompanimentBooking(BaseModel):
    """An onboarding session at a social centre, booked at handover."""

    model_config = ConfigDict(extra="forbid")
    social_centre_id: Id = Field(max_length=64, description="The social centre that runs the session "
                                                            "(its partner id)")
    slot_starts_at: datetime = Field(description="When the session starts (ISO 8601, with its offset)")


class AccompanimentOutcome(BaseModel):
    """Whether the buyer came to the booked session (counted in the figures)."""

    model_config = ConfigDict(extra="forbid")
    attended: bool = Field(description="true if the buyer came to the session")


class WarrantyClaimRequest(BaseModel):
    """What the point of sale says about a device brought back: a category the workshop acts on
    (announced in WarrantyClaimOpened) and, if it helps, a note that stays in sales."""

    model_config = ConfigDict(extra="forbid")
    fault_category: FaultCategory = Field(description="What the device does wrong; the workshop acts on it: "
                                                      + ", ".join(c.value for c in FaultCategory))
    note: FaultNote | None = Field(None, description="What the fault looks like, if it helps. " + PRIVACY_RULE)


class WarrantyClaim(BaseModel):
    """A claim as sales keeps it; `reference` is what the beneficiary, the point of sale and the workshop quote."""

    claim_id: str = Field(description="The claim's id")
    reference: str = Field(description="The sale's receipt number and the claim's number on it: …-000001-W1")
    fault_category: FaultCategory = Field(description="What the device does wrong")
    note: str | None = Field(None, description="The point of sale's words: never in an event; null once forgotten")
    opened_on: date = Field(description="The day the claim was opened")


class SaleStatus(StrEnum):
    SOLD = "sold"
    HANDED_OVER = "handed_over"
    CANCELLED = "cancelled"


class Sale(BaseModel):
    """A sale as GET /sales/{sale_id} shows it to its point of sale."""

    sale_id: str = Field(description="The sale's id")
    device_id: str = Field(description="The device sold")
    label_code: str | None = Field(None, description="The code on the device's label (SV-XXXX-XXXX), "
                                                     "if sales heard it at the device's reception")
    device_type: DeviceType | None = Field(None, description="The device's type, as reserved")
    grade: Grade | None = Field(None, description="The device's grade, as reserved (it sets the price)")
    reservation_id: str = Field(description="The reservation the device was sold on")
    point_of_sale_id: str = Field(description="The point of sale that sold it")
    beneficiary_category: BeneficiaryCategory | None = Field(None, description="The buyer's category, as referred (for the "
                                                               "figures); null once the beneficiary is erased")
    year: int = Field(description="The receipt's year")
    sequence: int = Field(description="The receipt's number in the point of sale's year, from 1, with no gap")
    receipt_number: str = Field(description="<point of sale>-<year>-<sequence on 6 digits>: gap-free")
    price_eur: Decimal = Field(description="The price paid, from the price grid (euros)")
    payments: list[Payment] = Field(description="How it was paid, split between methods")
    sold_at: datetime = Field(description="When the sale was recorded (UTC)")
    status: SaleStatus = Field(SaleStatus.SOLD, description="sold, then handed_over; or cancelled (refunded) "
                                                            "before the handover")
    cancellation: Cancellation | None = Field(None, description="The refund, if the sale was cancelled")
    handed_over_on: date | None = Field(None, description="The day the buyer took the device")
    warranty_ends_on: date | None = Field(None, description=f"The last day of the warranty ({WARRANTY_DAYS} days "
                                                            "from the handover)")
    accompaniment: AccompanimentBooking | None = Field(None, description="The onboarding session booked, if any")
    accompaniment_attended: bool | None = Field(None, description="Whether the buyer came to it (null: not "
                                                                  "recorded yet)")
    warranty_claims: list[WarrantyClaim] = Field(default_factory=list, description="Claims opened, oldest first")
    forgotten_at: datetime | None = Field(None, description="When the sale lost its free text (retention or "
                                                            "erasure)")
    forgotten_because: ForgottenBecause | None = Field(None, description="Why it was forgotten")
    version: int = Field(0, exclude=True, description="Optimistic lock, never shown")

    def cancel(self, request: CancellationRequest) -> None:
        if self.status is not SaleStatus.SOLD:
            raise RuleViolation(f"sale is {self.status.value}: only a sale not yet handed over can be cancelled")
        check_payments_match(request.refunds, self.price_eur, what="refunds")
        self.cancellation = Cancellation(reason=request.reason, refunds=request.refunds)
        self.status = SaleStatus.CANCELLED

    def forgotten(self, at: datetime, because: ForgottenBecause) -> Sale:
        """A copy without the free text a point of sale typed (cancellation reason, warranty notes); on an erasure, without the beneficiary's
        category either. Status, price, payments, dates and accompaniment stay: the figures count them."""
        changes: dict = {"forgotten_at": at, "forgotten_because": because}
        if self.cancellation is not None:
            changes["cancellation"] = self.cancellation.model_copy(update={"reason": None})
        changes["warranty_claims"] = [claim.model_copy(update={"note": None}) for claim in self.warranty_claims]
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
