"""Who gets which device: the longest-waiting referral first, with the reason written down."""

from __future__ import annotations

from datetime import timedelta

from allocation.domain.matching import (
    RESERVATION_HOLD,
    AvailableDevice,
    Referral,
    longest_waiting_first,
    oldest_device_first,
    reservation_deadline,
)
from tests.unit.support import PROVENANCE, SPECS, T0


def referral(referral_id: str, waited_days: int) -> Referral:
    return Referral(referral_id=referral_id, partner_id="referrer-1", beneficiary_ref=f"FT-{referral_id}",
                    category="job_seeker", territory="35", eligibility_proof_ref="proof",
                    created_at=T0 - timedelta(days=waited_days))


def device(device_id: str, ready_days_ago: int = 0) -> AvailableDevice:
    return AvailableDevice(device_id=device_id, grade="A", device_type="laptop", specs=SPECS, provenance=PROVENANCE,
                           ready_at=T0 - timedelta(days=ready_days_ago))


def test_the_longest_waiting_referral_gets_the_device_and_the_choice_is_explained():
    waiting = [referral("r-recent", 1), referral("r-oldest", 30), referral("r-middle", 10)]

    match = longest_waiting_first(device("dev-1"), waiting)

    assert match.referral.referral_id == "r-oldest"
    assert match.device.device_id == "dev-1"
    assert match.explanation == {
        "rule": "longest waiting referral first",
        "chosen": {"referral_id": "r-oldest", "waiting_since": (T0 - timedelta(days=30)).isoformat()},
        "passed_over": [{"referral_id": "r-middle", "why": "referred later"},
                        {"referral_id": "r-recent", "why": "referred later"}],
    }


def test_referrals_made_at_the_same_moment_are_ordered_the_same_way_every_time():
    waiting = [referral("r-b", 5), referral("r-a", 5)]
    assert longest_waiting_first(device("d"), waiting).referral.referral_id == "r-a"
    assert longest_waiting_first(device("d"), list(reversed(waiting))).referral.referral_id == "r-a"


def test_no_waiting_referral_means_no_match():
    assert longest_waiting_first(device("dev-1"), []) is None


def test_the_explanation_names_at_most_ten_passed_over_referrals():
    waiting = [referral(f"r-{n:02d}", n) for n in range(15)]
    explanation = longest_waiting_first(device("d"), waiting).explanation
    assert explanation["chosen"]["referral_id"] == "r-14"
    assert len(explanation["passed_over"]) == 10


def test_a_new_referral_takes_the_device_ready_longest():
    match = oldest_device_first(referral("r-1", 0), [device("dev-new", 1), device("dev-old", 9), device("dev-mid", 4)])
    assert match.device.device_id == "dev-old"
    assert match.explanation["chosen"]["device_id"] == "dev-old"
    assert [p["device_id"] for p in match.explanation["passed_over"]] == ["dev-mid", "dev-new"]
    assert oldest_device_first(referral("r-1", 0), []) is None


def test_a_reservation_is_held_fourteen_days():
    assert RESERVATION_HOLD == timedelta(days=14)
    assert reservation_deadline(T0) == T0 + timedelta(days=14)
