"""Partner workshops and which one gets a new work order.

A workshop is registered by an administrator with the départements it serves and the
number of open work orders it can hold. A new work order goes to the workshop serving the
device's territory with the most free places; if none has room, to any workshop with free
places (a device should not wait because its territory is busy); if no workshop has room,
it stays unassigned until an administrator assigns it.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.errors import RuleViolation

TERRITORY = r"^(\d{2,3}|2A|2B)$"


class WorkshopRegistration(BaseModel):
    """What an administrator declares about a workshop (the partner's id is in the path)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=120, description="The workshop's name, e.g. Atelier Rennes")
    territories: list[str] = Field(min_length=1, max_length=120, description="Département codes served, e.g. 35")
    capacity: int = Field(ge=0, le=100_000, description="Open work orders the workshop can hold")

    @field_validator("territories")
    @classmethod
    def _codes(cls, territories: list[str]) -> list[str]:
        wrong = [t for t in territories if not re.match(TERRITORY, t)]
        if wrong:
            raise ValueError(f"not département codes: {', '.join(wrong)}")
        return sorted(set(territories))


class Workshop(BaseModel):
    workshop_id: str = Field(description="The workshop partner's id")
    name: str | None = Field(default=None, description="Its name")
    territories: list[str] = Field(description="Département codes it serves")
    capacity: int = Field(description="Open work orders it can hold")
    open_orders: int = Field(default=0, description="Open work orders it holds now")
    version: int = Field(default=0, description="Changes with every write")

    @property
    def free(self) -> int:
        return self.capacity - self.open_orders

    def take(self) -> None:
        """One more open work order, within capacity."""
        if self.free <= 0:
            raise RuleViolation(
                f"workshop {self.workshop_id} is full ({self.open_orders} open work orders, capacity {self.capacity})"
            )
        self.open_orders += 1

    def release(self) -> None:
        """A work order left this workshop (ready, scrapped or reassigned)."""
        self.open_orders = max(0, self.open_orders - 1)


def choose_workshop(workshops: list[Workshop], territory: str, *, prefer: str | None = None) -> Workshop | None:
    """The workshop a new work order goes to, or None if every workshop is full."""
    with_room = [w for w in workshops if w.free > 0]
    preferred = [w for w in with_room if w.workshop_id == prefer]
    if preferred:
        return preferred[0]
    local = [w for w in with_room if territory in w.territories]
    candidates = local or with_room
    if not candidates:
        return None
    # most free places first; the id breaks ties so the choice is reproducible
    return min(candidates, key=lambda w: (-w.free, w.workshop_id))
