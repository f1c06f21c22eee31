"""A device's passport: what anyone holding its label may learn, and the events that fill it.

Beside the full timeline, intake keeps a summary per device: its grade (DeviceReady), whether
its data was erased (ErasureCertified) and its outcome (sold, handed over, recycled). Each fact
remembers when the event that set it happened, so an older event delivered late never
overwrites a newer one. The public view never says anything about a beneficiary.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.events import DomainEvent
from shared.events.intake import DeviceRejected
from shared.events.refurb import DeviceReady, DeviceScrapped, ErasureCertified
from shared.events.sales import DeviceHandedOver, DeviceSold, SaleCancelled


class Outcome(StrEnum):
    IN_PROGRESS = "in_progress"
    SOLD = "sold"
    HANDED_OVER = "handed_over"
    RECYCLED = "recycled"


@dataclass(frozen=True)
class PassportFact:
    name: str  # "grade", "erasure_done" or "outcome"
    value: Any


_OUTCOME_OF: dict[type[DomainEvent], Outcome] = {
    DeviceSold: Outcome.SOLD,
    DeviceHandedOver: Outcome.HANDED_OVER,
    DeviceScrapped: Outcome.RECYCLED,
    DeviceRejected: Outcome.RECYCLED,
    SaleCancelled: Outcome.IN_PROGRESS,  # back to the pool of ready devices
}


def fact_from(event: DomainEvent) -> PassportFact | None:
    """What an event tells the passport, if anything."""
    if isinstance(event, DeviceReady):
        return PassportFact("grade", event.grade.value)
    if isinstance(event, ErasureCertified):
        return PassportFact("erasure_done", True)
    outcome = _OUTCOME_OF.get(type(event))
    return PassportFact("outcome", outcome.value) if outcome else None


def public_view(device: dict[str, Any], summary: dict[str, Any] | None) -> dict[str, Any]:
    summary = summary or {}
    return {
        "label_code": device["label_code"],
        "make": device["make"],
        "model": device["model"],
        "device_type": device["device_type"],
        "grade": summary.get("grade"),
        "erasure_done": bool(summary.get("erasure_done", False)),
        "outcome": summary.get("outcome", Outcome.IN_PROGRESS.value),
    }
