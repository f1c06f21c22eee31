"""Events published by sales."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from shared.events.envelope import DomainEvent


class _SalesEvent(DomainEvent):
    SOURCE_SERVICE = "sales"


class DeviceSold(_SalesEvent):
    """A reserved device was sold at a point of sale; a receipt was issued."""

    EVENT_TYPE = "DeviceSold"

    sale_id: str
    reservation_id: str
    point_of_sale_id: str
    receipt_number: str
    price_eur: Decimal = Field(ge=0, decimal_places=2)


class SaleCancelled(_SalesEvent):
    """A sale was cancelled before handover and refunded."""

    EVENT_TYPE = "SaleCancelled"

    sale_id: str
    reservation_id: str
    refund_eur: Decimal = Field(ge=0, decimal_places=2)


class DeviceHandedOver(_SalesEvent):
    """The device was handed over to the beneficiary."""

    EVENT_TYPE = "DeviceHandedOver"

    sale_id: str
    point_of_sale_id: str


class WarrantyClaimOpened(_SalesEvent):
    """A beneficiary brought a device back under warranty."""

    EVENT_TYPE = "WarrantyClaimOpened"

    claim_id: str
    sale_id: str
    fault: str = Field(min_length=1)
