"""Solidarity prices: a price per device type and grade, within the legal bounds."""

from __future__ import annotations

from decimal import Decimal

from shared.errors import RuleViolation
from shared.events.vocabulary import DeviceType, Grade

SOLIDARITY_FLOOR = Decimal("60")
SOLIDARITY_CEILING = Decimal("120")
# Legal cap on the solidarity resale of a donated public device, per type.
LEGAL_CAP = {
    DeviceType.LAPTOP: Decimal("180"),
    DeviceType.DESKTOP: Decimal("150"),
    DeviceType.TABLET: Decimal("100"),
    DeviceType.PHONE: Decimal("100"),
}
_COMPUTERS = {Grade.D: "60", Grade.C: "75", Grade.B: "90", Grade.A: "105", Grade.PREMIUM: "120"}
# Tablets and phones are capped at 100 €: their grid tops out there.
_HANDHELDS = {Grade.D: "60", Grade.C: "70", Grade.B: "80", Grade.A: "90", Grade.PREMIUM: "100"}
DEFAULT_GRID: dict[DeviceType, dict[Grade, Decimal]] = {
    device_type: {grade: Decimal(price) for grade, price in prices.items()}
    for device_type, prices in [
        (DeviceType.LAPTOP, _COMPUTERS), (DeviceType.DESKTOP, _COMPUTERS),
        (DeviceType.TABLET, _HANDHELDS), (DeviceType.PHONE, _HANDHELDS),
    ]
}


def quote(device_type: DeviceType, grade: Grade, grid=DEFAULT_GRID) -> Decimal:
    price = grid[device_type][grade]
    if not (SOLIDARITY_FLOOR <= price <= SOLIDARITY_CEILING) or price > LEGAL_CAP[device_type]:
        raise RuleViolation(f"price {price} € for a {grade} {device_type} is outside the solidarity bounds")
    return price
