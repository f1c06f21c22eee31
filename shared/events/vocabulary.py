"""Words that several services' contracts share. Values, not rules."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class DeviceType(StrEnum):
    LAPTOP = "laptop"
    DESKTOP = "desktop"
    TABLET = "tablet"
    PHONE = "phone"


class DonorType(StrEnum):
    PUBLIC_BODY = "public_body"
    SCHOOL = "school"
    COMPANY = "company"


class Grade(StrEnum):
    D = "D"
    C = "C"
    B = "B"
    A = "A"
    PREMIUM = "Premium"


class BeneficiaryCategory(StrEnum):
    MINIMUM_SOCIAL_BENEFITS = "minimum_social_benefits"
    JOB_SEEKER = "job_seeker"
    YOUNG_PERSON = "young_person"
    STUDENT = "student"


class DriveKind(StrEnum):
    HDD = "hdd"
    SSD = "ssd"
    NVME = "nvme"


class ErasureLevel(StrEnum):
    """NIST SP 800-88 sanitization levels."""

    CLEAR = "clear"
    PURGE = "purge"
    DESTROY = "destroy"


class ErasureTechnique(StrEnum):
    OVERWRITE = "overwrite"
    ATA_SECURE_ERASE = "ata_secure_erase"
    NVME_SANITIZE = "nvme_sanitize"
    NVME_FORMAT_SES = "nvme_format_ses"
    CRYPTOGRAPHIC_ERASE = "cryptographic_erase"
    PHYSICAL_DESTRUCTION = "physical_destruction"


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Drive(_Value):
    kind: DriveKind
    size_gb: int = Field(gt=0, le=100_000)
    serial_number: str | None = None


class DeviceSpecs(_Value):
    cpu_model: str | None = None
    cpu_score: int | None = Field(default=None, ge=0, description="CPU benchmark score, once measured")
    ram_gb: int = Field(gt=0, le=4096)
    drives: list[Drive] = Field(min_length=1)


class Provenance(_Value):
    donor_type: DonorType
    territory: str = Field(pattern=r"^(\d{2,3}|2A|2B)$", description="Département code, e.g. 35")


class FunctionalSummary(_Value):
    """What a beneficiary will notice, from the workshop's functional tests (allocation matches needs on it)."""

    battery_health_pct: int | None = Field(ge=0, le=100, description="Battery health in %; None = no battery")
    webcam: bool = Field(description="A working webcam (tested)")
    keyboard_layout: str | None = Field(
        default=None, min_length=1, max_length=32, description="e.g. fr-azerty, us-qwerty; None = no built-in keyboard",
    )
