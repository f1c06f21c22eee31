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
    DECLARED = "declared"
    COLLECTED = "collected"
    RECEIVED = "received"
    CLOSED = "closed"


_ORDER = list(LotStatus)


class LotDeclaration(BaseModel):
    """What a donor says about a lot it is about to hand over (its provenance comes from its donor record)."""

    model_config = ConfigDict(extra="forbid")

    expected_count: int = Field(gt=0, le=100_000)
    pickup_site: str = Field(min_length=1, max_length=200)
    pickup_date: date | None = None


class LotStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: LotStatus


class Lot(BaseModel):
    lot_id: str
    donor_id: str
    provenance: Provenance
    expected_count: int
    pickup_site: str
    pickup_date: date | None = None
    status: LotStatus = LotStatus.DECLARED
    declared_at: datetime
    collected_at: datetime | None = None
    received_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = 0

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
