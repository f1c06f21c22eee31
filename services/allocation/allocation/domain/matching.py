"""Which waiting referral gets which ready device, and why.

Matching runs in two directions, with the same three rules applied in this order:

1. provenance: a device given by a donor of a type in `territory_first_donor_types`
   (public bodies and schools by default: the département's administration and its
   collèges) is kept for referrals of the donor's territory until
   `territory_window_days` after it became ready; then it is open to every territory.
   A company's device is open to every territory at once;
2. needs: the device meets every requirement of the referral's needs diagnosis;
3. order:
   - a device looking for a referral takes the partner-set priority first (1 urgent,
     2 high, 3 normal), then the longest-waiting referral, then the smallest referral id;
   - a referral looking for a device takes first a device kept for its own territory (no
     one else may have it yet), then the device ready longest, then the smallest device id.

Both functions are pure and deterministic: the same inputs and `now` give the same match
and the same explanation. The explanation is stored with the reservation: the rules
applied, the chosen candidate, and for each reason the number of candidates passed over
and the first few of them in line (`MatchingPolicy.examples_per_reason`), so that it stays
small with 100,000 candidates.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events.vocabulary import DonorType

from allocation.domain.devices import AvailableDevice, DeviceStatus
from allocation.domain.needs import FunctionalFacts, Needs, Requirements, Use, meets_needs, unmet_needs
from allocation.domain.referrals import Priority, Referral, ReferralRequest, ReferralStatus
from allocation.domain.waiting_pool import (
    LOWER_PRIORITY,
    NEEDS_NOT_MET,
    OTHER_TERRITORY,
    REFERRED_LATER,
    REQUIREMENT_NAMES,
    PassedOver,
    Selection,
    WaitingPool,
    UnmetFor,
    WaitingReferral,
    referral_rank,
    select_by_scan,
)

__all__ = [
    "DEFAULT_RESERVATION_HOLD", "AvailableDevice", "DeviceStatus", "FunctionalFacts", "Match", "MatchingPolicy",
    "DEFAULT_MATCHING_POLICY", "Needs", "Priority", "Referral", "ReferralRequest", "ReferralStatus",
    "Requirements", "Use", "WaitingPool", "WaitingReferral", "choose_device_for_referral", "choose_referral_for_device",
    "kept_for_territory", "meets_needs", "referral_rank", "reservation_deadline", "territory_window_ends_at",
]

DEFAULT_RESERVATION_HOLD = timedelta(days=14)

# Why an available device was not given to the referral (besides OTHER_TERRITORY, NEEDS_NOT_MET).
OWN_TERRITORY_FIRST = "own_territory_device_first"
READY_LATER = "ready_later"

# Why the match was made, one code per rule, in an explanation's `reasons` (a page words them).
OPEN_TO_EVERY_TERRITORY = "open_to_every_territory"
KEPT_FOR_TERRITORY = "kept_for_territory"
TERRITORY_WINDOW_ENDED = "territory_window_ended"
REQUIREMENTS_MET = "requirements_met"
NO_REQUIREMENT = "no_requirement"
FIRST_IN_LINE = "first_in_line"
"""A device looked for a referral: this one came first (priority, then waiting time)."""
OWN_TERRITORY_DEVICE = "own_territory_device"
"""A referral looked for a device: one kept for its territory goes first."""
READY_LONGEST = "ready_longest"
"""A referral looked for a device: the one ready the longest that meets its needs."""


class MatchingPolicy(BaseModel):
    """Editable by an administrator; stored as JSON. The defaults are the programme's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    territory_first_donor_types: tuple[DonorType, ...] = Field(
        default=(DonorType.PUBLIC_BODY, DonorType.SCHOOL),
        description="Devices from these donors go first to referrals of the donor's territory")
    territory_window_days: int = Field(
        default=30, ge=0, description="How long after it is ready such a device is kept for its territory")
    examples_per_reason: int = Field(
        default=10, ge=0, le=100, description="Passed-over candidates named in an explanation, per reason")
    reservation_hold: timedelta = Field(
        default=DEFAULT_RESERVATION_HOLD, ge=timedelta(seconds=1), le=timedelta(days=90),
        description="How long a reserved device waits for its sale before the reservation expires "
                    "(ISO 8601 duration, e.g. P14D)")


DEFAULT_MATCHING_POLICY = MatchingPolicy()


@dataclass(frozen=True)
class Match:
    device: AvailableDevice
    referral: Referral | WaitingReferral
    """The referral itself when chosen among referrals; what a `WaitingPool` keeps of it when chosen
    from one (the reservation reads the referral by id)."""
    explanation: dict = field(default_factory=dict)


