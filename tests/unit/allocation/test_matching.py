"""How long a reservation holds is part of the matching policy: data an administrator edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from allocation.domain.matching import (
    DEFAULT_MATCHING_POLICY,
    AvailableDevice,
    MatchingPolicy,
    Referral,
    choose_referral_for_device,
    reservation_deadline,
)
from tests.unit.support import PROVENANCE, SPECS, T0


def test_a_reservation_is_held_fourteen_days_by_default():
    assert DEFAULT_MATCHING_POLICY.reservation_hold == timedelta(days=14)
    assert reservation_deadline(T0, DEFAULT_MATCHING_POLICY) == T0 + timedelta(days=14)


def test_the_hold_is_written_as_an_iso_8601_duration():
    policy = MatchingPolicy.model_validate({"reservation_hold": "PT36H"})
    assert reservation_deadline(T0, policy) == T0 + timedelta(hours=36)
    assert DEFAULT_MATCHING_POLICY.model_dump(mode="json")["reservation_hold"] == "P14D"
    assert MatchingPolicy.model_validate(DEFAULT_MATCHING_POLICY.model_dump(mode="json")) == DEFAULT_MATCHING_POLICY


@pytest.mark.parametrize("hold", ["PT0S", "P91D", "two weeks"])
def test_a_hold_of_nothing_of_more_than_three_months_or_unreadable_is_refused_naming_the_field(hold):
    with pytest.raises(ValidationError, match="reservation_hold"):
        MatchingPolicy.model_validate({"reservation_hold": hold})


def test_the_explanation_of_a_match_records_the_hold_that_applied():
    referral = Referral(referral_id="r-1", partner_id="referrer-1", beneficiary_ref="FT-1", category="student",
                        territory="35", eligibility_proof_ref="proof", created_at=T0 - timedelta(days=1))
    device = AvailableDevice(device_id="dev-1", grade="A", device_type="laptop", specs=SPECS, provenance=PROVENANCE,
                             ready_at=T0)
    policy = MatchingPolicy(reservation_hold=timedelta(days=7))
    match = choose_referral_for_device(device, [referral], policy, T0)
    assert match.explanation["policy"]["reservation_hold"] == "P7D"
