"""A sale at a point of sale: how it is paid, and the rule that it pays exactly the quote."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import RuleViolation


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


def check_payments_match(payments: list[Payment], price: Decimal) -> None:
    paid = sum((p.amount_eur for p in payments), Decimal("0"))
    if paid != price:
        raise RuleViolation(f"payments total {paid} € but the quoted price is {price} €")