def territory_window_ends_at(device: AvailableDevice, policy: MatchingPolicy) -> datetime | None:
    """When the device opens to every territory; None if it is open from the start.

    Nothing happens by itself at that moment: the service must match the device again then.
    """
    if device.provenance.donor_type in policy.territory_first_donor_types:
        return device.ready_at + timedelta(days=policy.territory_window_days)
    return None


def kept_for_territory(device: AvailableDevice, policy: MatchingPolicy, now: datetime) -> str | None:
    """The territory the device is kept for at `now`, or None if anyone may have it."""
    ends = territory_window_ends_at(device, policy)
    return device.provenance.territory if ends is not None and now < ends else None


def reservation_deadline(reserved_at: datetime, policy: MatchingPolicy) -> datetime:
    """When a reservation made at `reserved_at` expires if the device was not sold."""
    return reserved_at + policy.reservation_hold


# --- a device looks for a referral ----------------------------------------------------------------

def choose_referral_for_device(device: AvailableDevice, waiting_referrals: Iterable[Referral] | WaitingPool,
                               policy: MatchingPolicy, now: datetime) -> Match | None:
    """The waiting referral this device goes to, with the explanation; None if none may have it.

    `waiting_referrals` is either any iterable of referrals (every one is looked at; those
    not waiting are ignored) or a `WaitingPool` (an index: same answer, far fewer looks).
    """
    if device.status is not DeviceStatus.AVAILABLE:
        return None
    territory = kept_for_territory(device, policy, now)

    profile = _device_profile(device)
    unmet_by_key = _unmet_cache_for(profile)

    def unmet_for(requirements: Requirements) -> dict[str, str]:
        # Devices of one profile fail exactly the same requirements: compute each pair once.
        key = requirements.key
        unmet = unmet_by_key.get(key)
        if unmet is None:
            unmet = unmet_by_key[key] = unmet_needs(device, requirements)
        return unmet

    examples = policy.examples_per_reason
    if isinstance(waiting_referrals, WaitingPool):
        selection = waiting_referrals.select(territory, unmet_for, examples,
                                             _matching_profile(device, *waiting_referrals.thresholds()))
    else:
        selection = select_by_scan(waiting_referrals, territory, unmet_for, examples)
    if selection.chosen is None:
        return None
    return Match(device, selection.chosen,
                 _explain_device_to_referral(device, selection, territory, policy, now, unmet_for))


# Device profile (the facts `unmet_needs` reads) -> requirements key -> unmet requirements.
# A few hundred profiles in practice; cleared if ever it grows past the bound.
_UNMET_CACHE: dict[tuple, dict[tuple, dict[str, str]]] = {}
_UNMET_CACHE_PROFILES = 4096


def _device_profile(device: AvailableDevice) -> tuple:
    """The facts `unmet_needs` reads: two devices of one profile fail exactly the same requirements."""
    facts = device.functional
    return (device.specs.ram_gb, facts is not None,
            facts.webcam if facts else None,
            facts.battery_health_pct if facts else None,
            facts.keyboard_layout if facts else None)


def _matching_profile(device: AvailableDevice, ram_thresholds: tuple[int, ...],
                      battery_thresholds: tuple[int, ...]) -> tuple:
    """Coarser than `_device_profile`: equal for two devices that fail the same requirement names
    against every requirement of the pool (RAM and battery only count by the thresholds reached)."""
    facts = device.functional
    health = facts.battery_health_pct if facts else None
    return (bisect_right(ram_thresholds, device.specs.ram_gb), facts is not None,
            facts.webcam if facts else None,
            None if health is None else bisect_right(battery_thresholds, health),
            facts.keyboard_layout if facts else None)


def _unmet_cache_for(profile: tuple) -> dict[tuple, dict[str, str]]:
    cached = _UNMET_CACHE.get(profile)
    if cached is None:
        if len(_UNMET_CACHE) >= _UNMET_CACHE_PROFILES:
            _UNMET_CACHE.clear()
        cached = _UNMET_CACHE[profile] = {}
    return cached


@lru_cache(maxsize=8)
def _policy_as_json_cached(policy: MatchingPolicy) -> dict[str, Any]:
    return policy.model_dump(mode="json")


def _policy_as_json(policy: MatchingPolicy) -> dict[str, Any]:
    """The policy as an explanation quotes it: dumped once per policy (a drain explains thousands of
    matches), copied for each explanation (its values are strings, numbers and lists of strings)."""
    return {name: list(value) if isinstance(value, list) else value
            for name, value in _policy_as_json_cached(policy).items()}


