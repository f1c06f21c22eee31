"""Referral partners: the organisations whose advisors refer beneficiaries, and the territory they serve.

A partner is registered by an administrator before it may refer anyone. It serves one
territory (a département code) and, optionally, a list of communes in it (INSEE codes): a
social centre serves a few communes, the département's social services or an employment
agency the whole département (no list).

A referral's territory is the partner's: a partner that leaves it out gets its own, and a
referral for another département is refused. If the partner lists communes, a referral
that names a commune must name one of them.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.errors import RuleViolation

from allocation.domain.referrals import COMMUNE, TERRITORY, ReferralRequest, commune_in_territory


class PartnerKind(StrEnum):
    SOCIAL_SERVICES = "social_services"
    """The département's social services."""
    EMPLOYMENT_SERVICE = "employment_service"
    """The public employment service (an agency)."""
    SOCIAL_CENTRE = "social_centre"
    """A social centre of the federation."""


class PartnerRegistration(BaseModel):
    """What an administrator records about a referral partner."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="The organisation's name")
    kind: PartnerKind = Field(description="social_services (the département's), employment_service (an agency of "
                                          "the public employment service), social_centre")
    territory: str = Field(pattern=TERRITORY, description="The département it serves, e.g. 35")
    communes: tuple[str, ...] = Field(
        default=(), max_length=1000,
        description="INSEE codes of the communes it serves, all in its territory; empty: the whole département")

    @field_validator("communes")
    @classmethod
    def _communes_of_the_territory(cls, communes: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        territory = info.data.get("territory")
        for commune in communes:
            if not re.fullmatch(COMMUNE, commune):
                raise ValueError(f"{commune} is not an INSEE commune code (5 characters, e.g. 35238)")
            if territory and not commune_in_territory(commune, territory):
                raise ValueError(f"commune {commune} is not in territory {territory}")
        return tuple(sorted(set(communes)))


class ReferralPartner(PartnerRegistration):
    model_config = ConfigDict(extra="ignore")

    partner_id: str
    registered_at: datetime
    updated_at: datetime
    version: int = 0

    def referral_territory(self, request: ReferralRequest) -> str:
        """The territory of a referral this partner makes, or a RuleViolation naming the field."""
        territory = request.territory or self.territory
        if territory != self.territory:
            raise RuleViolation(f"territory: partner {self.partner_id} refers people of territory {self.territory} "
                                f"only; this referral is for territory {territory}")
        if request.commune is not None:
            if not commune_in_territory(request.commune, territory):
                raise RuleViolation(f"commune: {request.commune} is not in territory {territory}")
            if self.communes and request.commune not in self.communes:
                raise RuleViolation(f"commune: partner {self.partner_id} does not serve commune {request.commune}")
        return territory
