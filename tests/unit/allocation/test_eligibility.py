"""Who may be referred, and what a referral is: the rules are data, the refusals name the rule."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from allocation.domain.eligibility import (
    DEFAULT_ELIGIBILITY_RULES,
    EligibilityRules,
    check_eligibility,
    ensure_eligible,
)
from allocation.domain.needs import Requirements, Use
from allocation.domain.referrals import Priority, Referral, ReferralRequest, ReferralStatus
from shared.errors import RuleViolation
from shared.events.vocabulary import BeneficiaryCategory
from tests.unit.support import T0

PSEUDONYM = "CAF-7781-QZ"


def request(**overrides) -> ReferralRequest:
    fields = dict(beneficiary_ref=PSEUDONYM, category="job_seeker", territory="35",
                  eligibility_proof_ref="attestation-2026-11")
    return ReferralRequest(**fields | overrides)


def earlier(status: ReferralStatus, days_ago: int, referral_id: str = "r-before", **overrides) -> Referral:
    """A previous referral of the same beneficiary (same partner, same pseudonym)."""
    at = T0 - timedelta(days=days_ago)
    fields = dict(referral_id=referral_id, partner_id="social-services-35", beneficiary_ref=PSEUDONYM,
                  category="job_seeker", territory="35", eligibility_proof_ref="proof", status=status,
                  created_at=at - timedelta(days=40),
                  fulfilled_at=at if status is ReferralStatus.FULFILLED else None)
    return Referral(**fields | overrides)


# --- target audiences ---------------------------------------------------------------------------

@pytest.mark.parametrize("category", list(BeneficiaryCategory))
def test_every_target_audience_is_eligible_by_default(category):
    assert check_eligibility(request(category=category), DEFAULT_ELIGIBILITY_RULES, [], T0) == []


def test_a_category_the_programme_does_not_serve_is_refused_naming_the_rule():
    rules = EligibilityRules(target_categories=["minimum_social_benefits", "job_seeker"])

    [reason] = check_eligibility(request(category="student"), rules, [], T0)

    assert reason.startswith("target_category: student is not one of the programme's audiences")
    assert check_eligibility(request(category="job_seeker"), rules, [], T0) == []


# --- one device per beneficiary within the period -------------------------------------------------

def test_a_beneficiary_who_received_a_device_within_the_period_is_refused_with_the_next_possible_date():
    rules = EligibilityRules(one_device_per_days=365)

    [reason] = check_eligibility(request(), rules, [earlier(ReferralStatus.FULFILLED, days_ago=100)], T0)

    assert reason.startswith("one_device_per_period:")
    received = (T0 - timedelta(days=100)).date()
    assert f"received a device on {received}" in reason
    assert f"next referral possible from {received + timedelta(days=365)}" in reason


def test_once_the_period_has_passed_the_beneficiary_may_be_referred_again():
    rules = EligibilityRules(one_device_per_days=365)
    assert check_eligibility(request(), rules, [earlier(ReferralStatus.FULFILLED, days_ago=365)], T0) == []
    assert check_eligibility(request(), rules, [earlier(ReferralStatus.FULFILLED, days_ago=364)], T0) != []


def test_the_period_runs_from_the_day_the_device_was_received_not_from_the_referral():
    # referred 400 days ago, but the device was only handed over 200 days ago
    previous = earlier(ReferralStatus.FULFILLED, days_ago=200, created_at=T0 - timedelta(days=400))
    assert check_eligibility(request(), EligibilityRules(one_device_per_days=365), [previous], T0) != []


def test_the_default_period_is_three_years():
    assert DEFAULT_ELIGIBILITY_RULES.one_device_per_days == 1095
    fulfilled_two_years_ago = [earlier(ReferralStatus.FULFILLED, days_ago=730)]
    assert check_eligibility(request(), DEFAULT_ELIGIBILITY_RULES, fulfilled_two_years_ago, T0) != []


def test_a_period_of_zero_days_sets_no_limit():
    history = [earlier(ReferralStatus.FULFILLED, days_ago=1)]
    assert check_eligibility(request(), EligibilityRules(one_device_per_days=0), history, T0) == []


@pytest.mark.parametrize("status", [ReferralStatus.CANCELLED, ReferralStatus.EXPIRED])
def test_a_referral_that_gave_no_device_does_not_count(status):
    assert check_eligibility(request(), DEFAULT_ELIGIBILITY_RULES, [earlier(status, days_ago=5)], T0) == []


@pytest.mark.parametrize("status", [ReferralStatus.WAITING, ReferralStatus.RESERVED])
def test_a_beneficiary_with_a_referral_still_open_cannot_be_referred_twice(status):
    [reason] = check_eligibility(request(), DEFAULT_ELIGIBILITY_RULES, [earlier(status, 5, "r-open")], T0)

    assert reason == f"one_open_referral: this beneficiary already has referral r-open ({status})"
    lenient = EligibilityRules(one_open_referral=False)
    assert check_eligibility(request(), lenient, [earlier(status, 5, "r-open")], T0) == []


def test_every_broken_rule_is_reported_and_none_quotes_the_pseudonym():
    rules = EligibilityRules(target_categories=["student"])
    history = [earlier(ReferralStatus.FULFILLED, 10, "r-1"), earlier(ReferralStatus.WAITING, 2, "r-2")]

    reasons = check_eligibility(request(category="job_seeker"), rules, history, T0)

    assert [r.split(":")[0] for r in reasons] == ["target_category", "one_device_per_period", "one_open_referral"]
    assert not any(PSEUDONYM in reason for reason in reasons)


def test_ensure_eligible_refuses_with_a_rule_violation_that_names_the_rules():
    ensure_eligible(request(), DEFAULT_ELIGIBILITY_RULES, [], T0)  # eligible: nothing raised
    with pytest.raises(RuleViolation, match=r"referral refused: one_open_referral: .* r-open"):
        ensure_eligible(request(), DEFAULT_ELIGIBILITY_RULES, [earlier(ReferralStatus.WAITING, 1, "r-open")], T0)


def test_history_must_be_the_same_beneficiarys():
    with pytest.raises(ValueError, match="another beneficiary"):
        check_eligibility(request(), DEFAULT_ELIGIBILITY_RULES,
                          [earlier(ReferralStatus.FULFILLED, 5, beneficiary_ref="SOMEONE-ELSE")], T0)


# --- the rules are data -----------------------------------------------------------------------------

def test_rules_are_read_from_an_administrators_json_and_validated():
    stored = json.dumps({"target_categories": ["young_person", "student"], "one_device_per_days": 730,
                         "one_open_referral": True})
    rules = EligibilityRules.model_validate_json(stored)

    assert rules.target_categories == (BeneficiaryCategory.YOUNG_PERSON, BeneficiaryCategory.STUDENT)
    assert EligibilityRules.model_validate_json(rules.model_dump_json()) == rules
    for broken in ({"target_categories": []}, {"one_device_per_days": -1}, {"target_categories": ["retired"]},
                   {"max_devices": 2}):
        with pytest.raises(ValidationError):
            EligibilityRules.model_validate(broken)


# --- what a partner sends -------------------------------------------------------------------------

def test_a_referral_request_needs_no_diagnosis_and_defaults_to_normal_priority():
    sent = request()
    assert sent.needs.requirements == Requirements()
    assert sent.needs.uses == ()
    assert sent.priority is Priority.NORMAL
    assert sent.accompaniment_wanted is False


def test_a_full_needs_diagnosis_is_accepted_from_json():
    body = {"beneficiary_ref": "FT-1", "category": "student", "territory": "2A", "eligibility_proof_ref": "p",
            "priority": 1, "accompaniment_wanted": True,
            "needs": {"uses": ["training", "schooling", "training"],
                      "requirements": {"webcam": True, "min_ram_gb": 8, "min_battery_health_pct": 70,
                                       "keyboard_layout": " AZERTY-FR "}}}

    sent = ReferralRequest.model_validate_json(json.dumps(body))

    assert sent.priority is Priority.URGENT
    assert sent.needs.uses == (Use.SCHOOLING, Use.TRAINING)
    assert sent.needs.requirements == Requirements(webcam=True, min_ram_gb=8, min_battery_health_pct=70,
                                                   keyboard_layout="azerty-fr")


@pytest.mark.parametrize("change", [
    {"beneficiary_ref": "Jean Dupont"},                       # a name, not a pseudonym
    {"priority": 0}, {"priority": 4},
    {"needs": {"uses": ["gaming"]}},
    {"needs": {"requirements": {"min_battery_health_pct": 120}}},
    {"needs": {"requirements": {"min_ram_gb": 0}}},
    {"address": "12 rue de la Paix"},                         # nothing else about the person is taken
    {"territory": "Rennes"},
])
def test_a_referral_request_refuses_what_it_must_not_hold(change):
    with pytest.raises(ValidationError):
        request(**change)


# --- the life of a referral -----------------------------------------------------------------------

def waiting() -> Referral:
    return earlier(ReferralStatus.WAITING, 0, "r-1")


def test_a_referral_goes_from_waiting_to_reserved_to_fulfilled_recording_when():
    reserved = waiting().moved_to(ReferralStatus.RESERVED, T0).model_copy(
        update={"device_id": "dev-1", "reservation_id": "res-1"})
    fulfilled = reserved.moved_to(ReferralStatus.FULFILLED, T0 + timedelta(days=3))

    assert fulfilled.status is ReferralStatus.FULFILLED
    assert fulfilled.fulfilled_at == T0 + timedelta(days=3)
    assert fulfilled.version == waiting().version  # the write stays conditional on the version read


def test_a_released_reservation_puts_the_referral_back_in_line_at_its_place():
    reserved = waiting().moved_to(ReferralStatus.RESERVED, T0).model_copy(
        update={"device_id": "dev-1", "reservation_id": "res-1"})

    back = reserved.moved_to(ReferralStatus.WAITING, T0 + timedelta(days=14))

    assert (back.status, back.device_id, back.reservation_id) == (ReferralStatus.WAITING, None, None)
    assert back.created_at == reserved.created_at


@pytest.mark.parametrize("end", [ReferralStatus.CANCELLED, ReferralStatus.EXPIRED])
def test_a_waiting_or_reserved_referral_can_be_cancelled_or_expire_and_then_nothing_more(end):
    for start in (waiting(), waiting().moved_to(ReferralStatus.RESERVED, T0)):
        closed = start.moved_to(end, T0)
        assert (closed.status, closed.closed_at) == (end, T0)
        for status in ReferralStatus:
            with pytest.raises(RuleViolation, match=f"cannot go from {end}"):
                closed.moved_to(status, T0)


def test_a_waiting_referral_cannot_be_fulfilled_without_a_reservation():
    with pytest.raises(RuleViolation, match="cannot go from waiting to fulfilled"):
        waiting().moved_to(ReferralStatus.FULFILLED, T0)
