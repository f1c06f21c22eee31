"""Events published by sales."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from shared.events.envelope import DomainEvent
from shared.events.vocabulary import Code, FaultCategory, Id


class _SalesEvent(DomainEvent):
    SOURCE_SERVICE = "sales"


class DeviceSold(_SalesEvent):
    """A reserved device was sold at a point of sale; a receipt was issued."""

    EVENT_TYPE = "DeviceSold"

    sale_id: Id
    reservation_id: Id
    point_of_sale_id: Id
    receipt_number: Code
    price_eur: Decimal = Field(ge=0, decimal_places=2)


class SaleCancelled(_SalesEvent):
    """A sale was cancelled before handover and refunded."""

    EVENT_TYPE = "SaleCancelled"

    sale_id: Id
    reservation_id: Id
    refund_eur: Decimal = Field(ge=0, decimal_places=2)


class DeviceHandedOver(_SalesEvent):
    """The device was handed over to the beneficiary."""

    EVENT_TYPE = "DeviceHandedOver"

    sale_id: Id
    point_of_sale_id: Id


class WarrantyClaimOpened(_SalesEvent):
    """A beneficiary brought a device back under warranty.

    The point of sale's note about the fault stays in sales: the workshop reads the category
    and, with the device in hand, finds the rest."""

    EVENT_TYPE = "WarrantyClaimOpened"

    claim_id: Id
    claim_reference: Code = Field(description="What the point of sale and the workshop quote, e.g. "
                                              "pos-1-2026-000001-W1 (the sale's receipt, then the claim's number)")
    sale_id: Id
    fault_category: FaultCategory
