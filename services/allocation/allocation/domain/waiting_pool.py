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
from datetime import datetime, timedelta, timezone
from functools import partial
from itertools import chain, islice
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
_SPARE_EXAMPLES = 10  # entries kept beyond those asked in each list of first referrals, so removals rarely force a merge
_WALK_OVER_MERGE = 4  # a walk along the line may read this many ranks per bucket head a merge would read

# A referral's place in the pool: its rank (the fairness order), then what matching filters on.
# created_at counts in microseconds since 1970: the same order as the datetimes, compared faster.
PoolRank = tuple[int, int, str, "RequirementsKey", str]  # priority, created_at, id, requirements, territory
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)

Bucket = tuple[int, RequirementsKey]  # (priority, requirements) within one territory, or everywhere


@dataclass(frozen=True, slots=True)
class WaitingReferral:
    """What matching reads of a waiting referral: its place in line, territory and requirements.

    A pool holds these rather than whole referrals (a tenth of the memory); the referral itself
    is read again, by id, once it is chosen.
    """

    referral_id: str
    territory: str
    priority: int
    created_at: datetime
    waiting_since: str  # created_at in ISO 8601, as explanations quote it
    requirements: Requirements
    declined_device_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, referral: Referral, requirements: Requirements | None = None) -> WaitingReferral:
        return cls(referral.referral_id, referral.territory, int(referral.priority), referral.created_at,
                   referral.created_at.isoformat(), requirements or referral.needs.requirements,
                   referral.declined_device_ids)


