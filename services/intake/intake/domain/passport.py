"""What intake learns about a device from every service's events: its summary, and the public passport.

Beside the full timeline, intake keeps a summary per device, written only by the consumer:

| fact | set by |
|---|---|
| `stage` | every event that moves the device (`STAGE_AFTER`): received, erased, ready, reserved, sold, handed over, scrapped, rejected |
| `grade` | `DeviceReady` |
| `erasure_certificate` | `ErasureCertified` (its whole payload: certificate id, SHA-256, every drive) |
| `beneficiary_category` | `DeviceReserved` (the category only, never the referral) |
| `workshop_id` | `WorkOrderAssigned` (the workshop that may follow the device's journey) |

Each fact remembers when the event that set it happened and is only replaced by a strictly
newer event, so an older event delivered late never overwrites a newer one: the stored stage
is always `stage_after` of the events received so far, in the order they happened.

Two readers, one source: the public passport (label, grade, erasure done, outcome — nothing
about who got the device) and the donor documents (`intake.domain.documents`, `impact`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.events import DomainEvent
from shared.events.allocation import DeviceReserved
from shared.events.refurb import DeviceReady, ErasureCertified, WorkOrderAssigned
from shared.events.vocabulary import BeneficiaryCategory, Grade


class DeviceStage(StrEnum):
    """Where a donated device stands, as intake learnt it from the services' events."""

    RECEIVED = "received"
    ERASED = "erased"
    READY = "ready"
    RESERVED = "reserved"
    SOLD = "sold"
    HANDED_OVER = "handed_over"
    SCRAPPED = "scrapped"
    REJECTED = "rejected"


# The stage a device is in after each event type. Events that do not move a device (a warranty
# claim, a warranty repair) are absent: a device handed over and brought back under warranty
# still counts as reused.
STAGE_AFTER: dict[str, DeviceStage] = {
    "DeviceReceived": DeviceStage.RECEIVED,
    "DeviceRejected": DeviceStage.REJECTED,
    "ErasureCertified": DeviceStage.ERASED,
    "DeviceReady": DeviceStage.READY,
    "DeviceScrapped": DeviceStage.SCRAPPED,
    "DeviceReserved": DeviceStage.RESERVED,
    "ReservationReleased": DeviceStage.READY,
    "DeviceSold": DeviceStage.SOLD,
    "SaleCancelled": DeviceStage.READY,  # back to the pool of ready devices
    "DeviceHandedOver": DeviceStage.HANDED_OVER,
}


def stage_after(event_types: Iterable[str]) -> DeviceStage:
    """A device's stage after its events, given in the order they happened (the timeline's)."""
    stage = DeviceStage.RECEIVED
    for event_type in event_types:
        stage = STAGE_AFTER.get(event_type, stage)
    return stage


class Outcome(StrEnum):
    """The passport's coarse view of the stage."""

    IN_PROGRESS = "in_progress"
    SOLD = "sold"
    HANDED_OVER = "handed_over"
    RECYCLED = "recycled"


_OUTCOME_OF: dict[DeviceStage, Outcome] = {
    DeviceStage.SOLD: Outcome.SOLD,
    DeviceStage.HANDED_OVER: Outcome.HANDED_OVER,
    DeviceStage.SCRAPPED: Outcome.RECYCLED,
    DeviceStage.REJECTED: Outcome.RECYCLED,
}


def outcome_of(stage: DeviceStage) -> Outcome:
    return _OUTCOME_OF.get(stage, Outcome.IN_PROGRESS)


@dataclass(frozen=True)
class PassportFact:
    name: str  # "stage", "grade", "erasure_certificate", "beneficiary_category" or "workshop_id"
    value: Any


def facts_from(event: DomainEvent) -> list[PassportFact]:
    """What an event tells the device's summary (often nothing)."""
    facts = []
    stage = STAGE_AFTER.get(event.EVENT_TYPE)
    if stage is not None:
        facts.append(PassportFact("stage", stage.value))
    if isinstance(event, DeviceReady):
        facts.append(PassportFact("grade", event.grade.value))
    elif isinstance(event, ErasureCertified):
        facts.append(PassportFact("erasure_certificate", event.model_dump(mode="json")))
    elif isinstance(event, DeviceReserved):
        facts.append(PassportFact("beneficiary_category", event.beneficiary_category.value))
    elif isinstance(event, WorkOrderAssigned):
        facts.append(PassportFact("workshop_id", event.workshop_id))
    return facts


class DeviceSummary(BaseModel):
    """The summary item as stored (facts not learnt yet are None)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stage: DeviceStage | None = None
    grade: Grade | None = None
    erasure_certificate: ErasureCertified | None = None
    beneficiary_category: BeneficiaryCategory | None = None
    workshop_id: str | None = None

    @classmethod
    def of(cls, item: dict[str, Any] | None) -> DeviceSummary:
        return cls.model_validate(item or {})

    def stage_of(self, device_status: str) -> DeviceStage:
        """The stage, or before any event arrived, what intake's own record says."""
        if self.stage is not None:
            return self.stage
        return DeviceStage.REJECTED if device_status == "rejected" else DeviceStage.RECEIVED


def public_view(device: dict[str, Any], summary: DeviceSummary) -> dict[str, Any]:
    return {
        "label_code": device["label_code"],
        "make": device["make"],
        "model": device["model"],
        "device_type": device["device_type"],
        "grade": summary.grade.value if summary.grade else None,
        "erasure_done": summary.erasure_certificate is not None,
        "outcome": outcome_of(summary.stage_of(device["status"])).value,
    }
