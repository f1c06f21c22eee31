"""What a workshop reports at each step. Request bodies as well as what the work order keeps.

Unknown fields are refused and every field is checked here, so bad input is a 422 naming
the field before anything is read or written. Notes are the workshop's own words: they stay
in refurb (events carry codes), and a note holding personal data is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared import clock
from shared.events.refurb import DriveErasure
from shared.events.vocabulary import (
    Code,
    Designation,
    Drive,
    DriveKind,
    ErasureLevel,
    ErasureTechnique,
    KeyboardLayout,
    RecyclingChannel,
    ScrapReason,
)
from shared.personal_data import free_text

Note = free_text(2000, "describe the device and the work done, not a person")


class _Report(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Function(StrEnum):
    """The functions tested at diagnosis: all of them, for a device to be sold as refurbished."""

    SCREEN = "screen"
    KEYBOARD = "keyboard"
    TRACKPAD = "trackpad"
    WEBCAM = "webcam"
    AUDIO = "audio"
    PORTS = "ports"
    CHARGER = "charger"


class FunctionCheck(StrEnum):
    WORKS = "works"
    FAULTY = "faulty"
    ABSENT = "absent"  # not part of this device (a desktop's screen, a tablet's trackpad)


class SmartStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"  # the drive reports no SMART data


class DiagnosedDrive(_Report):
    serial_number: Code = Field(description="As read by the tool, or the workshop's label")
    kind: DriveKind = Field(description="hdd, ssd (SATA) or nvme: it decides which erasure techniques apply")
    size_gb: int = Field(gt=0, le=100_000, description="Capacity in GB")
    smart_status: SmartStatus = Field(description="What the drive's SMART self-assessment says")

    def as_drive(self) -> Drive:
        return Drive(kind=self.kind, size_gb=self.size_gb, serial_number=self.serial_number)


class Diagnosis(_Report):
    cpu_score: int = Field(ge=0, le=200_000, description="Measured CPU benchmark score (the grading uses it)")
    ram_gb: int | None = Field(default=None, gt=0, le=4096, description="Measured RAM; omitted: as declared")
    battery_health_pct: int | None = Field(ge=0, le=100, description="Required; null = the device has no battery")
    screen: FunctionCheck = Field(description="Screen test")
    keyboard: FunctionCheck = Field(description="Keyboard test (every key)")
    trackpad: FunctionCheck = Field(description="Trackpad test")
    webcam: FunctionCheck = Field(description="Webcam test")
    audio: FunctionCheck = Field(description="Speakers, microphone and jack test")
    ports: FunctionCheck = Field(description="USB, video and network ports test")
    charger: FunctionCheck = Field(description="Charger test (absent: none came with the device)")
    keyboard_layout: KeyboardLayout | None = Field(default=None, description="e.g. fr-azerty")
    drives: list[DiagnosedDrive] = Field(min_length=1, max_length=16, description="Every drive found in the device")
    notes: Note | None = Field(default=None, description="The workshop's words about the device, kept in refurb")

    @field_validator("drives")
    @classmethod
    def _distinct_serials(cls, drives: list[DiagnosedDrive]) -> list[DiagnosedDrive]:
        serials = [d.serial_number for d in drives]
        twice = sorted({s for s in serials if serials.count(s) > 1})
        if twice:
            raise ValueError(f"each drive needs its own serial_number (label it if unreadable): {', '.join(twice)}")
        return drives

    def functions(self) -> dict[Function, FunctionCheck]:
        return {f: getattr(self, f.value) for f in Function}


# NIST SP 800-88: overwriting through the drive's normal write commands is Clear; the
# sanitize / secure-erase / crypto-erase commands reach Purge; destruction is Destroy.
_LEVELS_OF = {
    ErasureTechnique.OVERWRITE: {ErasureLevel.CLEAR},
    ErasureTechnique.ATA_SECURE_ERASE: {ErasureLevel.CLEAR, ErasureLevel.PURGE},
    ErasureTechnique.NVME_SANITIZE: {ErasureLevel.CLEAR, ErasureLevel.PURGE},
    ErasureTechnique.NVME_FORMAT_SES: {ErasureLevel.CLEAR, ErasureLevel.PURGE},
    ErasureTechnique.CRYPTOGRAPHIC_ERASE: {ErasureLevel.CLEAR, ErasureLevel.PURGE},
    ErasureTechnique.PHYSICAL_DESTRUCTION: {ErasureLevel.DESTROY},
}
# Techniques that exist only for some drive kinds.
KINDS_OF = {
    ErasureTechnique.ATA_SECURE_ERASE: {DriveKind.HDD, DriveKind.SSD},
    ErasureTechnique.NVME_SANITIZE: {DriveKind.NVME},
    ErasureTechnique.NVME_FORMAT_SES: {DriveKind.NVME},
}


class ErasureMethod(BaseModel):
    """A technique that applies to a kind of drive, and the NIST levels it can reach."""

    model_config = ConfigDict(frozen=True)

    technique: ErasureTechnique = Field(description="The technique")
    levels: list[ErasureLevel] = Field(description="NIST SP 800-88 levels it can reach, weakest first")


_LEVEL_ORDER = list(ErasureLevel)


def erasure_methods(kind: DriveKind) -> list[ErasureMethod]:
    """What a workshop may record for a drive of this kind (the rules `ErasureRecord` and the
    work order check), so a client offers only these."""
    return [ErasureMethod(technique=technique, levels=sorted(levels, key=_LEVEL_ORDER.index))
            for technique, levels in _LEVELS_OF.items() if kind in KINDS_OF.get(technique, set(DriveKind))]


CLOCK_SKEW = timedelta(minutes=5)


class ErasureRecord(DriveErasure):
    """One erasure (or destruction) of one drive, named by the serial recorded at diagnosis."""

    drive_serial: Code = Field(description="The drive's serial_number as recorded at diagnosis")

    @field_validator("completed_at")
    @classmethod
    def _a_real_moment(cls, completed_at: datetime) -> datetime:
        # The certificate shows it to donors: an hour without a time zone, or in the future, is a typo.
        if completed_at.tzinfo is None:
            raise ValueError("give the time zone (e.g. 2026-11-28T09:30:00Z)")
        if completed_at > clock.now() + CLOCK_SKEW:
            raise ValueError("an erasure cannot be completed in the future")
        return completed_at

    @model_validator(mode="after")
    def _level_matches_technique(self) -> ErasureRecord:
        if self.level not in _LEVELS_OF[self.technique]:
            allowed = ", ".join(sorted(level.value for level in _LEVELS_OF[self.technique]))
            raise ValueError(f"level {self.level.value} cannot be reached by technique {self.technique.value} "
                             f"(NIST SP 800-88: {allowed})")
        return self

    def as_contract(self) -> DriveErasure:
        return DriveErasure.model_validate(self.model_dump())


class ErasureReport(_Report):
    drives: list[ErasureRecord] = Field(min_length=1, max_length=16, description=(
        "One record per drive erased (or destroyed) now: one drive, several or all; a failed attempt is "
        "recorded and the drive waits for another"))


class Part(_Report):
    name: Designation = Field(max_length=120, description="e.g. keyboard fr-azerty, charger 65 W")
    cost_eur: Decimal = Field(ge=0, le=10_000, decimal_places=2, description="What the part cost, in euros")


class RepairReport(_Report):
    """Repairs done; an empty list of parts says that none were needed (the step is still recorded)."""

    parts: list[Part] = Field(default=[], max_length=50, description="Parts fitted; empty: nothing needed repairing")
    labour_cost_eur: Decimal = Field(default=Decimal("0.00"), ge=0, le=10_000, decimal_places=2,
                                     description="Labour, in euros")
    retested: dict[Function, FunctionCheck] = Field(default={}, description="Functions tested again after repair")
    new_battery_health_pct: int | None = Field(default=None, ge=0, le=100, description="After fitting a battery")
    ram_gb: int | None = Field(default=None, gt=0, le=4096, description="RAM after an upgrade")
    drives: list[Drive] | None = Field(
        default=None, min_length=1, max_length=16,
        description="The drives fitted after repair, when storage changed (a destroyed drive must be replaced)",
    )
    notes: Note | None = Field(default=None, description="The workshop's words about the repair, kept in refurb")

    @property
    def cost_eur(self) -> Decimal:
        return sum((p.cost_eur for p in self.parts), self.labour_cost_eur)


class InstallationReport(_Report):
    os_name: Designation = Field(max_length=80, description="e.g. Linux Mint, Windows 11 Pro")
    os_version: Designation | None = Field(default=None, max_length=40, description="e.g. 22, 24H2")
    notes: Note | None = Field(default=None, description="The workshop's words about the installation")


class ScrapReport(_Report):
    reason: ScrapReason = Field(description="Why the device will not be reused")
    recycling_channel: RecyclingChannel = Field(description="Where it goes: the eco-organism's WEEE take-back, "
                                                            "a certified recycler or the manufacturer")
    harvested_parts: list[Designation] = Field(default=[], max_length=50, description="Parts kept for other repairs")
    note: Note | None = Field(default=None, description="The workshop's words, kept in refurb")
