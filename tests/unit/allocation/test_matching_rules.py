"""Matching rules: the territory comes first for public devices, needs must be met, then fairness.

Each decision is explained: the rules in the order applied, the chosen one, and who was
passed over for which reason (counted, the first few named).
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from allocation.domain.matching import (
    DEFAULT_MATCHING_POLICY,
    AvailableDevice,
    MatchingPolicy,
    Referral,
    WaitingPool,
    choose_device_for_referral,
    choose_referral_for_device,
    kept_for_territory,
    territory_window_ends_at,
)
from allocation.domain.needs import FunctionalFacts, Needs, Requirements, meets_needs
from allocation.domain.referrals import ReferralStatus
from shared.events.vocabulary import DeviceSpecs, Provenance
from tests.unit.support import T0

POLICY = DEFAULT_MATCHING_POLICY  # public bodies and schools first to their territory, for 30 days
LAPTOP = FunctionalFacts(battery_health_pct=85, webcam=True, keyboard_layout="azerty-fr")


def referral(referral_id: str, waited_days: float = 0, territory: str = "35", priority: int = 3,
             status: ReferralStatus = ReferralStatus.WAITING, **requirements) -> Referral:
    return Referral(referral_id=referral_id, partner_id="referrer-1", beneficiary_ref=f"PSEUDO-{referral_id}",
                    category="job_seeker", territory=territory, eligibility_proof_ref="proof", priority=priority,
                    needs=Needs(requirements=Requirements(**requirements)), status=status,
                    created_at=T0 - timedelta(days=waited_days))


def device(device_id: str = "dev-1", donor: str = "public_body", territory: str = "35", ready_days_ago: float = 0,
           ram_gb: int = 8, functional: FunctionalFacts | None = LAPTOP) -> AvailableDevice:
    return AvailableDevice(device_id=device_id, grade="B", device_type="laptop",
                           specs=DeviceSpecs(ram_gb=ram_gb, drives=[{"kind": "ssd", "size_gb": 256}]),
                           provenance=Provenance(donor_type=donor, territory=territory),
                           ready_at=T0 - timedelta(days=ready_days_ago), functional=functional)


def chosen_referral(dev: AvailableDevice, waiting: list[Referral], policy: MatchingPolicy = POLICY,
                    now=T0) -> str | None:
    match = choose_referral_for_device(dev, waiting, policy, now)
    return match and match.referral.referral_id


def chosen_device(ref: Referral, available: list[AvailableDevice], policy: MatchingPolicy = POLICY,
                  now=T0) -> str | None:
    match = choose_device_for_referral(ref, available, policy, now)
    return match and match.device.device_id


# --- provenance: the territory first, for a while -------------------------------------------------

def test_a_public_bodys_device_goes_to_its_own_territory_before_someone_who_waited_longer_elsewhere():
    waiting = [referral("r-56", waited_days=90, territory="56"), referral("r-35", waited_days=2, territory="35")]
    assert chosen_referral(device(donor="public_body", territory="35"), waiting) == "r-35"


def test_within_its_window_a_public_device_waits_rather_than_leave_its_territory():
    waiting = [referral("r-56", waited_days=90, territory="56")]
    assert chosen_referral(device(territory="35", ready_days_ago=29), waiting) is None


def test_once_its_window_has_passed_a_public_device_goes_to_whoever_waited_longest():
    waiting = [referral("r-35", waited_days=2, territory="35"), referral("r-56", waited_days=90, territory="56")]
    ready = device(territory="35", ready_days_ago=0)
    window_end = T0 + timedelta(days=30)

    assert territory_window_ends_at(ready, POLICY) == window_end
    assert kept_for_territory(ready, POLICY, window_end - timedelta(seconds=1)) == "35"
    assert kept_for_territory(ready, POLICY, window_end) is None
    assert chosen_referral(ready, waiting, now=window_end - timedelta(seconds=1)) == "r-35"
    assert chosen_referral(ready, waiting, now=window_end) == "r-56"


def test_school_devices_are_the_departements_too_and_company_devices_are_open_to_all_at_once():
    waiting = [referral("r-35", waited_days=2, territory="35"), referral("r-56", waited_days=90, territory="56")]
    assert chosen_referral(device(donor="school", territory="35"), waiting) == "r-35"
    company = device(donor="company", territory="35")
    assert territory_window_ends_at(company, POLICY) is None
    assert chosen_referral(company, waiting) == "r-56"


def test_which_donors_and_how_long_are_policy_data():
    waiting = [referral("r-35", waited_days=2, territory="35"), referral("r-56", waited_days=90, territory="56")]
    public_only = MatchingPolicy(territory_first_donor_types=["public_body"])
    assert chosen_referral(device(donor="school"), waiting, public_only) == "r-56"
    assert chosen_referral(device(donor="public_body"), waiting, public_only) == "r-35"
    assert chosen_referral(device(ready_days_ago=8), waiting, MatchingPolicy(territory_window_days=7)) == "r-56"
    assert MatchingPolicy.model_validate_json(POLICY.model_dump_json()) == POLICY


def test_a_referral_cannot_take_a_device_kept_for_another_territory():
    kept_elsewhere = device("dev-56", donor="public_body", territory="56", ready_days_ago=10)
    assert chosen_device(referral("r-35", territory="35"), [kept_elsewhere]) is None
    assert chosen_device(referral("r-35", territory="35"), [kept_elsewhere], now=T0 + timedelta(days=20)) == "dev-56"


# --- needs ----------------------------------------------------------------------------------------

def test_a_device_meets_needs_only_with_every_requirement_satisfied():
    needs = Needs(requirements=Requirements(webcam=True, min_ram_gb=8, min_battery_health_pct=80,
                                            keyboard_layout="azerty-fr"))
    assert meets_needs(device(ram_gb=8, functional=LAPTOP), needs) == []

    worn = FunctionalFacts(battery_health_pct=79, webcam=False, keyboard_layout="qwerty-us")
    assert meets_needs(device(ram_gb=4, functional=worn), needs) == [
        "needs a webcam; the device has none",
        "needs at least 8 GB of RAM; the device has 4 GB",
        "needs a battery at 80% health or more; the device's is at 79%",
        "needs a azerty-fr keyboard; the device's is qwerty-us",
    ]


def test_what_was_not_recorded_about_a_device_never_meets_a_requirement():
    untested = device(functional=None)
    desktop = device(functional=FunctionalFacts(battery_health_pct=None, webcam=True, keyboard_layout=None))
    assert meets_needs(untested, Needs()) == []
    assert meets_needs(untested, Needs(requirements=Requirements(min_ram_gb=8))) == []
    assert meets_needs(untested, Needs(requirements=Requirements(webcam=True))) == [
        "needs a webcam; no functional test recorded for the device"]
    assert meets_needs(desktop, Needs(requirements=Requirements(min_battery_health_pct=50))) == [
        "needs a battery at 50% health or more; no battery health recorded for the device"]
    assert meets_needs(desktop, Needs(requirements=Requirements(keyboard_layout="azerty-fr"))) == [
        "needs a azerty-fr keyboard; no keyboard layout recorded for the device"]


def test_keyboard_layouts_compare_whatever_their_case():
    facts = FunctionalFacts(webcam=False, keyboard_layout="AZERTY-FR")
    assert meets_needs(device(functional=facts), Needs(requirements=Requirements(keyboard_layout="azerty-FR"))) == []


def test_the_device_goes_to_the_longest_waiting_referral_whose_needs_it_meets():
    no_webcam = device(functional=FunctionalFacts(battery_health_pct=90, webcam=False, keyboard_layout="azerty-fr"))
    waiting = [referral("r-needs-webcam", waited_days=60, webcam=True),
               referral("r-needs-16gb", waited_days=50, min_ram_gb=16),
               referral("r-fits", waited_days=10, min_ram_gb=8)]
    assert chosen_referral(no_webcam, waiting) == "r-fits"
    assert chosen_referral(no_webcam, waiting[:2]) is None


def test_a_new_referral_gets_a_device_that_meets_its_needs_even_if_another_was_ready_longer():
    available = [device("dev-4gb", ready_days_ago=20, ram_gb=4), device("dev-16gb", ready_days_ago=1, ram_gb=16)]
    assert chosen_device(referral("r-1", min_ram_gb=8), available) == "dev-16gb"
    assert chosen_device(referral("r-1", min_ram_gb=32), available) is None


# --- fairness order -------------------------------------------------------------------------------

def test_the_partners_priority_comes_before_the_waiting_time():
    waiting = [referral("r-normal-old", waited_days=100, priority=3), referral("r-high", waited_days=10, priority=2),
               referral("r-urgent-new", waited_days=1, priority=1)]
    assert chosen_referral(device(), waiting) == "r-urgent-new"
    assert chosen_referral(device(), waiting[:2]) == "r-high"


def test_within_a_priority_the_longest_waiting_then_the_smallest_id_is_chosen_whatever_the_input_order():
    waiting = [referral("r-b", waited_days=5), referral("r-a", waited_days=5), referral("r-c", waited_days=4)]
    for _ in range(5):
        random.Random(_).shuffle(waiting)
        assert chosen_referral(device(), waiting) == "r-a"


def test_referrals_no_longer_waiting_are_never_chosen():
    waiting = [referral("r-reserved", waited_days=9, status=ReferralStatus.RESERVED),
               referral("r-cancelled", waited_days=8, status=ReferralStatus.CANCELLED),
               referral("r-waiting", waited_days=1)]
    assert chosen_referral(device(), waiting) == "r-waiting"


def test_a_new_referral_takes_a_device_kept_for_its_territory_first_then_the_device_ready_longest():
    open_old = device("dev-company", donor="company", ready_days_ago=20)
    kept_for_35 = device("dev-public-35", donor="public_body", territory="35", ready_days_ago=2)
    assert chosen_device(referral("r-35", territory="35"), [open_old, kept_for_35]) == "dev-public-35"
    assert chosen_device(referral("r-22", territory="22"), [open_old, kept_for_35]) == "dev-company"
    ties = [device("dev-b", donor="company", ready_days_ago=3), device("dev-a", donor="company", ready_days_ago=3)]
    assert chosen_device(referral("r-22", territory="22"), ties) == "dev-a"


# --- explanation ----------------------------------------------------------------------------------

def test_the_explanation_says_which_rules_applied_who_was_chosen_and_why_others_lost():
    ready = device("dev-1", donor="public_body", territory="35",
                   functional=FunctionalFacts(battery_health_pct=60, webcam=True, keyboard_layout="azerty-fr"))
    waiting = [referral("r-elsewhere", waited_days=80, territory="56"),
               referral("r-battery", waited_days=70, min_battery_health_pct=80),
               referral("r-normal", waited_days=60, priority=3),
               referral("r-chosen", waited_days=5, priority=2),
               referral("r-high-later", waited_days=1, priority=2)]

    match = choose_referral_for_device(ready, waiting, POLICY, T0)

    explanation = match.explanation
    assert match.referral.referral_id == "r-chosen"
    assert [rule.split(":")[0] for rule in explanation["rules"]] == ["provenance", "needs", "order"]
    assert "until " + (T0 + timedelta(days=30)).isoformat() in explanation["rules"][0]
    assert explanation["chosen"] == {"referral_id": "r-chosen", "priority": 2,
                                     "waiting_since": (T0 - timedelta(days=5)).isoformat(), "territory": "35"}
    assert explanation["candidates"] == 5
    lost = explanation["passed_over_by_reason"]
    assert list(lost) == ["other_territory", "needs_not_met", "lower_priority", "referred_later"]
    assert {reason: [r["referral_id"] for r in group["first"]] for reason, group in lost.items()} == {
        "other_territory": ["r-elsewhere"], "needs_not_met": ["r-battery"],
        "lower_priority": ["r-normal"], "referred_later": ["r-high-later"]}
    assert lost["needs_not_met"]["first"][0]["unmet"] == [
        "needs a battery at 80% health or more; the device's is at 60%"]
    assert lost["needs_not_met"]["by_requirement"] == {"min_battery_health_pct": 1}
    assert explanation["policy"] == POLICY.model_dump(mode="json")
    # stored as it is with the reservation, and readable by the partner: no pseudonym in it
    stored = json.dumps(explanation)
    assert "PSEUDO-" not in stored


def test_the_explanation_stays_small_counts_every_loser_and_names_the_first_ones_in_line():
    waiting = [referral(f"r-{n:03d}", waited_days=n) for n in range(1, 121)]
    waiting += [referral(f"r-webcam-{n:03d}", waited_days=200 + n, webcam=True) for n in range(30)]

    match = choose_referral_for_device(device(functional=None), waiting, POLICY, T0)

    lost = match.explanation["passed_over_by_reason"]
    assert match.referral.referral_id == "r-120"
    assert lost["referred_later"]["count"] == 119
    assert [r["referral_id"] for r in lost["referred_later"]["first"]] == [f"r-{n:03d}" for n in range(119, 109, -1)]
    assert lost["needs_not_met"]["count"] == 30
    assert lost["needs_not_met"]["by_requirement"] == {"webcam": 30}
    assert len(lost["needs_not_met"]["first"]) == 10
    assert len(json.dumps(match.explanation)) < 10_000
    smaller = choose_referral_for_device(device(functional=None), waiting, MatchingPolicy(examples_per_reason=2), T0)
    assert len(smaller.explanation["passed_over_by_reason"]["referred_later"]["first"]) == 2


def test_the_same_situation_always_gives_the_same_decision_and_explanation():
    waiting = [referral(f"r-{n}", waited_days=n % 7, territory=("35", "56")[n % 2], priority=1 + n % 3,
                        min_ram_gb=(None, 8, 16)[n % 3]) for n in range(40)]
    first = choose_referral_for_device(device(), waiting, POLICY, T0)
    for seed in range(3):
        shuffled = waiting[:]
        random.Random(seed).shuffle(shuffled)
        again = choose_referral_for_device(device(), shuffled, POLICY, T0)
        assert (again.referral, again.explanation) == (first.referral, first.explanation)


def test_a_new_referrals_explanation_names_the_devices_passed_over_and_why():
    available = [device("dev-56", donor="public_body", territory="56", ready_days_ago=9),
                 device("dev-4gb", donor="company", ready_days_ago=8, ram_gb=4),
                 device("dev-company", donor="company", ready_days_ago=7),
                 device("dev-35-a", donor="school", territory="35", ready_days_ago=3),
                 device("dev-35-b", donor="school", territory="35", ready_days_ago=1)]

    match = choose_device_for_referral(referral("r-35", territory="35", min_ram_gb=8), available, POLICY, T0)

    explanation = match.explanation
    assert explanation["chosen"]["device_id"] == "dev-35-a"
    lost = explanation["passed_over_by_reason"]
    assert {reason: [d["device_id"] for d in group["first"]] for reason, group in lost.items()} == {
        "other_territory": ["dev-56"], "needs_not_met": ["dev-4gb"],
        "own_territory_device_first": ["dev-company"], "ready_later": ["dev-35-b"]}
    assert lost["other_territory"]["first"][0]["kept_until"] == (T0 + timedelta(days=21)).isoformat()
    assert lost["needs_not_met"]["first"][0]["unmet"] == ["needs at least 8 GB of RAM; the device has 4 GB"]
    assert explanation["candidates"] == 5
    assert "PSEUDO-" not in json.dumps(explanation)


# --- the index gives the same answers as looking at everyone ----------------------------------------

def random_population(seed: int, referrals: int, devices: int) -> tuple[list[Referral], list[AvailableDevice]]:
    rng = random.Random(seed)
    territories = ["35", "56", "22", "29", "2A"]
    waiting = [referral(f"r-{n:04d}", waited_days=rng.randrange(30), territory=rng.choice(territories),
                        priority=rng.choice([1, 2, 3, 3]), webcam=rng.random() < 0.3,
                        min_ram_gb=rng.choice([None, None, 4, 8, 16]),
                        min_battery_health_pct=rng.choice([None, None, 60, 80]),
                        keyboard_layout=rng.choice([None, None, "azerty-fr", "qwerty-us"]))
               for n in range(referrals)]
    facts = [None, LAPTOP, FunctionalFacts(battery_health_pct=65, webcam=False, keyboard_layout="qwerty-us"),
             FunctionalFacts(battery_health_pct=None, webcam=True, keyboard_layout="azerty-fr")]
    ready = [device(f"d-{n:04d}", donor=rng.choice(["public_body", "school", "company"]),
                    territory=rng.choice(territories), ready_days_ago=rng.randrange(60),
                    ram_gb=rng.choice([4, 8, 16]), functional=rng.choice(facts))
             for n in range(devices)]
    return waiting, ready


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_waiting_pool_index_decides_and_explains_exactly_like_a_full_scan_while_the_pool_drains(seed):
    waiting, ready = random_population(seed, referrals=400, devices=250)
    pool = WaitingPool(waiting)
    matched = 0
    for dev in ready:
        by_scan = choose_referral_for_device(dev, waiting, POLICY, T0)
        by_pool = choose_referral_for_device(dev, pool, POLICY, T0)
        assert (by_scan and (by_scan.referral.referral_id, by_scan.explanation)) == (
            by_pool and (by_pool.referral.referral_id, by_pool.explanation)), dev.device_id
        if by_pool:
            pool.remove(by_pool.referral.referral_id)
            waiting.remove(by_scan.referral)
            matched += 1
    assert matched > 100 and len(pool) == len(waiting) == 400 - matched


def test_a_referral_leaves_the_pool_when_reserved_and_comes_back_at_its_place_when_released():
    oldest, second = referral("r-oldest", waited_days=10), referral("r-second", waited_days=5)
    pool = WaitingPool([second, oldest])

    assert choose_referral_for_device(device(), pool, POLICY, T0).referral.referral_id == "r-oldest"
    pool.remove("r-oldest")
    assert "r-oldest" not in pool
    assert choose_referral_for_device(device(), pool, POLICY, T0).referral.referral_id == "r-second"
    pool.add(oldest)
    assert choose_referral_for_device(device(), pool, POLICY, T0).referral.referral_id == "r-oldest"
    assert len(pool) == 2


def test_the_pool_holds_only_waiting_referrals_and_each_once():
    pool = WaitingPool([referral("r-1")])
    with pytest.raises(ValueError, match="already in the pool"):
        pool.add(referral("r-1"))
    with pytest.raises(ValueError, match="not waiting"):
        pool.add(referral("r-2", status=ReferralStatus.RESERVED))
    with pytest.raises(KeyError):
        pool.remove("r-unknown")


def test_the_pool_remembers_needs_by_device_profile_and_never_mixes_two_profiles():
    """Its answers are kept across devices of one profile: a device that differs in any fact
    `unmet_needs` reads must get its own answer, not its neighbour's."""
    pool = WaitingPool([referral("r-battery", min_battery_health_pct=80, waited_days=3),
                        referral("r-any", waited_days=1)])
    healthy = device("dev-healthy", functional=FunctionalFacts(battery_health_pct=90, webcam=True))
    worn = device("dev-worn", functional=FunctionalFacts(battery_health_pct=60, webcam=True))
    untested = device("dev-untested", functional=None)
    for dev, expected in [(healthy, "r-battery"), (worn, "r-any"), (untested, "r-any"), (healthy, "r-battery")]:
        assert choose_referral_for_device(dev, pool, POLICY, T0).referral.referral_id == expected, dev.device_id
