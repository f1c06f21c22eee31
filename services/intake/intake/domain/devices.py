"""Devices as intake knows them: declared by a donor, then received or rejected at the warehouse.

    declared ──► received   (DeviceReceived: refurb opens a work order)
        └──────► rejected   (DeviceRejected: not worth refurbishing, goes to recycling)

A device may also be received or rejected directly, without a prior declaration. Serial +
make identify a physical device: a second registration of the same pair is refused, never
merged; the make is compared in its normal form (intake/domain/makes.py), so 'Dell Inc.' and
'DELL' are one maker.

A device may carry the value its donor declares for it (`declared_value_eur`, printed on the
donation certificate): a public body or a school may not give a device worth more than
PUBLIC_DONATION_VALUE_CAP_EUR, so a higher value is refused when it is captured.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.errors import RuleViolation
from shared.labels import new_label_code, normalize_label_code  # noqa: F401  (intake issues the codes)
from shared.events.vocabulary import Code, Designation, DeviceSpecs, DeviceType, DonorType, RejectionReason
from shared.personal_data import free_text

from intake.domain.donors import value_cap_for
from intake.domain.makes import normal_make


CENT = Decimal("0.01")

# What the warehouse writes about a device's state. It stays in intake: events carry codes only.
ConditionNote = free_text(500, "describe the device's condition, not a person")
CONDITION_NOTE = ("The warehouse's words about the device's state (at most 500 characters), kept in intake; "
                  "refused if it names or locates a person")


class RefusedValue(RuleViolation):
    """A well-formed value the rules refuse for this device: answered 422, naming `field`."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def require_declared_value_allowed(value: Decimal | None, donor_type: DonorType) -> None:
    """A public body or a school may not give a device worth more than the cap (300 €)."""
    cap = value_cap_for(donor_type)
    if value is not None and cap is not None and value > cap:
        raise RefusedValue("declared_value_eur", declared_value_above_cap(value, cap))


def declared_value_above_cap(value: Decimal, cap: Decimal) -> str:
    return (f"{value} € declared; a public body or a school may give a device worth at most {cap} € "
            "(lower the value, or leave it out if unknown)")


def _declared_value(description: str):
    return Field(default=None, ge=0, max_digits=9, decimal_places=2, description=description)


def _in_cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


class DeviceStatus(StrEnum):
    """declared (announced by its donor), received (at the warehouse) or rejected (sent to recycling)."""

    DECLARED = "declared"
    RECEIVED = "received"
    REJECTED = "rejected"


class _Identified(BaseModel):
    """Serial, make, model and type: what every inventory line gives."""

    model_config = ConfigDict(extra="forbid")

    serial_number: Code = Field(description="The maker's serial number; spaces are dropped (5CG 8231 XYZ is "
                                            "5CG8231XYZ). With the make, it identifies the device")
    make: Designation = Field(max_length=64, description="The maker, e.g. HP; its spellings are one maker "
                                                         "(Hewlett-Packard, HP Inc.)")
    model: Designation = Field(description="The maker's model name, e.g. EliteBook 840 G5")
    device_type: DeviceType = Field(description="laptop, desktop, tablet or phone")
    asset_tag: Code | None = Field(default=None, description="The donor's inventory number")
    declared_value_eur: Decimal | None = _declared_value(
        "The device's value as its donor declares it, in euros (at most 300 for a public body or a school)")

    @field_validator("serial_number", "make", "model", mode="before")
    @classmethod
    def _trimmed(cls, value: object, info) -> object:
        if not isinstance(value, str):
            return value
        # A serial copied by hand in groups ("5CG 8231 XYZ") is the same serial, written as printed.
        value = "".join(value.split()) if info.field_name == "serial_number" else value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("declared_value_eur")
    @classmethod
    def _cents(cls, value: Decimal | None) -> Decimal | None:
        return _in_cents(value)


class DeviceDeclaration(_Identified):
    """What the warehouse reads off a device when it arrives."""

    specs: DeviceSpecs = Field(description="Processor, memory and drives, as read off the device")
    visible_condition: ConditionNote | None = Field(default=None, description=CONDITION_NOTE)
    acquired_on: date | None = Field(default=None, description="When the donor bought the device, if known")


class DeclaredDevice(_Identified):
    """A line of a donor's inventory: the device is announced, not yet at the warehouse."""

    acquired_on: date | None = None
    specs: DeviceSpecs | None = None
    visible_condition: ConditionNote | None = None


class Reception(BaseModel):
    """The warehouse receives a device the donor declared: what it reads off the device."""

    model_config = ConfigDict(extra="forbid")

    specs: DeviceSpecs = Field(description="Processor, memory and drives, as read off the device")
    visible_condition: ConditionNote | None = Field(default=None, description=CONDITION_NOTE)
    declared_value_eur: Decimal | None = _declared_value(
        "The donor's declared value, if its declaration did not give it (it must agree if it did)")

    @field_validator("declared_value_eur")
    @classmethod
    def _cents(cls, value: Decimal | None) -> Decimal | None:
        return _in_cents(value)


