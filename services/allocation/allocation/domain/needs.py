"""A referral's needs diagnosis, a device's functional facts, and whether one meets the other.

The advisor's diagnosis has two parts:

- `uses` (schooling, job search, administrative procedures, training) say what the person
  will do with the device. They are recorded for the accompaniment and for reports; they
  do not filter devices by themselves.
- `requirements` are the hard constraints the advisor derived from those uses: a webcam,
  a minimum RAM, a minimum battery health, a keyboard layout. A device is given only if
  it meets every one of them.

A fact that was not recorded for a device (no functional test result, a desktop with no
battery) never meets a requirement on it: a person who needs a webcam must not receive a
device that merely might have one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

_LAYOUT = r"^[a-z0-9][a-z0-9_-]{1,31}$"


def _normalised_layout(value: str | None) -> str | None:
    return value.strip().lower() if isinstance(value, str) else value


class Use(StrEnum):
    SCHOOLING = "schooling"
    JOB_SEARCH = "job_search"
    ADMINISTRATIVE_PROCEDURES = "administrative_procedures"
    TRAINING = "training"


class Requirements(BaseModel):
    """What a device must have. The defaults require nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    webcam: bool = Field(default=False, description="A working webcam is required (video calls, remote courses)")
    min_ram_gb: int | None = Field(default=None, ge=1, le=256,
                                   description="At least this much memory, in GB (null: any)")
    min_battery_health_pct: int | None = Field(
        default=None, ge=1, le=100,
        description="A battery at this health or more, in % of its original capacity (null: a battery is not "
                    "required); a desktop never meets it")
    keyboard_layout: str | None = Field(default=None, pattern=_LAYOUT,
                                        description="e.g. azerty-fr, qwerty-us (compared case-insensitively)")

    _normalise_layout = field_validator("keyboard_layout", mode="before")(_normalised_layout)

    @property
    def key(self) -> tuple[bool, int | None, int | None, str | None]:
        """A hashable signature: referrals with the same key are accepted by exactly the same devices."""
        return (self.webcam, self.min_ram_gb, self.min_battery_health_pct, self.keyboard_layout)


class Needs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    uses: tuple[Use, ...] = Field(default=(), description=(
        "What the person will do with the device: schooling, job_search, administrative_procedures, training. "
        "Kept for the accompaniment and reports; they do not choose the device"))
    requirements: Requirements = Field(default=Requirements(), description=(
        "What the device must have, derived by the advisor from the uses: a device is reserved only if it meets "
        "every one"))

    @field_validator("uses")
    @classmethod
    def _distinct_sorted(cls, uses: tuple[Use, ...]) -> tuple[Use, ...]:
        return tuple(sorted(set(uses)))


class FunctionalFacts(BaseModel):
    """What the workshop's functional tests found on a device (allocation's own copy).

    Same field names as the functional summary refurb announces, so the consumer can copy
    it field by field; unknown extra fields are ignored.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    battery_health_pct: int | None = Field(default=None, ge=0, le=100,
                                           description="None: no battery (desktop) or not measured")
    webcam: bool = False
    keyboard_layout: str | None = Field(default=None, pattern=_LAYOUT)

    _normalise_layout = field_validator("keyboard_layout", mode="before")(_normalised_layout)


class _Specs(Protocol):
    ram_gb: int


class DeviceFacts(Protocol):
    """What `unmet_needs` reads of a device (an `AvailableDevice` has it)."""

    @property
    def specs(self) -> _Specs: ...

    @property
    def functional(self) -> FunctionalFacts | None: ...


def unmet_needs(device: DeviceFacts, requirements: Requirements) -> dict[str, str]:
    """The requirements the device does not meet: requirement name -> why, in a fixed order."""
    unmet: dict[str, str] = {}
    facts = device.functional
    if requirements.webcam and not (facts and facts.webcam):
        unmet["webcam"] = "needs a webcam; " + (
            "the device has none" if facts else "no functional test recorded for the device")
    if requirements.min_ram_gb is not None and device.specs.ram_gb < requirements.min_ram_gb:
        unmet["min_ram_gb"] = (f"needs at least {requirements.min_ram_gb} GB of RAM; "
                               f"the device has {device.specs.ram_gb} GB")
    if requirements.min_battery_health_pct is not None:
        health = facts.battery_health_pct if facts else None
        if health is None:
            unmet["min_battery_health_pct"] = (f"needs a battery at {requirements.min_battery_health_pct}% "
                                               "health or more; no battery health recorded for the device")
        elif health < requirements.min_battery_health_pct:
            unmet["min_battery_health_pct"] = (f"needs a battery at {requirements.min_battery_health_pct}% "
                                               f"health or more; the device's is at {health}%")
    if requirements.keyboard_layout is not None:
        layout = facts.keyboard_layout if facts else None
        if layout != requirements.keyboard_layout:
            unmet["keyboard_layout"] = (f"needs a {requirements.keyboard_layout} keyboard; " + (
                f"the device's is {layout}" if layout else "no keyboard layout recorded for the device"))
    return unmet


def meets_needs(device: DeviceFacts, needs: Needs) -> list[str]:
    """Why the device does not meet the referral's needs; empty when it does."""
    return list(unmet_needs(device, needs.requirements).values())
