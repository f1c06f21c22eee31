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


class PointsStep(_Rules):
    at_least: int = Field(ge=0, description="The measure's value from which this step is reached")
    points: int = Field(ge=0, le=100, description="Points given when this is the highest step reached")


class PointsRule(_Rules):
    rule: str = Field(min_length=1, max_length=60, description="The rule's name, unique in the rule set")
    measure: Measure = Field(description="The measure it looks at")
    steps: list[PointsStep] = Field(min_length=1, max_length=20, description="Ascending steps")

    @field_validator("steps")
    @classmethod
    def _ascending(cls, steps: list[PointsStep]) -> list[PointsStep]:
        for lower, higher in zip(steps, steps[1:]):
            if higher.at_least <= lower.at_least or higher.points < lower.points:
                raise ValueError("steps must go up: at_least strictly increasing, points never decreasing")
        return steps


class GradeBand(_Rules):
    grade: Grade = Field(description="The grade of this band")
    min_points: int = Field(ge=0, description="Points from which a device gets it")


class Condition(_Rules):
    measure: Measure = Field(description="The measure it looks at")
    at_least: int | None = Field(default=None, ge=0, description="Holds when the measure is at least this")
    below: int | None = Field(default=None, ge=0, description="Holds when the measure is below this")

    @model_validator(mode="after")
    def _one_bound(self) -> Condition:
        if (self.at_least is None) == (self.below is None):
            raise ValueError("a condition has exactly one of at_least or below")
        return self

    def holds(self, value: int) -> bool:
        return value >= self.at_least if self.at_least is not None else value < self.below

    def fact(self, value: int) -> Fact:
        return Fact(measure=self.measure, value=value, at_least=self.at_least, below=self.below)

    def describe(self, value: int) -> str:
        bound = f">= {self.at_least}" if self.at_least is not None else f"< {self.below}"
        return f"{self.measure.value} {value} {bound}"


class Cap(_Rules):
    rule: str = Field(min_length=1, max_length=60, description="The cap's name, unique in the rule set")
    at_most: Grade = Field(description="The highest grade a device can get when every condition holds")
    when: list[Condition] = Field(min_length=1, max_length=10, description="Conditions, all of which must hold")


class RuleSet(_Rules):
    label: str = Field(min_length=1, max_length=200, description="What the rule set is, in a line")
    points: list[PointsRule] = Field(min_length=1, max_length=50, description="Rules that give points")
    grades: list[GradeBand] = Field(min_length=1, max_length=len(GRADE_ORDER),
                                    description="Bands of total points, from 0, in grade order D, C, B, A, Premium")
    caps: list[Cap] = Field(default=[], max_length=50, description="Grades a device cannot exceed")

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


class RuleKind(StrEnum):
    POINTS = "points"  # gave points
    CAP = "cap"  # held the grade at most at a level


class Fact(BaseModel):
    """What a rule read, and the bound it compared it with (exactly one of at_least / below)."""

    model_config = ConfigDict(frozen=True)

    measure: Measure = Field(description="The measure read")
    value: int = Field(description="Its value on this device")
    at_least: int | None = Field(default=None, description="The rule fired because value >= at_least")
    below: int | None = Field(default=None, description="The rule fired because value < below")


class FiredRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: str = Field(description="The rule's name in the rule set, e.g. cpu, hdd-at-most-B")
    kind: RuleKind = Field(default=RuleKind.POINTS, description="points: it gave points; cap: it capped the grade")
    facts: list[Fact] = Field(default=[], description="What it read and compared, so a page can say it in words "
                                                      "(empty on grades given before facts were recorded)")
    detail: str = Field(description="The same in a line of English, e.g. cpu_score 4200 >= 3500: +2")
    points: int = Field(default=0, description="Points it gave (0 for a cap)")
    at_most: Grade | None = Field(default=None, description="A cap: the highest grade it allows")
    lowered_grade: bool = Field(default=False, description="A cap: whether it lowered the grade the points gave")


class GradeOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    grade: Grade = Field(description="The grade given")
    points: int = Field(description="Total points of the points rules")
    grade_by_points: Grade = Field(description="The grade the points alone gave, before caps")
    measures: dict[Measure, int] = Field(description="Every measure, as read from the measured specs")
    fired: list[FiredRule] = Field(description="Every rule that fired, points rules first, in rule set order")


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
            fired.append(FiredRule(rule=rule.rule, kind=RuleKind.POINTS, points=step.points,
                                   facts=[Fact(measure=rule.measure, value=value, at_least=step.at_least)],
                                   detail=f"{rule.measure.value} {value} >= {step.at_least}: +{step.points}"))
    by_points = [band.grade for band in rules.grades if points >= band.min_points][-1]
    result = by_points
    for cap in rules.caps:
        if all(condition.holds(measures[condition.measure]) for condition in cap.when):
            lowered = GRADE_ORDER.index(cap.at_most) < GRADE_ORDER.index(result)
            if lowered:
                result = cap.at_most
            reasons = " and ".join(c.describe(measures[c.measure]) for c in cap.when)
            fired.append(FiredRule(rule=cap.rule, kind=RuleKind.CAP, at_most=cap.at_most, lowered_grade=lowered,
                                   facts=[condition.fact(measures[condition.measure]) for condition in cap.when],
                                   detail=f"{reasons}: at most {cap.at_most.value}"))
    return GradeOutcome(grade=result, points=points, grade_by_points=by_points,
                        measures=measures, fired=fired)


def default_rule_set() -> RuleSet:
    """The rule set shipped with the service (version 0), used until an administrator loads another."""
    text = resources.files("refurb").joinpath("data/default_grading_rules.json").read_text()
    return RuleSet.model_validate(json.loads(text))
