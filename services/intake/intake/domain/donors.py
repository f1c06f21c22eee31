"""Donors: the organisations that give devices, registered by an administrator.

Since 2022 a public body (or one of its schools) may give its retired devices only under a
signed convention: its reference and date are the legal basis of every lot it declares.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.events.vocabulary import DonorType, Provenance

# Donors that give public property: a convention is required before anything is given.
DONORS_NEEDING_A_CONVENTION = frozenset({DonorType.PUBLIC_BODY, DonorType.SCHOOL})

TERRITORY_PATTERN = r"^(\d{2,3}|2A|2B)$"


class LegalBasis(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    convention_ref: str = Field(min_length=1, max_length=100, description="Reference of the signed convention")
    signed_on: date = Field(description="Date the convention was signed")

    @field_validator("convention_ref")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("signed_on")
    @classmethod
    def _signed_already(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("a convention cannot be signed in the future")
        return value


class DonorRegistration(BaseModel):
    """What an administrator records about a donor partner."""

    model_config = ConfigDict(extra="forbid")

    donor_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$",
                          description="The donor partner's id, as its API key identifies it")
    name: str = Field(min_length=1, max_length=200)
    donor_type: DonorType
    territory: str = Field(pattern=TERRITORY_PATTERN, description="Département code of the donor, e.g. 35")
    # Checked after donor_type (fields validate in order), so the error names legal_basis.
    legal_basis: LegalBasis | None = Field(default=None, validate_default=True)

    @field_validator("legal_basis")
    @classmethod
    def _required_for_public_donors(cls, value: LegalBasis | None, info: ValidationInfo) -> LegalBasis | None:
        if value is None and info.data.get("donor_type") in DONORS_NEEDING_A_CONVENTION:
            raise ValueError("a public body or a school gives devices under a convention: "
                             "legal_basis {convention_ref, signed_on} is required")
        return value


class Donor(DonorRegistration):
    model_config = ConfigDict(extra="ignore")  # read back from the table, beside its keys

    registered_at: datetime
    version: int = 0

    @property
    def provenance(self) -> Provenance:
        return Provenance(donor_type=self.donor_type, territory=self.territory)

    def differences_from(self, registration: DonorRegistration) -> list[str]:
        """Fields a new registration would change (empty: it says the same thing)."""
        return [name for name in DonorRegistration.model_fields
                if getattr(self, name) != getattr(registration, name)]