class Rejection(BaseModel):
    """Why the warehouse sends a device to recycling: a code (announced in DeviceRejected) and,
    if it helps, a note in its own words (kept in intake)."""

    model_config = ConfigDict(extra="forbid")

    reason: RejectionReason = Field(description="Why the device is not worth refurbishing: "
                                                + ", ".join(r.value for r in RejectionReason))
    note: ConditionNote | None = Field(default=None, description="The warehouse's words about why, if it helps "
                                                                 "(at most 500 characters, kept in intake, never "
                                                                 "announced); refused if it names a person")


class RejectionAtReception(_Identified, Rejection):
    """A device that arrives and goes straight to recycling."""

    specs: DeviceSpecs | None = Field(default=None, description="Processor, memory and drives, if read")
    visible_condition: ConditionNote | None = Field(default=None, description=CONDITION_NOTE)


class ImportOrigin(BaseModel):
    """Which import, and which row of its file, registered a device."""

    import_id: str = Field(description="The import (GET /intake/imports/<id>)")
    row: int = Field(description="The row of the file, as the spreadsheet numbers it")


class Device(BaseModel):
    """A device as intake holds it (a field without a value is left out of the answers)."""

    device_id: str = Field(description="The device's id, given when it was registered")
    lot_id: str = Field(description="The lot it was given in")
    donor_id: str = Field(description="The donor partner that gave it")
    # the lot's (its donor's département): who may see the device
    territory: str | None = Field(default=None, description="The département of its donor, e.g. 35")
    status: DeviceStatus = Field(description="declared, received or rejected")
    serial_number: str = Field(description="The maker's serial number")
    make: str = Field(description="The maker, as given")
    model: str = Field(description="The maker's model name")
    device_type: DeviceType = Field(description="laptop, desktop, tablet or phone")
    asset_tag: str | None = Field(default=None, description="The donor's inventory number")
    declared_value_eur: Decimal | None = Field(default=None, description="The value its donor declares, in euros")
    acquired_on: date | None = Field(default=None, description="When the donor bought it, if known")
    specs: DeviceSpecs | None = Field(default=None, description="Processor, memory and drives, once read")
    # the warehouse's note: never in an event
    visible_condition: str | None = Field(default=None, description="The warehouse's note on its state")
    label_code: str | None = Field(default=None, description="The code on its label (SV-7K2M-Q9TX), given at "
                                                             "reception or rejection; a declared device has none")
    registered_at: datetime = Field(description="When intake first registered it")
    declared_at: datetime | None = Field(default=None, description="When its donor declared it")
    received_at: datetime | None = Field(default=None, description="When the warehouse received it")
    rejected_at: datetime | None = Field(default=None, description="When the warehouse rejected it")
    rejection_reason: RejectionReason | None = Field(default=None, description="Why it was rejected")
    # the warehouse's words: never in an event
    rejection_note: str | None = Field(default=None, description="The warehouse's words on why it was rejected")
    imported_from: ImportOrigin | None = Field(default=None, description="The import that registered it")
    received_in_import: ImportOrigin | None = Field(
        default=None, description="The reception import that received it, once declared")
    version: int = Field(default=0, exclude=True)  # the table's optimistic lock, never shown

    @property
    def natural_key(self) -> str:
        return natural_key(self.make, self.serial_number)

    def receive(self, reception: Reception, label_code: str, at: datetime) -> None:
        self._require_declared("received")
        value = reception.declared_value_eur
        if value is not None and self.declared_value_eur is not None and value != self.declared_value_eur:
            raise RefusedValue("declared_value_eur", f"the donor declared {self.declared_value_eur} € for device "
                                                     f"{self.device_id}, not {value} €")
        self.status, self.received_at, self.label_code = DeviceStatus.RECEIVED, at, label_code
        self.specs, self.visible_condition = reception.specs, reception.visible_condition or self.visible_condition
        self.declared_value_eur = self.declared_value_eur if value is None else value

    def reject(self, rejection: Rejection, label_code: str, at: datetime) -> None:
        self._require_declared("rejected")
        self.status, self.rejected_at, self.label_code = DeviceStatus.REJECTED, at, label_code
        self.rejection_reason, self.rejection_note = rejection.reason, rejection.note

    def _require_declared(self, outcome: str) -> None:
        if self.status is not DeviceStatus.DECLARED:
            raise RuleViolation(f"device {self.device_id} is already {self.status.value}: "
                                f"only a declared device can be {outcome}")


def natural_key(make: str, serial_number: str) -> str:
    """Serial + make identify a physical device; spacing and case vary between inventories, and
    a maker's name between exports ('HP', 'Hewlett-Packard', 'HP Inc.': intake/domain/makes.py)."""
    return f"{normal_make(make)}#{normal_serial(serial_number)}"


def normal_serial(serial_number: str) -> str:
    return "".join(serial_number.split()).upper()


def new_id() -> str:
    return str(uuid.uuid4())


def now() -> datetime:
    return datetime.now(timezone.utc)
