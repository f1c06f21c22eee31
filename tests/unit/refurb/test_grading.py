"""The association's grading grid, as shipped: points, bands, caps, and what makes a rule set valid."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest
from pydantic import ValidationError

from refurb.domain.grading import RuleSet, default_rule_set, grade
from shared.errors import RuleViolation
from shared.events.vocabulary import DeviceSpecs

RULES = default_rule_set()


def specs(cpu: int, ram: int, *drives: tuple[str, int]) -> DeviceSpecs:
    return DeviceSpecs(cpu_score=cpu, ram_gb=ram, drives=[{"kind": k, "size_gb": s} for k, s in drives])


@pytest.mark.parametrize("device, points, expected", [
    # every band, at its edges
    (specs(1999, 3, ("ssd", 63)), 0, "D"),
    (specs(2000, 4, ("ssd", 64)), 3, "D"),
    (specs(2000, 4, ("ssd", 128)), 4, "C"),
    (specs(3499, 5, ("ssd", 128)), 5, "C"),
    (specs(3500, 5, ("ssd", 128)), 6, "B"),
    (specs(3500, 8, ("ssd", 199)), 7, "B"),
    (specs(3500, 8, ("ssd", 200)), 8, "A"),
    (specs(5000, 8, ("ssd", 500)), 10, "A"),
    (specs(5000, 8, ("nvme", 500)), 11, "Premium"),  # the NVMe bonus tips it over
    (specs(7000, 16, ("nvme", 1000)), 13, "Premium"),
    # HDD points: 160 and 257 GB
    (specs(1000, 2, ("hdd", 159)), 0, "D"),
    (specs(1000, 2, ("hdd", 160)), 1, "D"),
    (specs(1000, 2, ("hdd", 256)), 1, "D"),
    (specs(1000, 2, ("hdd", 257)), 2, "D"),
])
def test_points_and_bands(device, points, expected):
    outcome = grade(RULES, device)
    assert (outcome.points, outcome.grade) == (points, expected)


@pytest.mark.parametrize("device, points, by_points, expected", [
    (specs(7000, 16, ("hdd", 500)), 10, "A", "B"),                # an HDD device is at most B
    (specs(5000, 8, ("nvme", 256), ("hdd", 1000)), 12, "Premium", "B"),  # an HDD beside an SSD too
    (specs(2499, 16, ("hdd", 500)), 7, "B", "C"),                 # HDD and CPU under 2500: at most C
    (specs(2500, 16, ("hdd", 500)), 7, "B", "B"),                 # 2500 is not under 2500
    (specs(2499, 16, ("ssd", 500)), 9, "A", "A"),                 # a weak CPU alone caps nothing
    (specs(1000, 2, ("hdd", 100)), 0, "D", "D"),                  # a cap never raises a grade
])
def test_caps(device, points, by_points, expected):
    outcome = grade(RULES, device)
    assert (outcome.points, outcome.grade_by_points, outcome.grade) == (points, by_points, expected)


def test_the_grade_records_which_rules_fired_and_why():
    outcome = grade(RULES, specs(2400, 16, ("hdd", 500)))
    fired = {f.rule: f for f in outcome.fired}
    assert list(fired) == ["cpu", "ram", "hdd", "hdd-at-most-B", "hdd-and-weak-cpu-at-most-C"]
    assert (fired["cpu"].points, fired["cpu"].detail) == (1, "cpu_score 2400 >= 2000: +1")
    # 7 points is B already: only the second cap lowers the grade
    assert (fired["hdd-at-most-B"].lowered_grade, fired["hdd-and-weak-cpu-at-most-C"].lowered_grade) == (False, True)
    assert fired["hdd-and-weak-cpu-at-most-C"].detail == "has_hdd 1 >= 1 and cpu_score 2400 < 2500: at most C"
    assert outcome.measures == {"cpu_score": 2400, "ram_gb": 16, "ssd_gb": 0, "hdd_gb": 500,
                                "has_nvme": 0, "has_hdd": 1}


def test_storage_of_one_kind_is_added_up():
    assert grade(RULES, specs(0, 2, ("ssd", 64), ("ssd", 64))).measures["ssd_gb"] == 128


def test_a_device_without_a_measured_cpu_score_cannot_be_graded():
    with pytest.raises(RuleViolation, match="CPU benchmark score is missing"):
        grade(RULES, DeviceSpecs(ram_gb=8, drives=[{"kind": "ssd", "size_gb": 256}]))


def test_the_shipped_file_is_the_rule_set():
    text = resources.files("refurb").joinpath("data/default_grading_rules.json").read_text()
    assert RuleSet.model_validate(json.loads(text)) == RULES
    assert [(b.grade, b.min_points) for b in RULES.grades] == [("D", 0), ("C", 4), ("B", 6), ("A", 8), ("Premium", 11)]


# --- what an administrator may load ------------------------------------------------------------------

def _edited(change) -> dict:
    rules = copy.deepcopy(RULES.model_dump(mode="json"))
    change(rules)
    return rules


@pytest.mark.parametrize("change, field, message", [
    (lambda r: r["points"][0]["steps"].reverse(), "steps", "steps must go up"),
    (lambda r: r["points"][0].update(measure="gpu_score"), "measure", "Input should be"),
    (lambda r: r["grades"].pop(0), "grades", "the first band must start at 0 points"),
    (lambda r: r["grades"].reverse(), "grades", "the first band must start at 0 points"),
    (lambda r: r["grades"][1].update(grade="A"), "grades", "bands must follow the grade order"),
    (lambda r: r["grades"][2].update(min_points=4), "grades", "min_points must increase"),
    (lambda r: r["caps"][0]["when"][0].update(below=3), "when", "exactly one of at_least or below"),
    (lambda r: r["caps"][0].update(at_most="A+"), "at_most", "Input should be"),
    (lambda r: r["caps"][0].update(rule="cpu"), "", "rule names must be unique: cpu used twice"),
    (lambda r: r.update(points=[]), "points", "at least 1 item"),
    (lambda r: r.update(comment="hi"), "comment", "Extra inputs are not permitted"),
])
def test_an_invalid_rule_set_is_refused_naming_the_field(change, field, message):
    with pytest.raises(ValidationError) as refused:
        RuleSet.model_validate(_edited(change))
    error = refused.value.errors()[0]
    assert field in [str(part) for part in error["loc"]] or not field
    assert message in error["msg"]


def test_another_rule_set_grades_differently():
    strict = RuleSet.model_validate(_edited(lambda r: r["grades"][3].update(min_points=10)))
    device = specs(5000, 8, ("ssd", 256))  # 9 points
    assert (grade(RULES, device).grade, grade(strict, device).grade) == ("A", "B")
