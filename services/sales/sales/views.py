"""What sales' routes answer, as models: the OpenAPI document shows each field with its meaning."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from shared.events.vocabulary import DeviceType, FaultCategory, Grade

from sales.domain.figures import SalesFigures
from sales.domain.pricing import PriceGrid
from sales.domain.sale import Sale


class Quote(BaseModel):
    """The price of a reserved device at a point of sale of its territory."""

    device_id: str = Field(description="The device: what POST /sales names")
    label_code: str | None = Field(None, description="The code on its label (SV-XXXX-XXXX), if sales heard it "
                                                     "at the device's reception")
    reservation_id: str = Field(description="The reservation it would be sold on")
    device_type: DeviceType = Field(description="The device's type")
    grade: Grade = Field(description="The device's grade, set by the workshop")
    price_eur: Decimal = Field(description="The price from the current grid (euros): the payments must add up to it")
    reserved_until: datetime | None = Field(None, description="When the reservation lapses if the device is not sold")

    @classmethod
    def of(cls, reservation: dict[str, Any], price: Decimal, label_code: str | None) -> Quote:
        return cls(device_id=reservation["device_id"], label_code=label_code,
                   reservation_id=reservation["reservation_id"], device_type=reservation["device_type"],
                   grade=reservation["grade"], price_eur=price, reserved_until=reservation.get("expires_at"))


class SalesPage(BaseModel):
    """A page of the point of sale's sales, the newest first."""

    items: list[Sale] = Field(description="The sales of this page")
    next_cursor: str | None = Field(description="Pass it as ?cursor= for the next page; null on the last")
    total: int | None = Field(None, description="Not counted for this list (null)")


class OpenedClaim(BaseModel):
    """A warranty claim just opened: the device goes back to the workshop."""

    claim_id: str = Field(description="The claim's id")
    claim_reference: str = Field(description="What the buyer, the point of sale and the workshop quote: "
                                             "the receipt number and the claim's number on it (…-W1)")
    sale_id: str = Field(description="The sale under warranty")
    device_id: str = Field(description="The device brought back")
    fault_category: FaultCategory = Field(description="What the device does wrong")
    warranty_ends_on: date = Field(description="The last day of the warranty")


class PublishedGrid(PriceGrid):
    """The price grid in force."""

    version: int = Field(description="0 while the default grid is in force; each change adds one")


class FiguresReport(SalesFigures):
    """Sales figures from `since` to `until` (a point of sale: its own sales only)."""

    since: date = Field(description="The first day counted")
    until: date = Field(description="The last day counted (today by default)")


def json_content(model: type[BaseModel], description: str) -> dict[str, Any]:
    """A route's success response for its OpenAPI operation, with its model."""
    return {"description": description, "content": {"application/json": {"model": model}}}
