"""The social worker's pages hold together: each renders, every word they use is in the French
catalogue, and every value allocation can answer (a status, a grade, a reason of a match…) has
its words, so a page never shows a bare code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import catalogue
import pages
import rendering
from allocation.domain.needs import Use
from allocation.domain.referrals import Priority, ReferralStatus
from allocation.views import MatchExplanation, MatchReason, PassedOver
from shared.events.vocabulary import BeneficiaryCategory, DeviceType, DonorType, Grade, ReleaseReason

PORTAL = Path(pages.__file__).parent.parent
SOURCES = [*sorted((PORTAL / "templates" / "referrer").glob("*.html")),
           *sorted((PORTAL / "static" / "js" / "pages" / "referrer").glob("*.js"))]
WORDS = catalogue.words()
CONFIG = {"pool_endpoint": "http://cognito.local", "client_id": "client", "region": "eu-west-3"}


def choices(model, field: str) -> list[str]:
    """The values a response model's field allows, as its OpenAPI schema lists them."""
    return model.model_json_schema()["properties"][field]["enum"]


def referrer_pages() -> list[pages.Page]:
    return [page for page in pages.PAGES if page.template.startswith("referrer/")]


def test_the_three_pages_are_for_referral_partners_only():
    assert sorted(page.path for page in referrer_pages()) == ["orientations", "orientations/{referral_id}", "orienter"]
    assert all(page.roles == ("referrer",) for page in referrer_pages())


@pytest.mark.parametrize("page", referrer_pages(), ids=lambda page: page.path)
def test_each_page_renders_with_its_parameters_on_main(page):
    params = {name: "ref-1" for name in re.findall(r"\{(\w+)\}", page.path)}
    html = rendering.render(page, params, CONFIG)
    assert "<main" in html and 'lang="fr"' in html
    for name in params:
        assert f'data-{name.replace("_", "-")}="ref-1"' in html


def test_every_word_the_pages_name_is_in_the_catalogue():
    named = {key for source in SOURCES for key in re.findall(r"""["'](referrer\.[a-z0-9_.-]+[a-z0-9_])["']""",
                                                             source.read_text())}
    assert named and sorted(named - WORDS.keys()) == []


@pytest.mark.parametrize(("family", "values"), [
    ("referrer.status", [s.value for s in ReferralStatus]),
    ("referrer.device_type", [t.value for t in DeviceType]),
    ("referrer.grade", [g.value for g in Grade]),
    ("referrer.donor", [d.value for d in DonorType]),
    ("referrer.use", [u.value for u in Use]),
    ("referrer.priority", [str(p.value) for p in Priority]),
    ("referrer.reservation.released_because", [r.value for r in ReleaseReason]),
    ("referrer.why.trigger", choices(MatchExplanation, "trigger")),
])
def test_every_value_allocation_answers_has_its_words(family, values):
    assert [value for value in values if f"{family}.{value}" not in WORDS] == []


def test_every_category_is_explained():
    for category in BeneficiaryCategory:
        assert {f"referrer.category.{category}.label", f"referrer.category.{category}.hint"} <= WORDS.keys()


def test_every_reason_of_a_match_has_a_sentence_under_its_rule():
    sentences = {key.split(".")[-1] for key in WORDS if re.fullmatch(r"referrer\.why\.(provenance|needs|order)\.\w+", key)}
    assert set(choices(MatchReason, "code")) == sentences


def test_every_candidate_passed_over_is_counted_in_words():
    codes = set(choices(PassedOver, "code"))
    for trigger in choices(MatchExplanation, "trigger"):
        worded = {key.split(".")[-1] for key in WORDS if key.startswith(f"referrer.why.passed_over.{trigger}.")} - {"title"}
        assert worded <= codes
    device_ready = {"other_territory", "needs_not_met", "lower_priority", "referred_later"}
    referral_arrived = {"other_territory", "needs_not_met", "own_territory_device_first", "ready_later"}
    assert device_ready | referral_arrived == codes
    for trigger, expected in (("device_ready", device_ready), ("referral_arrived", referral_arrived)):
        assert all(f"referrer.why.passed_over.{trigger}.{code}" in WORDS for code in expected)