def _referral_facts(referral: Referral | WaitingReferral) -> dict[str, Any]:
    return {"referral_id": referral.referral_id, "priority": int(referral.priority),
            "waiting_since": referral.waiting_since, "territory": referral.territory}


def _provenance_rule(device: AvailableDevice, policy: MatchingPolicy, now: datetime) -> str:
    donor, territory = device.provenance.donor_type, device.provenance.territory
    ends = territory_window_ends_at(device, policy)
    if ends is None:
        return f"provenance: a {donor} donor's device is open to every territory"
    if now < ends:
        return (f"provenance: a {donor} donor's device from territory {territory} goes only to referrals "
                f"of territory {territory} until {ends.isoformat()}")
    return (f"provenance: a {donor} donor's device from territory {territory} was kept for that territory "
            f"until {ends.isoformat()}; now open to every territory")


def _provenance_reason(device: AvailableDevice, policy: MatchingPolicy, now: datetime) -> dict[str, Any]:
    """The provenance rule as it applied to the reserved device, as a code and facts (see MatchReason)."""
    ends = territory_window_ends_at(device, policy)
    reason: dict[str, Any] = {"rule": "provenance", "donor_type": str(device.provenance.donor_type),
                              "donor_territory": device.provenance.territory}
    if ends is None:
        return reason | {"code": OPEN_TO_EVERY_TERRITORY}
    return reason | {"code": KEPT_FOR_TERRITORY if now < ends else TERRITORY_WINDOW_ENDED,
                     "kept_until": ends.isoformat()}


def _needs_reason(referral: Referral | WaitingReferral) -> dict[str, Any]:
    """The needs rule: which of the referral's requirements the device meets (all of them)."""
    required = referral.requirements.model_dump(exclude_defaults=True)
    return {"rule": "needs", "code": REQUIREMENTS_MET if required else NO_REQUIREMENT, "requirements": required}


NEEDS_RULE = "needs: the device meets every requirement of the referral's needs diagnosis"
REFERRAL_ORDER_RULE = ("order: the partner's priority first (1 urgent, 2 high, 3 normal), then the longest "
                       "waiting, then the smallest referral id")


def _explain_device_to_referral(device: AvailableDevice, selection: Selection, territory: str | None,
                                policy: MatchingPolicy, now: datetime, unmet_for: UnmetFor) -> dict[str, Any]:
    chosen = selection.chosen
    why = {
        OTHER_TERRITORY: f"the device is kept for referrals of territory {territory}",
        NEEDS_NOT_MET: "the device does not meet their needs",
        LOWER_PRIORITY: f"their partner set a lower priority than {int(chosen.priority)}",
        REFERRED_LATER: "same priority, referred later",
    }
    passed_over: dict[str, Any] = {}
    for reason, group in selection.passed_over.items():
        first = [_referral_facts(r) for r in group.first]
        if reason == NEEDS_NOT_MET:
            for facts, referral in zip(first, group.first):
                facts["unmet"] = list(unmet_for(referral.requirements).values())
        passed_over[reason] = {"why": why[reason], "count": group.count, "first": first}
        if group.by_requirement is not None:
            passed_over[reason]["by_requirement"] = group.by_requirement
    return {
        "trigger": "device_ready",
        "decided_at": now.isoformat(),
        "device_id": device.device_id,
        "policy": _policy_as_json(policy),
        "rules": [_provenance_rule(device, policy, now), NEEDS_RULE, REFERRAL_ORDER_RULE],
        "reasons": [
            _provenance_reason(device, policy, now), _needs_reason(chosen),
            {"rule": "order", "code": FIRST_IN_LINE, "priority": int(chosen.priority),
             "waiting_since": chosen.waiting_since},
        ],
        "candidates": selection.candidates,
        "chosen": _referral_facts(chosen),
        "passed_over_by_reason": passed_over,
    }


# --- a referral looks for a device ----------------------------------------------------------------

def _device_rank(device: AvailableDevice) -> tuple[datetime, str]:
    return (device.ready_at, device.device_id)


