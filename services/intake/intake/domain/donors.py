"""Donors: the organisations that give devices, registered by an administrator.

Since 2022 a public body (or one of its schools) may give its retired devices only under a
signed convention: its reference and date are the legal basis of every lot it declares.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared import clock
from shared.events.vocabulary import DonorType, Provenance

# Donors that give public property: a convention is required before anything is given, and
# each device they give may be worth at most PUBLIC_DONATION_VALUE_CAP_EUR.
PUBLIC_DONOR_TYPES = frozenset({DonorType.PUBLIC_BODY, DonorType.SCHOOL})
# Public bodies and schools may give a device worth at most this much (French law since 2022,
# design brief §2): a higher declared value is refused when it is captured, and a donation
# certificate never attests one.
PUBLIC_DONATION_VALUE_CAP_EUR = Decimal("300")
# What lets a public body give its equipment away; printed on the certificate with the convention.
PUBLIC_DONATION_STATUTE = "article L. 3212-2 du code général de la propriété des personnes publiques"

TERRITORY_PATTERN = r"^(\d{2,3}|2A|2B)$"


class LegalBasis(BaseModel):
    """The convention under which a public body or a school gives its devices."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    convention_ref: str = Field(min_length=1, max_length=100, description="Reference of the signed convention")
    signed_on: date = Field(description="Date the convention was signed")
    statute: str = Field(default=PUBLIC_DONATION_STATUTE, min_length=1, max_length=300,
                         description="The legal text the donor gives under")

    @field_validator("convention_ref", "statute")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("signed_on")
    @classmethod
    def _signed_already(cls, value: date) -> date:
        if value > clock.today():
            raise ValueError("a convention cannot be signed in the future")
        return value


class DonorRegistration(BaseModel):
    """What an administrator records about a donor partner."""

    model_config = ConfigDict(extra="forbid")

    donor_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$",
                          description="The donor partner's id, as its API key identifies it")
    name: str = Field(min_length=1, max_length=200, description="The organisation's name, as printed on its "
                                                                "documents")
    donor_type: DonorType = Field(description="public_body (a local authority, a public agency), school (a public "
                                              "school) or company")
    territory: str = Field(pattern=TERRITORY_PATTERN, description="Département code of the donor, e.g. 35")
    # Checked after donor_type (fields validate in order), so the error names legal_basis.
    legal_basis: LegalBasis | None = Field(
        default=None, validate_default=True,
        description="The signed convention a public body or a school gives under (required for them)")

    @field_validator("legal_basis")
    @classmethod
    def _required_for_public_donors(cls, value: LegalBasis | None, info: ValidationInfo) -> LegalBasis | None:
        if value is None and info.data.get("donor_type") in PUBLIC_DONOR_TYPES:
            raise ValueError("a public body or a school gives devices under a convention: "
                             "legal_basis {convention_ref, signed_on} is required")
        return value


class Donor(DonorRegistration):
    model_config = ConfigDict(extra="ignore")  # read back from the table, beside its keys

    registered_at: datetime = Field(description="When the administrator registered the donor")
    version: int = Field(default=0, exclude=True)  # the table's optimistic lock, never shown

    @property
    def provenance(self) -> Provenance:
        return Provenance(donor_type=self.donor_type, territory=self.territory)

    @property
    def value_cap_eur(self) -> Decimal | None:
        return value_cap_for(self.donor_type)

    def differences_from(self, registration: DonorRegistration) -> list[str]:
        """Fields a new registration would change (empty: it says the same thing)."""
        return [name for name in DonorRegistration.model_fields
                if getattr(self, name) != getattr(registration, name)]


def value_cap_for(donor_type: DonorType) -> Decimal | None:
    """The most a device given by such a donor may be worth (None: no cap, e.g. a company)."""
    return PUBLIC_DONATION_VALUE_CAP_EUR if donor_type in PUBLIC_DONOR_TYPES else None
