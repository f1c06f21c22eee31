"""Grading as data: a rule set turns a device's measured specs into points, then a grade.

A rule set has three parts, all data (the default one ships as `refurb/data/default_grading_rules.json`;
an administrator can load another without a deploy):

- `points`: for each rule, a measure and ascending steps; the rule gives the points of the
  highest step the measure reaches (none reached: the rule does not fire);
- `grades`: bands of total points, from 0 up, in grade order (D, C, B, A, Premium);
- `caps`: a grade that a device cannot exceed when all the cap's conditions hold.

Every grade records which rules fired, with the values they saw, and the rule set's version.
"""

from __future__ import annotations

import json
from enum import StrEnum
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.errors import RuleViolation
from shared.events.vocabulary import DeviceSpecs, DriveKind, Grade

GRADE_ORDER = [Grade.D, Grade.C, Grade.B, Grade.A, Grade.PREMIUM]


class Measure(StrEnum):
    """What a rule can look at. Sizes are the total capacity of the drives of that kind;
    has_* are 1 or 0."""

    CPU_SCORE = "cpu_score"
    RAM_GB = "ram_gb"
    SSD_GB = "ssd_gb"  # SATA SSDs and NVMe drives
    HDD_GB = "hdd_gb"
    HAS_NVME = "has_nvme"
    HAS_HDD = "has_hdd"


class _Rules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Step(_Rules):
    at_least: int = Field(ge=0)
    points: int = Field(ge=0, le=100)


class PointsRule(_Rules):
    rule: str = Field(min_length=1, max_length=60)
    measure: Measure
    steps: list[Step] = Field(min_length=1, max_length=20)

    @field_validator("steps")
    @classmethod
    def _ascending(cls, steps: list[Step]) -> list[Step]:
        for lower, higher in zip(steps, steps[1:]):
            if higher.at_least <= lower.at_least or higher.points < lower.points:
                raise ValueError("steps must go up: at_least strictly increasing, points never decreasing")
        return steps


class GradeBand(_Rules):
    grade: Grade
    min_points: int = Field(ge=0)


class Condition(_Rules):
    measure: Measure
    at_least: int | None = Field(default=None, ge=0)
    below: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_bound(self) -> Condition:
        if (self.at_least is None) == (self.below is None):
            raise ValueError("a condition has exactly one of at_least or below")
        return self

    def holds(self, value: int) -> bool:
        return value >= self.at_least if self.at_least is not None else value < self.below

    def describe(self, value: int) -> str:
        bound = f">= {self.at_least}" if self.at_least is not None else f"< {self.below}"
        return f"{self.measure.value} {value} {bound}"


class Cap(_Rules):
    rule: str = Field(min_length=1, max_length=60)
    at_most: Grade
    when: list[Condition] = Field(min_length=1, max_length=10)


class RuleSet(_Rules):
    label: str = Field(min_length=1, max_length=200)
    points: list[PointsRule] = Field(min_length=1, max_length=50)
    grades: list[GradeBand] = Field(min_length=1, max_length=len(GRADE_ORDER))
    caps: list[Cap] = Field(default=[], max_length=50)

    @field_validator("grades")
    @classmethod
    def _bands_in_grade_order(cls, grades: list[GradeBand]) -> list[GradeBand]:
        if grades[0].min_points != 0:
            raise ValueError("the first band must start at 0 points, so every device gets a grade")
        for lower, higher in zip(grades, grades[1:]):
            if GRADE_ORDER.index(higher.grade) <= GRADE_ORDER.index(lower.grade):
                raise ValueError(f"bands must follow the grade order {', '.join(GRADE_ORDER)}, each grade once")
            if higher.min_points <= lower.min_points:
                raise ValueError("min_points must increase from one band to the next")
        return grades

    @model_validator(mode="after")
    def _unique_rule_names(self) -> RuleSet:
        names = [r.rule for r in self.points] + [c.rule for c in self.caps]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)} used twice")
        return self


class FiredRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: str
    detail: str
    points: int = 0
    at_most: Grade | None = None
    lowered_grade: bool = False


class GradeOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    grade: Grade
    points: int
    grade_by_points: Grade
    measures: dict[str, int]
    fired: list[FiredRule]


def measures_of(specs: DeviceSpecs) -> dict[str, int]:
    if specs.cpu_score is None:
        raise RuleViolation("the CPU benchmark score is missing: it is measured at diagnosis")

    def total(*kinds: DriveKind) -> int:
        return sum(d.size_gb for d in specs.drives if d.kind in kinds)

    return {
        Measure.CPU_SCORE: specs.cpu_score,
        Measure.RAM_GB: specs.ram_gb,
        Measure.SSD_GB: total(DriveKind.SSD, DriveKind.NVME),
        Measure.HDD_GB: total(DriveKind.HDD),
        Measure.HAS_NVME: int(any(d.kind is DriveKind.NVME for d in specs.drives)),
        Measure.HAS_HDD: int(any(d.kind is DriveKind.HDD for d in specs.drives)),
    }


def grade(rules: RuleSet, specs: DeviceSpecs) -> GradeOutcome:
    measures = measures_of(specs)
    fired: list[FiredRule] = []
    points = 0
    for rule in rules.points:
        value = measures[rule.measure]
        reached = [step for step in rule.steps if value >= step.at_least]
        if reached:
            step = reached[-1]
            points += step.points
            fired.append(FiredRule(rule=rule.rule, points=step.points,
                                   detail=f"{rule.measure.value} {value} >= {step.at_least}: +{step.points}"))
    by_points = [band.grade for band in rules.grades if points >= band.min_points][-1]
    result = by_points
    for cap in rules.caps:
        if all(condition.holds(measures[condition.measure]) for condition in cap.when):
            lowered = GRADE_ORDER.index(cap.at_most) < GRADE_ORDER.index(result)
            if lowered:
                result = cap.at_most
            reasons = " and ".join(c.describe(measures[c.measure]) for c in cap.when)
            fired.append(FiredRule(rule=cap.rule, at_most=cap.at_most, lowered_grade=lowered,
                                   detail=f"{reasons}: at most {cap.at_most.value}"))
    return GradeOutcome(grade=result, points=points, grade_by_points=by_points,
                        measures={str(k): v for k, v in measures.items()}, fired=fired)


def default_rule_set() -> RuleSet:
    """The rule set shipped with the service (version 0), used until an administrator loads another."""
    text = resources.files("refurb").joinpath("data/default_grading_rules.json").read_text()
    return RuleSet.model_validate(json.loads(text))
