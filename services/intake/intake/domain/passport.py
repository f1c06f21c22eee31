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

Two readers, one source: the public passport (label, make and model, grade, erasure done —
when, to which standard —, outcome; nothing about who gave or got the device) and the donor documents (`intake.domain.documents`, `impact`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timezone
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events import DomainEvent
from shared.events.allocation import DeviceReserved
from shared.events.refurb import DeviceReady, ErasureCertified, WorkOrderAssigned
from shared.events.vocabulary import BeneficiaryCategory, DeviceType, ErasureLevel, Grade


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
    """The passport's coarse view of the stage: nothing in it tells who has the device."""

    IN_PROGRESS = "in_progress"  # being refurbished (received, erased)
    READY = "ready"  # refurbished and graded, waiting for someone (a reservation is not shown)
    SOLD = "sold"
    HANDED_OVER = "handed_over"
    RECYCLED = "recycled"  # rejected at reception or scrapped in the workshop


_OUTCOME_OF: dict[DeviceStage, Outcome] = {
    DeviceStage.READY: Outcome.READY,
    DeviceStage.RESERVED: Outcome.READY,
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


# The standard every erasure certificate follows (refurb's levels and techniques are its terms).
ERASURE_STANDARD = "NIST SP 800-88"


class PublicErasure(BaseModel):
    completed_on: date = Field(description="The day the last drive was erased or destroyed (UTC)")
    standard: str = Field(description="The standard the erasure followed", examples=[ERASURE_STANDARD])
    levels: list[ErasureLevel] = Field(description="The erasure levels applied to the device's drives "
                                                   "(clear, purge or destroy), strongest last")


class Passport(BaseModel):
    """What a device's label tells anyone (GET /intake/passport/<label code>): never anything about who
    gave, sold, bought or received it, nor its serial number."""

    label_code: str = Field(description="The code on the device's label, e.g. SV-7K2M-Q9TX")
    make: str = Field(description="The device's make")
    model: str = Field(description="The device's model")
    device_type: DeviceType = Field(description="laptop, desktop, tablet or phone")
    grade: Grade | None = Field(description="The refurbished device's grade, from D (lowest) to Premium (best); "
                                            "null until it is graded")
    erasure_done: bool = Field(description="Whether every drive of the device was erased (or destroyed) and "
                                           "certified")
    erasure: PublicErasure | None = Field(description="The erasure, once certified; null before")
    outcome: Outcome = Field(description="in_progress (being refurbished), ready (waiting for someone), sold, "
                                         "handed_over (to its beneficiary) or recycled")


def public_view(device: dict[str, Any], summary: DeviceSummary) -> Passport:
    certificate = summary.erasure_certificate
    erasure = None
    if certificate is not None:
        completed = max(drive.completed_at for drive in certificate.drives)
        levels = sorted({drive.level for drive in certificate.drives}, key=list(ErasureLevel).index)
        erasure = PublicErasure(completed_on=completed.astimezone(timezone.utc).date(),
                                standard=ERASURE_STANDARD, levels=levels)
    return Passport(
        label_code=device["label_code"], make=device["make"], model=device["model"],
        device_type=device["device_type"], grade=summary.grade, erasure_done=certificate is not None,
        erasure=erasure, outcome=outcome_of(summary.stage_of(device["status"])),
    )
