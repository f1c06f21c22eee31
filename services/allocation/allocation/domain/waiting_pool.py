"""Choosing among waiting referrals: a plain scan, and `WaitingPool`, an index that gives the same answer.

Both answer one question for one device: given the territory the device is kept for (or
None) and which requirements the device fails, which referral goes first, and who was
passed over for which reason (a count per reason and the first few in line). They return
exactly the same `Selection` for the same referrals; the index only avoids looking at
every referral.

`WaitingPool` is a pure in-memory structure. Referrals are grouped in buckets by
(territory, priority, requirements): every referral of a bucket is treated alike by any
device, and each bucket is kept sorted by (created_at, referral_id). A device then looks
only at each bucket's size and first entries: a few hundred buckets instead of 100,000
referrals. The same buckets can be the partition keys of a table index, so that an adapter
reads only the head of each bucket instead of the whole pool.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from operator import itemgetter

from allocation.domain.needs import Requirements
from allocation.domain.referrals import Referral, ReferralStatus

RankKey = tuple[int, datetime, str]
RequirementsKey = tuple[bool, int | None, int | None, str | None]
UnmetFor = Callable[[Requirements], dict[str, str]]

REQUIREMENT_NAMES = ("webcam", "min_ram_gb", "min_battery_health_pct", "keyboard_layout")

# Why a waiting referral did not get the device, in the order the rules are applied.
OTHER_TERRITORY = "other_territory"
NEEDS_NOT_MET = "needs_not_met"
LOWER_PRIORITY = "lower_priority"
REFERRED_LATER = "referred_later"


def referral_rank(referral: Referral) -> RankKey:
    """Fairness order: the partner's priority (1 first), then the longest waiting, then the id."""
    return (int(referral.priority), referral.created_at, referral.referral_id)


@dataclass
class PassedOver:
    count: int
    first: list[Referral]
    by_requirement: dict[str, int] | None = None


@dataclass
class Selection:
    chosen: Referral | None
    candidates: int
    passed_over: dict[str, PassedOver] = field(default_factory=dict)


def _ordered_counts(counts: dict[str, int]) -> dict[str, int]:
    return {name: counts[name] for name in REQUIREMENT_NAMES if counts.get(name)}


def select_by_scan(referrals: Iterable[Referral], territory: str | None, unmet_for: UnmetFor,
                   examples: int) -> Selection:
    """Look at every waiting referral (referrals in another status are ignored)."""
    other: list[Referral] = []
    failing: list[Referral] = []
    eligible: list[Referral] = []
    unmet_by_key: dict[RequirementsKey, dict[str, str]] = {}
    by_requirement: dict[str, int] = {}
    for referral in referrals:
        if referral.status is not ReferralStatus.WAITING:
            continue
        if territory is not None and referral.territory != territory:
            other.append(referral)
            continue
        requirements = referral.needs.requirements
        key = requirements.key
        unmet = unmet_by_key.get(key)
        if unmet is None:
            unmet = unmet_by_key[key] = unmet_for(requirements)
        if unmet:
            failing.append(referral)
            for name in unmet:
                by_requirement[name] = by_requirement.get(name, 0) + 1
        else:
            eligible.append(referral)
    candidates = len(other) + len(failing) + len(eligible)
    if not eligible:
        return Selection(None, candidates)
    chosen = min(eligible, key=referral_rank)
    lower = [r for r in eligible if r.priority > chosen.priority]
    later = [r for r in eligible if r.priority == chosen.priority and r is not chosen]
    groups = {
        OTHER_TERRITORY: PassedOver(len(other), heapq.nsmallest(examples, other, key=referral_rank)),
        NEEDS_NOT_MET: PassedOver(len(failing), heapq.nsmallest(examples, failing, key=referral_rank),
                                  _ordered_counts(by_requirement)),
        LOWER_PRIORITY: PassedOver(len(lower), heapq.nsmallest(examples, lower, key=referral_rank)),
        REFERRED_LATER: PassedOver(len(later), heapq.nsmallest(examples, later, key=referral_rank)),
    }
    return Selection(chosen, candidates, {reason: group for reason, group in groups.items() if group.count})


_PARTITIONS_PER_SCOPE = 1024  # distinct device profiles kept per scope; a bound on memory, rarely reached

