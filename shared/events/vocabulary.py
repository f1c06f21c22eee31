"""Words that several services' contracts share. Values, not rules.

Events carry identifiers, codes, enums, numbers and dates, never free text: a string field
of a contract is one of the kinds below (each bounded and patterned), or an enum. Free text
a person typed (a note, a reason in their own words) stays in the service that received it.
`tests/contracts` fails on a contract string field of any other kind.

| kind | what | e.g. |
|---|---|---|
| `Id` | an identifier one service gives, others quote | a uuid, `donor-departement-35`, `tech-07` |
| `Code` | a short code from a fixed syntax, no spaces | `SV-7K2M-Q9TX`, a serial number, `fr-azerty`, a SHA-256 |
| `Designation` | a maker's designation of a product or part, a few words | `EliteBook 840 G5`, `nvme-cli 2.8`, `charger 65 W` |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from shared.personal_data import refuse_personal_data


@dataclass(frozen=True)
class TextKind:
    """Marks what a contract's string field holds (see the table above)."""

    name: str


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/#+-]*$"
# Letters (any script), digits, spaces and the punctuation of product names; nothing for prose (no ; ! ? " @ or newline).
DESIGNATION_PATTERN = r"^[\w][\w .,'’()+/&-]*$"

Id = Annotated[str, TextKind("id"), StringConstraints(min_length=1, max_length=128, pattern=ID_PATTERN)]
Code = Annotated[str, TextKind("code"), StringConstraints(min_length=1, max_length=64, pattern=CODE_PATTERN)]
Designation = Annotated[
    str, TextKind("designation"), StringConstraints(min_length=1, max_length=128, pattern=DESIGNATION_PATTERN),
    AfterValidator(lambda text: refuse_personal_data(text, "give the maker's designation, nothing about a person")),
]
Territory = Annotated[str, TextKind("code"), StringConstraints(max_length=3, pattern=r"^(\d{2,3}|2A|2B)$")]


def _layout_spelling(value: object) -> object:
    """' FR Azerty ' as a workshop may type it is fr-azerty."""
    return "-".join(value.lower().split()) if isinstance(value, str) else value


KeyboardLayout = Annotated[str, TextKind("code"), BeforeValidator(_layout_spelling),
                           StringConstraints(min_length=2, max_length=32, pattern=r"^[a-z0-9][a-z0-9_-]{1,31}$")]
