"""Impact report of a lot or of a donor: what became of the devices, whom they equipped, CO2 avoided.

Counts only: beneficiaries appear as a number per category, never one by one. The CO2
figure is an estimate whose factor, number of extra years and source are printed with it,
so a donor can quote it and anyone can redo the sum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field

from shared.events.vocabulary import BeneficiaryCategory

from intake.domain.documents import (
    DEFAULT_ISSUER,
    DonatedDevice,
    Document,
    DonorSummary,
    FrozenModel,
    Issuer,
    with_content_id,
)
from intake.domain.donors import Donor
from intake.domain.passport import DeviceStage

IMPACT_SOURCE = "ADEME 2022"
# A refurbished laptop avoids about this much per extra year of use (ADEME 2022).
KG_CO2E_AVOIDED_PER_EXTRA_YEAR = Decimal("27")
# Manufacturing a new laptop emits about this much (ADEME 2022): context for the reader, not in the sum.
KG_CO2E_TO_MANUFACTURE_A_LAPTOP = Decimal("225")
# How much longer a reused device is assumed to serve; each report may set its own (up to the max).
DEFAULT_EXTRA_YEARS_OF_USE = Decimal("2")
MAX_EXTRA_YEARS_OF_USE = Decimal("10")

REUSED_STAGES = frozenset({DeviceStage.SOLD, DeviceStage.HANDED_OVER})
RECYCLED_STAGES = frozenset({DeviceStage.SCRAPPED, DeviceStage.REJECTED})


class ImpactScopeKind(StrEnum):
    """lot (one lot) or donor (every lot of the donor)."""

    LOT = "lot"
    DONOR = "donor"


class ImpactScope(FrozenModel):
    kind: ImpactScopeKind = Field(description="lot or donor")
    donor: DonorSummary = Field(description="Whose devices")
    lot_id: str | None = Field(default=None, description="The lot, for a lot's report; null for a donor's")

    @classmethod
    def for_lot(cls, donor: Donor, lot_id: str) -> ImpactScope:
        return cls(kind=ImpactScopeKind.LOT, donor=DonorSummary.of(donor), lot_id=lot_id)

    @classmethod
    def for_donor(cls, donor: Donor) -> ImpactScope:
        """Every lot of the donor."""
        return cls(kind=ImpactScopeKind.DONOR, donor=DonorSummary.of(donor))

    def covers(self, device: DonatedDevice) -> bool:
        if device.donor_id != self.donor.donor_id:
            return False
        return self.kind is ImpactScopeKind.DONOR or device.lot_id == self.lot_id


class Outcomes(FrozenModel):
    devices: int = Field(description="Devices handed over")
    reused: int = Field(description="Sold or handed over to a beneficiary")
    recycled: int = Field(description="Scrapped in refurbishment or rejected at reception")
    in_progress: int = Field(description="Still on their way: received, in refurbishment, ready or reserved")

    @classmethod
    def of(cls, devices: list[DonatedDevice]) -> Outcomes:
        reused = sum(d.stage in REUSED_STAGES for d in devices)
        recycled = sum(d.stage in RECYCLED_STAGES for d in devices)
        return cls(devices=len(devices), reused=reused, recycled=recycled,
                   in_progress=len(devices) - reused - recycled)


class LotOutcomes(Outcomes):
    lot_id: str = Field(description="The lot")


class PeopleEquipped(FrozenModel):
    category: BeneficiaryCategory = Field(description="minimum_social_benefits, job_seeker, young_person or student")
    count: int = Field(description="People of that category who got one of the devices")


class CarbonEstimate(FrozenModel):
    avoided_kg_co2e: Decimal = Field(description="Emissions avoided, in kgCO2e: reused devices × factor × years")
    reused_devices: int = Field(description="Devices reused")
    kg_co2e_per_extra_year: Decimal = Field(gt=0, description="kgCO2e avoided per extra year of use of a "
                                                              "refurbished laptop")
    extra_years_of_use: Decimal = Field(gt=0, le=MAX_EXTRA_YEARS_OF_USE,
                                        description="Extra years of use assumed for a reused device")
    manufacturing_kg_co2e: Decimal = Field(description="Manufacturing one new laptop, for comparison only")
    source: str = Field(description="Where the factors come from")
    method: str = Field(description="How the estimate is computed, in words")


class ImpactReport(Document):
    document_type: Literal["impact_report"] = Field(default="impact_report", description="impact_report")
    scope: ImpactScope = Field(description="What the report covers: one lot, or every lot of a donor")
    outcomes: Outcomes = Field(description="What became of the devices")
    by_lot: list[LotOutcomes] = Field(description="One line per lot, for a donor's report; empty for a lot's")
    people_equipped: list[PeopleEquipped] = Field(description="Every category, zeros included")
    people_equipped_total: int = Field(description="One person per reused device")
    category_not_recorded: int = Field(description="Reused devices whose beneficiary category is unknown")
    carbon: CarbonEstimate = Field(description="The emissions avoided by reuse")


def impact_report(
    scope: ImpactScope,
    devices: Iterable[DonatedDevice],
    issued_on: date,
    *,
    extra_years_of_use: Decimal | int = DEFAULT_EXTRA_YEARS_OF_USE,
    kg_co2e_per_extra_year: Decimal = KG_CO2E_AVOIDED_PER_EXTRA_YEAR,
    issuer: Issuer = DEFAULT_ISSUER,
) -> ImpactReport:
    """The impact of every device in `scope`, as things stand on `issued_on`.

    `devices` must all fall within the scope: a device of another lot or donor is a
    caller's mistake (ValueError), never silently dropped nor counted.
    """
    devices = list(devices)
    strangers = [d.device_id for d in devices if not scope.covers(d)]
    if strangers:
        where = f"lot {scope.lot_id}" if scope.kind is ImpactScopeKind.LOT else f"donor {scope.donor.donor_id}"
        raise ValueError(f"devices outside {where}: {', '.join(strangers)}")
    if len({d.device_id for d in devices}) != len(devices):
        raise ValueError("a device is listed more than once")

    outcomes = Outcomes.of(devices)
    reused = [d for d in devices if d.stage in REUSED_STAGES]
    by_category = Counter(d.beneficiary_category for d in reused if d.beneficiary_category is not None)
    by_lot = []
    if scope.kind is ImpactScopeKind.DONOR:
        lot_ids = sorted({d.lot_id for d in devices})
        by_lot = [
            LotOutcomes(lot_id=lot_id, **Outcomes.of([d for d in devices if d.lot_id == lot_id]).model_dump())
            for lot_id in lot_ids
        ]

    years = Decimal(extra_years_of_use)
    report = ImpactReport(
        document_id="",
        issued_on=issued_on,
        issuer=issuer,
        scope=scope,
        outcomes=outcomes,
        by_lot=by_lot,
        people_equipped=[PeopleEquipped(category=c, count=by_category[c]) for c in BeneficiaryCategory],
        people_equipped_total=len(reused),
        category_not_recorded=len(reused) - sum(by_category.values()),
        carbon=CarbonEstimate(
            avoided_kg_co2e=len(reused) * kg_co2e_per_extra_year * years,
            reused_devices=len(reused),
            kg_co2e_per_extra_year=kg_co2e_per_extra_year,
            extra_years_of_use=years,
            manufacturing_kg_co2e=KG_CO2E_TO_MANUFACTURE_A_LAPTOP,
            source=IMPACT_SOURCE,
            method=(
                f"reused devices × {kg_co2e_per_extra_year} kgCO2e per extra year of use × {years} extra year(s) "
                f"({IMPACT_SOURCE}, refurbished laptop)"
            ),
        ),
    )
    return with_content_id(report)