Bucket = tuple[int, RequirementsKey]  # (priority, requirements) within one territory, or everywhere


class WaitingPool:
    """Waiting referrals, indexed for matching. Not thread-safe; the functions that read it do not change it.

    Build it from the waiting referrals (`WaitingPool(referrals)`), then keep it in step with
    the decisions taken: `remove(referral_id)` once a referral is reserved, `add(referral)`
    when one arrives or comes back to waiting.
    """

    def __init__(self, referrals: Iterable[Referral] = ()):
        self._referrals: dict[str, Referral] = {}
        self._requirements: dict[RequirementsKey, Requirements] = {}
        self._everywhere: dict[Bucket, list[RankKey]] = {}
        self._by_territory: dict[str, dict[Bucket, list[RankKey]]] = {}
        # scope (a territory, or None for everywhere) -> device profile -> its partition of the
        # scope's buckets. The bucket lists are shared, so a partition stays right while they
        # shrink or grow; it is dropped only when a bucket of its scope appears or disappears.
        self._partitions: dict[str | None, dict[Hashable, _Partition]] = {}
        self._thresholds: tuple[tuple[int, ...], tuple[int, ...]] | None = None
        for referral in referrals:
            self._insert(referral, sort=False)
        for buckets in (self._everywhere, *self._by_territory.values()):
            for keys in buckets.values():
                keys.sort()

    def __len__(self) -> int:
        return len(self._referrals)

    def __contains__(self, referral_id: object) -> bool:
        return referral_id in self._referrals

    def __iter__(self) -> Iterator[Referral]:
        return iter(self._referrals.values())

    def get(self, referral_id: str) -> Referral | None:
        return self._referrals.get(referral_id)

    def add(self, referral: Referral) -> None:
        self._insert(referral, sort=True)

    def remove(self, referral_id: str) -> Referral:
        referral = self._referrals.pop(referral_id)
        rank, bucket = referral_rank(referral), self.bucket(referral)
        for scope, buckets in ((None, self._everywhere), (referral.territory, self._by_territory[referral.territory])):
            keys = buckets[bucket]
            del keys[bisect_left(keys, rank)]
            if not keys:
                del buckets[bucket]
                self._partitions.pop(scope, None)
        if not self._by_territory[referral.territory]:
            del self._by_territory[referral.territory]
        return referral

    def thresholds(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The distinct minimum RAM and battery health any referral of the pool asks, ascending.

        A device's RAM matters to matching only through how many RAM thresholds it reaches
        (and likewise its battery), so devices can share a profile at this grain.
        """
        if self._thresholds is None:
            keys = self._requirements
            self._thresholds = (tuple(sorted({key[1] for key in keys if key[1] is not None})),
                                tuple(sorted({key[2] for key in keys if key[2] is not None})))
        return self._thresholds

    @staticmethod
    def bucket(referral: Referral) -> Bucket:
        return (int(referral.priority), referral.needs.requirements.key)

    def _insert(self, referral: Referral, *, sort: bool) -> None:
        if referral.status is not ReferralStatus.WAITING:
            raise ValueError(f"referral {referral.referral_id} is {referral.status}, not waiting")
        if referral.referral_id in self._referrals:
            raise ValueError(f"referral {referral.referral_id} is already in the pool")
        self._referrals[referral.referral_id] = referral
        requirements = referral.needs.requirements
        if requirements.key not in self._requirements:
            self._requirements[requirements.key] = requirements
            self._thresholds = None
        rank, bucket = referral_rank(referral), self.bucket(referral)
        for scope, buckets in ((None, self._everywhere),
                               (referral.territory, self._by_territory.setdefault(referral.territory, {}))):
            keys = buckets.get(bucket)
            if keys is None:
                keys = buckets[bucket] = []
                self._partitions.pop(scope, None)
            if sort:
                insort(keys, rank)
            else:
                keys.append(rank)

    def _first(self, lists: list[list[RankKey]], examples: int,
               keep: Callable[[RankKey], bool] | None = None) -> list[Referral]:
        """The first `examples` referrals of several sorted lists (only those `keep` accepts).

        Only the lists whose first kept entries are among the `examples` smallest can hold
        one of the first `examples` entries overall, so only those are merged.
        """
        if examples <= 0:
            return []
        if keep is None:
            # Every list is sorted and non-empty: the lists with the smallest heads, merged.
            firsts = heapq.nsmallest(examples, lists, key=itemgetter(0))
            return [self._referrals[rank[2]] for rank in islice(heapq.merge(*firsts), examples)]
        starts = []
        for number, keys in enumerate(lists):
            if keep is None:
                starts.append((keys[0], number, 0))
                continue
            for position, rank in enumerate(keys):
                if keep(rank):
                    starts.append((rank, number, position))
                    break
        merged = heapq.merge(*(
            islice(lists[number], position, None) if keep is None
            else (rank for rank in islice(lists[number], position, None) if keep(rank))
            for _, number, position in heapq.nsmallest(examples, starts)))
        return [self._referrals[rank[2]] for rank in islice(merged, examples)]

    def _partition(self, territory: str | None, buckets: dict[Bucket, list[RankKey]], unmet_for: UnmetFor,
                   profile: Hashable | None) -> _Partition:
        if profile is not None:
            cached = self._partitions.get(territory, {}).get(profile)
            if cached is not None:
                return cached
        partition = _Partition()
        unmet_by_key: dict[RequirementsKey, dict[str, str]] = {}
        for bucket, keys in buckets.items():
            key = bucket[1]
            unmet = unmet_by_key.get(key)
            if unmet is None:
                unmet = unmet_by_key[key] = unmet_for(self._requirements[key])
            if unmet:
                partition.failing.append(keys)
                for name in unmet:
                    partition.failing_by_name.setdefault(name, []).append(keys)
            else:
                partition.eligible.append(keys)
                partition.eligible_by_priority.setdefault(bucket[0], []).append(keys)
        if profile is not None:
            kept = self._partitions.setdefault(territory, {})
            if len(kept) >= _PARTITIONS_PER_SCOPE:
                kept.clear()
            kept[profile] = partition
        return partition

    def select(self, territory: str | None, unmet_for: UnmetFor, examples: int,
               profile: Hashable | None = None) -> Selection:
        """Same answer as `select_by_scan(pool, territory, unmet_for, examples)`.

        `profile`, when given, must be equal for two devices exactly when `unmet_for` gives
        them the same answers: the partition of buckets into eligible and failing is then
        kept for the next device of that profile.
        """
        buckets = self._everywhere if territory is None else self._by_territory.get(territory, {})
        partition = self._partition(territory, buckets, unmet_for, profile)
        eligible = partition.eligible
        if not eligible:
            return Selection(None, len(self._referrals))
        chosen_rank = min(map(itemgetter(0), eligible))
        chosen = self._referrals[chosen_rank[2]]
        groups: dict[str, PassedOver] = {}

        if territory is not None:
            others = len(self._referrals) - sum(map(len, buckets.values()))
            if others:
                referrals = self._referrals
                groups[OTHER_TERRITORY] = PassedOver(others, self._first(
                    list(self._everywhere.values()), examples,
                    keep=lambda rank: referrals[rank[2]].territory != territory))

        failing = partition.failing
        if failing:
            by_requirement = {name: sum(map(len, lists)) for name, lists in partition.failing_by_name.items()}
            groups[NEEDS_NOT_MET] = PassedOver(sum(map(len, failing)), self._first(failing, examples),
                                               _ordered_counts(by_requirement))

        chosen_priority = chosen_rank[0]
        lower = [keys for priority, lists in partition.eligible_by_priority.items() if priority > chosen_priority
                 for keys in lists]
        if lower:
            groups[LOWER_PRIORITY] = PassedOver(sum(map(len, lower)), self._first(lower, examples))

        same = partition.eligible_by_priority[chosen_priority]
        later_count = sum(map(len, same)) - 1
        if later_count:
            later = [r for r in self._first(same, examples + 1) if r is not chosen][:examples]
            groups[REFERRED_LATER] = PassedOver(later_count, later)
        return Selection(chosen, len(self._referrals), groups)


@dataclass
class _Partition:
    """A scope's buckets as one device profile sees them (the lists are the pool's own)."""

    eligible: list[list[RankKey]] = field(default_factory=list)
    eligible_by_priority: dict[int, list[list[RankKey]]] = field(default_factory=dict)
    failing: list[list[RankKey]] = field(default_factory=list)
    failing_by_name: dict[str, list[list[RankKey]]] = field(default_factory=dict)