def choose_device_for_referral(referral: Referral, available_devices: Iterable[AvailableDevice],
                               policy: MatchingPolicy, now: datetime) -> Match | None:
    """The available device this referral gets, with the explanation; None if no device fits.

    Devices not available are ignored. Every device is looked at: the pool of ready devices
    is a fraction of the waiting referrals (see docs/benchmarks.md).
    """
    if referral.status is not ReferralStatus.WAITING:
        return None
    requirements = referral.needs.requirements
    territory_first = frozenset(policy.territory_first_donor_types)
    kept_if_ready_after = now - timedelta(days=policy.territory_window_days)  # same test as kept_for_territory
    other: list[AvailableDevice] = []
    failing: list[AvailableDevice] = []
    own: list[AvailableDevice] = []
    open_to_all: list[AvailableDevice] = []
    by_requirement: dict[str, int] = {}
    unmet_by_facts: dict[tuple, dict[str, str]] = {}
    for device in available_devices:
        if device.status is not DeviceStatus.AVAILABLE:
            continue
        provenance = device.provenance
        kept = provenance.donor_type in territory_first and device.ready_at > kept_if_ready_after
        if kept and provenance.territory != referral.territory:
            other.append(device)
            continue
        functional = device.functional
        facts = (device.specs.ram_gb,) if functional is None else (
            device.specs.ram_gb, functional.battery_health_pct, functional.webcam, functional.keyboard_layout)
        unmet = unmet_by_facts.get(facts)
        if unmet is None:
            unmet = unmet_by_facts[facts] = unmet_needs(device, requirements)
        if unmet:
            failing.append(device)
            for name in unmet:
                by_requirement[name] = by_requirement.get(name, 0) + 1
        else:
            (own if kept else open_to_all).append(device)
    tier = own or open_to_all
    if not tier:
        return None
    n = policy.examples_per_reason
    chosen, *ready_later_first = heapq.nsmallest(n + 1, tier, key=_device_rank)
    groups = {
        OTHER_TERRITORY: (other, None),
        NEEDS_NOT_MET: (failing, {k: by_requirement[k] for k in REQUIREMENT_NAMES if by_requirement.get(k)}),
        OWN_TERRITORY_FIRST: (open_to_all if own else [], None),
        READY_LATER: (ready_later_first, None),
    }
    counts = {OTHER_TERRITORY: len(other), NEEDS_NOT_MET: len(failing),
              OWN_TERRITORY_FIRST: len(open_to_all) if own else 0, READY_LATER: len(tier) - 1}
    why = {
        OTHER_TERRITORY: "kept for referrals of another territory",
        NEEDS_NOT_MET: "does not meet the referral's needs",
        OWN_TERRITORY_FIRST: f"a device kept for territory {referral.territory} goes first",
        READY_LATER: "ready later",
    }
    passed_over: dict[str, Any] = {}
    for reason, (devices, by_requirement_counts) in groups.items():
        if not counts[reason]:
            continue
        first = []
        for device in heapq.nsmallest(n, devices, key=_device_rank):
            facts = _device_facts(device)
            if reason == OTHER_TERRITORY:
                facts["kept_until"] = territory_window_ends_at(device, policy).isoformat()
            elif reason == NEEDS_NOT_MET:
                facts["unmet"] = meets_needs(device, referral.needs)
            first.append(facts)
        passed_over[reason] = {"why": why[reason], "count": counts[reason], "first": first}
        if by_requirement_counts is not None:
            passed_over[reason]["by_requirement"] = by_requirement_counts
    explanation = {
        "trigger": "referral_arrived",
        "decided_at": now.isoformat(),
        "referral_id": referral.referral_id,
        "policy": policy.model_dump(mode="json"),
        "rules": [
            (f"provenance: devices from {', '.join(policy.territory_first_donor_types) or 'no'} donors go only to "
             f"referrals of their territory for {policy.territory_window_days} days after they are ready"),
            NEEDS_RULE,
            (f"order: a device kept for territory {referral.territory} first, then the device ready longest, "
             "then the smallest device id"),
        ],
        "reasons": [
            _provenance_reason(chosen, policy, now), _needs_reason(referral),
            {"rule": "order", "code": OWN_TERRITORY_DEVICE if own else READY_LONGEST,
             "ready_since": chosen.ready_at.isoformat()},
        ],
        "candidates": sum((len(other), len(failing), len(own), len(open_to_all))),
        "chosen": _device_facts(chosen),
        "passed_over_by_reason": passed_over,
    }
    return Match(chosen, referral, explanation)


def _device_facts(device: AvailableDevice) -> dict[str, Any]:
    return {"device_id": device.device_id, "ready_since": device.ready_at.isoformat(),
            "donor_type": str(device.provenance.donor_type), "donor_territory": device.provenance.territory,
            "grade": str(device.grade)}
