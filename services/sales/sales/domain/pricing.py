"""Solidarity prices: a grid of prices per device type and grade, held as data.

A grid is refused as a whole if one price leaves the solidarity range (60–120 €) or goes
above the legal cap on the solidarity resale of a donated device of its type.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.errors import RuleViolation
from shared.events.vocabulary import DeviceType, Grade

CENT = Decimal("0.01")
SOLIDARITY_FLOOR = Decimal("60")
SOLIDARITY_CEILING = Decimal("120")
# Legal cap on the solidarity resale of a donated public device, per type.
LEGAL_CAP = {
    DeviceType.LAPTOP: Decimal("180"),
    DeviceType.DESKTOP: Decimal("150"),
    DeviceType.TABLET: Decimal("100"),
    DeviceType.PHONE: Decimal("100"),
}


class PriceGrid(BaseModel):
    """A price for every device type and grade, in euros."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prices: dict[DeviceType, dict[Grade, Decimal]] = Field(
        description="Euros for each device type (laptop, desktop, tablet, phone) and grade (D, C, B, A, Premium): "
                    "every pair, each from 60 to 120 € and within its type's legal cap")

    @field_validator("prices")
    @classmethod
    def _in_cents(cls, prices: dict[DeviceType, dict[Grade, Decimal]]) -> dict[DeviceType, dict[Grade, Decimal]]:
        try:
            return {t: {g: p.quantize(CENT) for g, p in row.items()} for t, row in prices.items()}
        except InvalidOperation:  # more digits than a price in cents can hold
            raise ValueError("a price is an amount in euros, such as 90 or 89.90") from None

    @model_validator(mode="after")
    def _within_bounds(self) -> PriceGrid:
        problems = []
        for device_type in DeviceType:
            row = self.prices.get(device_type)
            if row is None:
                problems.append(f"{device_type.value}: no prices")
                continue
            for grade in Grade:
                price = row.get(grade)
                if price is None:
                    problems.append(f"{device_type.value} {grade.value}: no price")
                elif not SOLIDARITY_FLOOR <= price <= SOLIDARITY_CEILING:
                    problems.append(f"{device_type.value} {grade.value}: {price} € is outside 60–120 €")
                elif price > LEGAL_CAP[device_type]:
                    problems.append(
                        f"{device_type.value} {grade.value}: {price} € is above the legal cap of "
                        f"{LEGAL_CAP[device_type]} €"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def quote(self, device_type: DeviceType | str, grade: Grade | str) -> Decimal:
        return self.prices[DeviceType(device_type)][Grade(grade)]


_COMPUTERS = {Grade.D: "60", Grade.C: "75", Grade.B: "90", Grade.A: "105", Grade.PREMIUM: "120"}
# Tablets and phones are capped at 100 €: their grid tops out there.
_HANDHELDS = {Grade.D: "60", Grade.C: "70", Grade.B: "80", Grade.A: "90", Grade.PREMIUM: "100"}
DEFAULT_GRID = PriceGrid(prices={
    device_type: {grade: Decimal(price) for grade, price in prices.items()}
    for device_type, prices in [
        (DeviceType.LAPTOP, _COMPUTERS), (DeviceType.DESKTOP, _COMPUTERS),
        (DeviceType.TABLET, _HANDHELDS), (DeviceType.PHONE, _HANDHELDS),
    ]
})


def quote(device_type: DeviceType | str, grade: Grade | str, grid: PriceGrid = DEFAULT_GRID) -> Decimal:
    try:
        return grid.quote(device_type, grade)
    except KeyError:
        raise RuleViolation(f"the price grid has no price for a {grade} {device_type}") from None
