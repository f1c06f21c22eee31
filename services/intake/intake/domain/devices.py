"""Intake's model: donation lots and the devices received against them."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timezone
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.events.vocabulary import DeviceSpecs, DeviceType, DonorType, Provenance

# Crockford base32 without I, L, O, U: nothing to misread on a printed label.
_LABEL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class LotStatus(StrEnum):
    DECLARED = "declared"
    COLLECTED = "collected"
    RECEIVED = "received"
    CLOSED = "closed"


class LotDeclaration(BaseModel):
    """What a donor says about a lot it is about to hand over."""

    model_config = ConfigDict(extra="forbid")

    donor_type: DonorType
    territory: str = Field(pattern=r"^(\d{2,3}|2A|2B)$", description="Département code of the donor, e.g. 35")
    expected_count: int = Field(gt=0, le=100_000)
    pickup_site: str = Field(min_length=1, max_length=200)
    pickup_date: date | None = None


class DeviceDeclaration(BaseModel):
    """What the warehouse reads off a device when it arrives."""

    model_config = ConfigDict(extra="forbid")

    serial_number: str = Field(min_length=1, max_length=64)
    make: str = Field(min_length=1, max_length=64)
    model: str = Field(min_length=1, max_length=128)
    device_type: DeviceType
    asset_tag: str | None = Field(default=None, max_length=64)
    specs: DeviceSpecs
    visible_condition: str | None = Field(default=None, max_length=500)

    @field_validator("serial_number", "make")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


def natural_key(make: str, serial_number: str) -> str:
    """Serial + make identify a physical device; spacing and case vary between inventories."""
    return f"{make.strip().upper()}#{''.join(serial_number.split()).upper()}"


def new_label_code() -> str:
    raw = "".join(secrets.choice(_LABEL_ALPHABET) for _ in range(8))
    return f"SV-{raw[:4]}-{raw[4:]}"


def new_id() -> str:
    return str(uuid.uuid4())


def now() -> datetime:
    return datetime.now(timezone.utc)


class Lot(BaseModel):
    lot_id: str
    donor_id: str
    provenance: Provenance
    expected_count: int
    pickup_site: str
    pickup_date: date | None = None
    status: LotStatus = LotStatus.DECLARED
    declared_at: datetime
    version: int = 0
