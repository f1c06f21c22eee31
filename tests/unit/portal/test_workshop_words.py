"""The workshop's pages have a French word for every key they use and for every value the refurb
service can answer where a page names it (a status, a technique, a grading measure…), so a new
value in the service cannot show up as a raw key."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path

import pytest

from refurb.domain.grading import Measure, RuleKind
from refurb.domain.reports import Function, FunctionCheck, SmartStatus
from refurb.domain.work_orders import Action, DriveState, StepState, WorkOrderStatus
from shared.events.vocabulary import (
    DeviceType,
    DriveKind,
    ErasureLevel,
    ErasureTechnique,
    RecyclingChannel,
    ScrapReason,
)

PORTAL = Path(__file__).parents[3] / "portal"
SOURCES = [*(PORTAL / "templates" / "workshop").glob("*.html"), *(PORTAL / "static/js/pages/workshop").glob("*.js")]
# Each prefix a page completes with a value the service answers, and the enum of those values.
NAMED_VALUES: dict[str, type[StrEnum]] = {
    "workshop.status": WorkOrderStatus,
    "workshop.step": Action,
    "workshop.order.steps": StepState,
    "workshop.function": Function,
    "workshop.check": FunctionCheck,
    "workshop.drive_kind": DriveKind,
    "workshop.smart": SmartStatus,
    "workshop.erasure.state": DriveState,
    "workshop.technique": ErasureTechnique,
    "workshop.level": ErasureLevel,
    "workshop.scrap_reason": ScrapReason,
    "workshop.channel": RecyclingChannel,
    "workshop.device_type": DeviceType,
    "workshop.measure": Measure,
}


def flatten(entries: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in entries.items():
        flat |= flatten(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value}
    return flat


WORDS = {**flatten(json.loads((PORTAL / "catalogue/fr/common.json").read_text())),
         **flatten(json.loads((PORTAL / "catalogue/fr/workshop.json").read_text()))}
TEXT = "\n".join(path.read_text() for path in SOURCES)


def test_the_pages_sources_are_found():
    assert {p.name for p in SOURCES} >= {"queue.html", "work_order.html", "queue.js", "work_order.js"}


def test_every_key_a_page_uses_has_a_word():
    used = set(re.findall(r"""\bt\(\s*["']((?:workshop|common)\.[a-z0-9_.]*[a-z0-9_])["']""", TEXT))
    assert used, "no key found: the pattern no longer matches the sources"
    assert sorted(used - set(WORDS)) == []


def test_every_prefix_completed_with_a_value_is_one_the_service_answers():
    completed = set(re.findall(r"t\(`(workshop\.[a-z_.]+)\.\$\{", TEXT))
    completed |= set(re.findall(r"""choicesOf\(\s*["'](workshop\.[a-z_.]+)["']""", TEXT))
    completed |= set(re.findall(r"""t\(\s*["'](workshop\.[a-z_.]+)\.["']\s*\+""", TEXT))
    assert completed and completed <= set(NAMED_VALUES), sorted(completed - set(NAMED_VALUES))


@pytest.mark.parametrize("prefix", sorted(NAMED_VALUES))
def test_every_value_the_service_answers_has_a_french_word(prefix):
    missing = [value.value for value in NAMED_VALUES[prefix] if f"{prefix}.{value.value}" not in WORDS]
    assert missing == []


def test_both_kinds_of_grading_rule_have_their_sentence():
    assert {kind.value for kind in RuleKind} == {"points", "cap"}  # records.js words each of them
    assert {"workshop.grade.points_rule", "workshop.grade.cap_rule"} <= set(WORDS)