class WaitingPool:
    """Waiting referrals, indexed for matching. Not thread-safe; the functions that read it do not change it.

    Build it from the waiting referrals (`WaitingPool(referrals)`, any iterable: it keeps a
    `WaitingReferral` of each), then keep it in step with the decisions taken:
    `remove(referral_id)` once a referral is reserved, `add(referral)` when one arrives or
    comes back to waiting.
    """

    def __init__(self, referrals: Iterable[Referral | WaitingReferral] = ()):
        self._referrals: dict[str, WaitingReferral] = {}
        self._requirements: dict[RequirementsKey, Requirements] = {}
        self._everywhere: dict[Bucket, list[PoolRank]] = {}
        self._by_territory: dict[str, dict[Bucket, list[PoolRank]]] = {}
        self._territory_sizes: dict[str, int] = {}
        # scope -> priority -> every referral of that scope and priority, in line (rank order).
        self._lines: dict[str | None, dict[int, list[PoolRank]]] = {}
        # scope (a territory, or None for everywhere) -> device profile -> its partition of the
        # scope's buckets. The bucket lists are shared, so a partition stays right while they
        # shrink or grow; it is dropped only when a bucket of its scope appears.
        self._partitions: dict[str | None, dict[Hashable, _Partition]] = {}
        # The first referrals of a territory's complement, per territory (see `_cached_first`).
        self._first_elsewhere: dict[str, _FirstRanks] = {}
        self._additions = 0  # every list of first referrals kept is valid only until the next addition
        self._thresholds: tuple[tuple[int, ...], tuple[int, ...]] | None = None
        for referral in referrals:
            self._insert(referral, sort=False)
        for lists in (*self._everywhere.values(), *(keys for buckets in self._by_territory.values()
                                                    for keys in buckets.values()),
                      *(line for lines in self._lines.values() for line in lines.values())):
            lists.sort()

    def __len__(self) -> int:
        return len(self._referrals)

    def __contains__(self, referral_id: object) -> bool:
        return referral_id in self._referrals

    def __iter__(self) -> Iterator[WaitingReferral]:
        return iter(self._referrals.values())

    def get(self, referral_id: str) -> WaitingReferral | None:
        return self._referrals.get(referral_id)

    def add(self, referral: Referral | WaitingReferral) -> None:
        self._insert(referral, sort=True)

    def remove(self, referral_id: str) -> WaitingReferral:
        referral = self._referrals.pop(referral_id)
        rank, bucket = _pool_rank(referral), self.bucket(referral)
        for scope, buckets in ((None, self._everywhere), (referral.territory, self._by_territory[referral.territory])):
            keys = buckets[bucket]
            del keys[bisect_left(keys, rank)]
            if not keys:
                del buckets[bucket]  # partitions keep the empty list: it may fill again only through `add`
            line = self._lines[scope][referral.priority]
            del line[bisect_left(line, rank)]
        self._territory_sizes[referral.territory] -= 1
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
    def bucket(referral: Referral | WaitingReferral) -> Bucket:
        requirements = referral.requirements if isinstance(referral, WaitingReferral) else referral.needs.requirements
        return (int(referral.priority), requirements.key)

    def _insert(self, referral: Referral | WaitingReferral, *, sort: bool) -> None:
        if isinstance(referral, Referral):
            if referral.status is not ReferralStatus.WAITING:
                raise ValueError(f"referral {referral.referral_id} is {referral.status}, not waiting")
            requirements = referral.needs.requirements
            referral = WaitingReferral.of(referral, self._requirements.get(requirements.key, requirements))
        if referral.referral_id in self._referrals:
            raise ValueError(f"referral {referral.referral_id} is already in the pool")
        self._referrals[referral.referral_id] = referral
        key = referral.requirements.key
        if key not in self._requirements:
            self._requirements[key] = referral.requirements
            self._thresholds = None
        self._additions += 1
        self._territory_sizes[referral.territory] = self._territory_sizes.get(referral.territory, 0) + 1
        rank, bucket = _pool_rank(referral), self.bucket(referral)
        for scope, buckets in ((None, self._everywhere),
                               (referral.territory, self._by_territory.setdefault(referral.territory, {}))):
            keys = buckets.get(bucket)
            if keys is None:
                keys = buckets[bucket] = []
                self._partitions.pop(scope, None)
            line = self._lines.setdefault(scope, {}).setdefault(referral.priority, [])
            if sort:
                insort(keys, rank)
                insort(line, rank)
            else:
                keys.append(rank)
                line.append(rank)

    def _cached_first(self, kept: dict[Hashable, _FirstRanks], name: Hashable, wanted: int,
                      first_of: Callable[[int], list[PoolRank]]) -> list[PoolRank]:
        """The first `wanted` ranks of a set of referrals, from a longer list kept since an earlier call.

        `first_of(n)` gives the first n ranks of the set as it is now. Between two additions to
        the pool the set only loses referrals, so the kept ranks still in the pool are still the
        set's first ones: the merge is done again only when fewer than `wanted` of them remain.
        """
        if wanted <= 0:
            return []
        first = kept.get(name)
        if first is not None and first.additions == self._additions:
            alive = [rank for rank in first.ranks if rank[2] in self._referrals]
            if len(alive) >= wanted or first.whole:
                first.ranks = alive
                return alive[:wanted]
        asked = wanted + _SPARE_EXAMPLES
        ranks = first_of(asked)
        kept[name] = _FirstRanks(ranks, whole=len(ranks) < asked, additions=self._additions)
        return ranks[:wanted]

    @staticmethod
    def _first_of_lists(lists: list[list[PoolRank]], count: int) -> list[PoolRank]:
        """The first `count` ranks of several sorted lists (some may be empty).

        Only the lists whose heads are among the `count` smallest can hold one of the first
        `count` entries overall, so only those are merged.
        """
        firsts = heapq.nsmallest(count, filter(None, lists), key=itemgetter(0))
        return list(islice(heapq.merge(*firsts), count))

    @staticmethod
    def _first_kept_of_lists(lists: Iterable[list[PoolRank]], keep: Callable[[PoolRank], bool],
                             count: int) -> list[PoolRank]:
        """The first `count` ranks `keep` accepts, of several sorted lists."""
        starts = []
        for keys in lists:
            for position, rank in enumerate(keys):
                if keep(rank):
                    starts.append((rank, keys, position))
                    break
        merged = heapq.merge(*(
            filter(keep, islice(keys, position, None))
            for _, keys, position in heapq.nsmallest(count, starts, key=itemgetter(0))))
        return list(islice(merged, count))

    @staticmethod
    def _first_of(lists: list[list[PoolRank]], count: int, line: Iterable[list[PoolRank]],
                  keep: Callable[[PoolRank], bool], merge: Callable[[int], list[PoolRank]], asked: int,
                  ) -> list[PoolRank]:
        """The first `asked` ranks of `count` referrals spread over the sorted `lists`, which are
        also the ranks `keep` accepts along `line` (sorted lists to read one after the other).

        Whichever is cheaper: walking the line, about `asked` x (line / count) ranks, or
        `merge(asked)`, which reads each list's head. Both give the same ranks.
        """
        line = tuple(line)
        if sum(map(len, line)) * asked <= _WALK_OVER_MERGE * count * len(lists):
            return list(islice(filter(keep, chain.from_iterable(line)), asked))
        return merge(asked)

    def _partition(self, territory: str | None, unmet_for: UnmetFor, profile: Hashable | None) -> _Partition:
        if profile is not None:
            cached = self._partitions.get(territory, {}).get(profile)
            if cached is not None:
                return cached
        buckets = self._everywhere if territory is None else self._by_territory.get(territory, {})
        partition = _Partition()
        unmet_by_key: dict[RequirementsKey, dict[str, str]] = {}
        met = partition.met
        for bucket, keys in sorted(buckets.items(), key=_priority_of):
            key = bucket[1]
            unmet = unmet_by_key.get(key)
            if unmet is None:
                unmet = unmet_by_key[key] = unmet_for(self._requirements[key])
            if unmet:
                partition.failing.append(keys)
                for name in unmet:
                    partition.failing_by_name.setdefault(name, []).append(keys)
            else:
                partition.eligible_by_priority.setdefault(bucket[0], []).append(keys)
                met.add(key)
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
        them the same answers: the partition of buckets into eligible and failing, and the
        first referrals of each part, are then kept for the next device of that profile.
        """
        partition = self._partition(territory, unmet_for, profile)
        kept, met, first_of = partition.first, partition.met, self._first_of
        referrals, lines = self._referrals, self._lines.get(territory, {})

        def meets(rank: PoolRank) -> bool:
            return rank[3] in met

        # Priorities ascending (the partition's buckets are sorted): the first non-empty one holds the chosen.
        eligible = [(priority, count, self._cached_first(kept, priority, 1 + examples, partial(
                        first_of, lists, count, (lines[priority],), meets, partial(self._first_of_lists, lists))))
                    for priority, lists in partition.eligible_by_priority.items()
                    if (count := sum(map(len, lists)))]
        if not eligible:
            return Selection(None, len(referrals))
        (chosen_priority, same_count, first_of_same), *lower = eligible
        chosen = referrals[first_of_same[0][2]]
        in_scope = len(referrals) if territory is None else self._territory_sizes.get(territory, 0)
        groups: dict[str, PassedOver] = {}

        if territory is not None:
            others = len(referrals) - in_scope
            if others:
                def elsewhere(rank: PoolRank) -> bool:
                    return rank[4] != territory

                everywhere = list(self._everywhere.values())
                first = self._cached_first(self._first_elsewhere, territory, examples, partial(
                    first_of, everywhere, others, (line for _, line in sorted(self._lines[None].items())), elsewhere,
                    partial(self._first_kept_of_lists, everywhere, elsewhere)))
                groups[OTHER_TERRITORY] = PassedOver(others, [referrals[rank[2]] for rank in first])

        failing_count = in_scope - sum(count for _, count, _ in eligible)
        if failing_count:
            failing = partition.failing
            by_requirement = {name: failing_count if len(lists) == len(failing) else sum(map(len, lists))
                              for name, lists in partition.failing_by_name.items()}

            def fails(rank: PoolRank) -> bool:
                return rank[3] not in met

            first = self._cached_first(kept, NEEDS_NOT_MET, examples, partial(
                first_of, failing, failing_count, (line for _, line in sorted(lines.items())), fails,
                partial(self._first_of_lists, failing)))
            groups[NEEDS_NOT_MET] = PassedOver(failing_count, [referrals[rank[2]] for rank in first],
                                               _ordered_counts(by_requirement))

        if lower:
            # Rank sorts by priority first: the lower priorities' first referrals follow one another.
            first = [rank for _, _, ranks in lower for rank in ranks][:examples]
            groups[LOWER_PRIORITY] = PassedOver(sum(count for _, count, _ in lower),
                                                [referrals[rank[2]] for rank in first])

        if same_count > 1:
            groups[REFERRED_LATER] = PassedOver(same_count - 1, [referrals[rank[2]] for rank in first_of_same[1:]])
        return Selection(chosen, len(referrals), groups)


def _pool_rank(referral: WaitingReferral) -> PoolRank:
    return (referral.priority, (referral.created_at - _EPOCH) // _MICROSECOND, referral.referral_id,
            referral.requirements.key, referral.territory)


def _priority_of(item: tuple[Bucket, list[PoolRank]]) -> int:
    return item[0][0]


@dataclass
class _FirstRanks:
    """The first ranks of a set of referrals, as they were after the pool's `additions`-th addition."""

    ranks: list[PoolRank]
    whole: bool  # the set had no more referrals than these
    additions: int


@dataclass
class _Partition:
    """A scope's buckets as one device profile sees them (the lists are the pool's own)."""

    eligible_by_priority: dict[int, list[list[PoolRank]]] = field(default_factory=dict)
    failing: list[list[PoolRank]] = field(default_factory=list)
    failing_by_name: dict[str, list[list[PoolRank]]] = field(default_factory=dict)
    met: set[RequirementsKey] = field(default_factory=set)  # the requirements the profile meets
    first: dict[Hashable, _FirstRanks] = field(default_factory=dict)
