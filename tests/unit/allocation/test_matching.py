"""The service's current entry points into matching keep working over the new rules (default policy).

`longest_waiting_first` and `oldest_device_first` are what the handlers call today; they
return the full explanation plus the `rule` and `passed_over` keys the service stored before.
"""

from __future__ import annotations

from datetime import timedelta

from allocation.domain.matching import (
    RESERVATION_HOLD,
    AvailableDevice,
    Referral,
    choose_referral_for_device,
    DEFAULT_MATCHING_POLICY,
    longest_waiting_first,
    oldest_device_first,
    reservation_deadline,
)
from tests.unit.support import PROVENANCE, SPECS, T0


def referral(referral_id: str, waited_days: int, territory: str = "35") -> Referral:
    return Referral(referral_id=referral_id, partner_id="referrer-1", beneficiary_ref=f"FT-{referral_id}",
                    category="job_seeker", territory=territory, eligibility_proof_ref="proof",
                    created_at=T0 - timedelta(days=waited_days))


def device(device_id: str, ready_days_ago: int = 0) -> AvailableDevice:
    return AvailableDevice(device_id=device_id, grade="A", device_type="laptop", specs=SPECS, provenance=PROVENANCE,
                           ready_at=T0 - timedelta(days=ready_days_ago))


def test_the_longest_waiting_referral_gets_the_device_and_the_choice_is_explained():
    waiting = [referral("r-recent", 1), referral("r-oldest", 30), referral("r-middle", 10)]

    match = longest_waiting_first(device("dev-1"), waiting, now=T0)

    assert match.referral.referral_id == "r-oldest"
    assert match.device.device_id == "dev-1"
    assert match.explanation["rule"] == "longest waiting referral first"
    assert match.explanation["passed_over"] == [{"referral_id": "r-middle", "why": "referred later"},
                                                {"referral_id": "r-recent", "why": "referred later"}]
    # the rest is the new explanation, exactly as the new entry point gives it
    new = choose_referral_for_device(device("dev-1"), waiting, DEFAULT_MATCHING_POLICY, T0).explanation
    assert {k: v for k, v in match.explanation.items() if k not in ("rule", "passed_over")} == new


def test_the_compatible_entry_point_applies_the_territory_rule_of_the_default_policy():
    # PROVENANCE is a public body of territory 35: its device stays in 35 for 30 days
    waiting = [referral("r-56", 90, territory="56"), referral("r-35", 1)]
    assert longest_waiting_first(device("dev-1"), waiting, now=T0).referral.referral_id == "r-35"
    assert longest_waiting_first(device("dev-1"), waiting[:1], now=T0) is None
    assert longest_waiting_first(device("dev-1"), waiting, now=T0 + timedelta(days=30)).referral.referral_id == "r-56"


def test_referrals_made_at_the_same_moment_are_ordered_the_same_way_every_time():
    waiting = [referral("r-b", 5), referral("r-a", 5)]
    assert longest_waiting_first(device("d"), waiting).referral.referral_id == "r-a"
    assert longest_waiting_first(device("d"), list(reversed(waiting))).referral.referral_id == "r-a"


def test_no_waiting_referral_means_no_match():
    assert longest_waiting_first(device("dev-1"), []) is None
    assert oldest_device_first(referral("r-1", 0), []) is None


def test_the_explanation_names_at_most_ten_passed_over_referrals():
    waiting = [referral(f"r-{n:02d}", n) for n in range(15)]
    explanation = longest_waiting_first(device("d"), waiting).explanation
    assert explanation["chosen"]["referral_id"] == "r-14"
    assert len(explanation["passed_over"]) == 10
    assert explanation["passed_over_by_reason"]["referred_later"]["count"] == 14


def test_a_new_referral_takes_the_device_ready_longest():
    match = oldest_device_first(referral("r-1", 0), [device("dev-new", 1), device("dev-old", 9), device("dev-mid", 4)],
                                now=T0)
    assert match.device.device_id == "dev-old"
    assert match.explanation["rule"] == "a new referral takes the device that has been ready longest"
    assert match.explanation["chosen"]["device_id"] == "dev-old"
    assert match.explanation["passed_over"] == [{"device_id": "dev-mid", "why": "ready later"},
                                                {"device_id": "dev-new", "why": "ready later"}]


def test_a_reservation_is_held_fourteen_days():
    assert RESERVATION_HOLD == timedelta(days=14)
    assert reservation_deadline(T0) == T0 + timedelta(days=14)