Sha256 = Annotated[str, TextKind("code"), StringConstraints(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]


class DeviceType(StrEnum):
    """laptop, desktop, tablet or phone."""

    LAPTOP = "laptop"
    DESKTOP = "desktop"
    TABLET = "tablet"
    PHONE = "phone"


class DonorType(StrEnum):
    """public_body (a local authority, a public agency), school (a public school) or company."""

    PUBLIC_BODY = "public_body"
    SCHOOL = "school"
    COMPANY = "company"


class Grade(StrEnum):
    """A refurbished device's grade, from D (lowest) to Premium (best)."""

    D = "D"
    C = "C"
    B = "B"
    A = "A"
    PREMIUM = "Premium"


class BeneficiaryCategory(StrEnum):
    """Who a device is for, as the referring partner records it."""

    MINIMUM_SOCIAL_BENEFITS = "minimum_social_benefits"
    JOB_SEEKER = "job_seeker"
    YOUNG_PERSON = "young_person"
    STUDENT = "student"


class DriveKind(StrEnum):
    """hdd (spinning disk), ssd (SATA solid-state, eMMC, flash) or nvme."""

    HDD = "hdd"
    SSD = "ssd"
    NVME = "nvme"


class ErasureLevel(StrEnum):
    """NIST SP 800-88 sanitization levels."""

    CLEAR = "clear"
    PURGE = "purge"
    DESTROY = "destroy"


class ErasureTechnique(StrEnum):
    """How a drive was erased or destroyed."""

    OVERWRITE = "overwrite"
    ATA_SECURE_ERASE = "ata_secure_erase"
    NVME_SANITIZE = "nvme_sanitize"
    NVME_FORMAT_SES = "nvme_format_ses"
    CRYPTOGRAPHIC_ERASE = "cryptographic_erase"
    PHYSICAL_DESTRUCTION = "physical_destruction"


class RejectionReason(StrEnum):
    """Why the warehouse sends a device straight to recycling (DeviceRejected)."""

    OBSOLETE = "obsolete"  # too old to run a supported system
    PHYSICAL_DAMAGE = "physical_damage"  # broken case, hinges or screen, beyond repair
    LIQUID_DAMAGE = "liquid_damage"
    MISSING_PARTS = "missing_parts"
    LOCKED = "locked"  # firmware, BIOS or account lock that the donor cannot lift
    OTHER = "other"


class ScrapReason(StrEnum):
    """Why a workshop gives up on a device (DeviceScrapped)."""

    BEYOND_ECONOMIC_REPAIR = "beyond_economic_repair"
    MOTHERBOARD_FAILURE = "motherboard_failure"
    PHYSICAL_DAMAGE = "physical_damage"
    LIQUID_DAMAGE = "liquid_damage"
    OBSOLETE = "obsolete"
    MISSING_PARTS = "missing_parts"
    LOCKED = "locked"
    OTHER = "other"


class RecyclingChannel(StrEnum):
    ECOSYSTEM = "ecosystem"  # the WEEE take-back of the eco-organism
    CERTIFIED_RECYCLER = "certified_recycler"
    MANUFACTURER_TAKE_BACK = "manufacturer_take_back"


class ReleaseReason(StrEnum):
    """Why a reservation ended without a sale (ReservationReleased)."""

    EXPIRED = "expired"
    SALE_CANCELLED = "sale cancelled"
    REFERRAL_CANCELLED = "referral cancelled"
    PARTNER_RELEASED = "released by the partner"


class FaultCategory(StrEnum):
    """What a device brought back under warranty does wrong, in a workshop's words (WarrantyClaimOpened)."""

    SCREEN = "screen"
    KEYBOARD = "keyboard"
    TRACKPAD = "trackpad"
    BATTERY = "battery"
    CHARGER = "charger"
    STORAGE = "storage"
    DOES_NOT_START = "does_not_start"
    NETWORK = "network"  # Wi-Fi, Bluetooth, Ethernet
    AUDIO = "audio"
    WEBCAM = "webcam"
    PORTS = "ports"
    OVERHEATING = "overheating"
    SOFTWARE = "software"  # the installed system no longer starts or updates
    OTHER = "other"


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Drive(_Value):
    kind: DriveKind = Field(description="hdd, ssd or nvme")
    size_gb: int = Field(gt=0, le=100_000, description="Capacity in GB")
    serial_number: Code | None = Field(default=None, description="The drive's own serial number, if read")


class DeviceSpecs(_Value):
    cpu_model: Designation | None = Field(default=None, description="The processor's designation, e.g. i5-8250U")
    cpu_score: int | None = Field(default=None, ge=0, description="CPU benchmark score, once measured")
    ram_gb: int = Field(gt=0, le=4096, description="Memory in GB")
    drives: list[Drive] = Field(min_length=1, description="Every drive in the device (at least one)")


class Provenance(_Value):
    donor_type: DonorType = Field(description="public_body, school or company")
    territory: Territory = Field(description="Département code, e.g. 35")


class FunctionalSummary(_Value):
    """What a beneficiary will notice, from the workshop's functional tests (allocation matches needs on it)."""

    battery_health_pct: int | None = Field(ge=0, le=100, description="Battery health in %; None = no battery")
    webcam: bool = Field(description="A working webcam (tested)")
    keyboard_layout: KeyboardLayout | None = Field(
        default=None, description="e.g. fr-azerty, us-qwerty; None = no built-in keyboard",
    )
