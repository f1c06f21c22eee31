"""Donation lots: declared by a donor, then collected, received at the warehouse, closed.

    declared → collected → received → closed

A lot only moves forward. A step may be skipped (a donor who brings its devices to the
warehouse itself is never "collected"). Devices may be added until the lot is closed.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import RuleViolation
from shared.events.vocabulary import Provenance


class LotStatus(StrEnum):
    """declared → collected → received → closed; a lot only moves forward, and may skip a step."""

    DECLARED = "declared"
    COLLECTED = "collected"
    RECEIVED = "received"
    CLOSED = "closed"


_ORDER = list(LotStatus)


class LotDeclaration(BaseModel):
    """What a donor says about a lot it is about to hand over (its provenance comes from its donor record)."""

    model_config = ConfigDict(extra="forbid")

    expected_count: int = Field(gt=0, le=100_000, description="How many devices the donor expects to hand over")
    pickup_site: str = Field(min_length=1, max_length=200,
                             description="Where the devices are collected (a site's name or address, not a person)")
    pickup_date: date | None = Field(default=None, description="The day agreed for the collection, if any")


class LotStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: LotStatus = Field(description="The lot's next status: collected, received or closed (forward only)")


class Lot(BaseModel):
    lot_id: str = Field(description="The lot's id, given at its declaration")
    donor_id: str = Field(description="The donor partner that declared it")
    provenance: Provenance = Field(description="The donor's type and territory, copied from its record")
    expected_count: int = Field(description="How many devices the donor expects to hand over")
    pickup_site: str = Field(description="Where the devices are collected")
    pickup_date: date | None = Field(default=None, description="The day agreed for the collection, if any")
    status: LotStatus = Field(default=LotStatus.DECLARED, description="declared, collected, received or closed")
    declared_at: datetime = Field(description="When the donor declared the lot")
    collected_at: datetime | None = Field(default=None, description="When it was collected (null: not yet, or skipped)")
    received_at: datetime | None = Field(default=None, description="When the warehouse received it")
    closed_at: datetime | None = Field(default=None, description="When it was closed: no device can be added since")
    version: int = Field(default=0, exclude=True)  # the table's optimistic lock, never shown

    def advance(self, status: LotStatus, at: datetime) -> None:
        if _ORDER.index(status) <= _ORDER.index(self.status):
            raise RuleViolation(
                f"lot {self.lot_id} is {self.status.value}: it can only move forward "
                f"({' → '.join(s.value for s in _ORDER)}), not to {status.value}"
            )
        self.status = status
        setattr(self, f"{status.value}_at", at)

    def require_open(self) -> None:
        """Devices are declared, received or rejected against a lot until it is closed."""
        if self.status is LotStatus.CLOSED:
            raise RuleViolation(f"lot {self.lot_id} is closed: no device can be added to it")
