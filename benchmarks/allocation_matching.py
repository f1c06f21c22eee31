"""Allocation's matching at national scale: 100,000 waiting referrals x 20,000 ready devices.

    .venv/bin/python -m benchmarks.allocation_matching [--referrals N] [--devices N]
                                                       [--naive-drain N] [--samples N] [--seed N]

Pure domain, in memory (no table, no network). Builds a seeded random population, then
measures, for the plain scan (a list of referrals) and for the index (`WaitingPool`) in the
same run:

1. one newly ready device matched against every waiting referral;
2. one new referral matched against every available device (plain scan only: see the output);
3. draining: every device matched one after the other, the chosen referral leaving the pool.
   The scan drains only the first `--naive-drain` devices (all 20,000 would take hours); its
   total is extrapolated from them and marked so.

Times are medians over `--samples` different devices or referrals; peak memory is measured
with tracemalloc in separate runs (tracemalloc slows Python down, so never while timing).
Every decision of the index is checked against the scan's: same referral, same explanation.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import heapq
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "allocation"))

from shared.events.vocabulary import DeviceSpecs, Provenance  # noqa: E402

from allocation.domain.matching import (  # noqa: E402
    DEFAULT_MATCHING_POLICY,
    AvailableDevice,
    Referral,
    WaitingPool,
    choose_device_for_referral,
    choose_referral_for_device,
)
from allocation.domain.needs import FunctionalFacts, Needs, Requirements  # noqa: E402
from allocation.domain.matching import _UNMET_CACHE  # noqa: E402
from allocation.domain.waiting_pool import (  # noqa: E402
    LOWER_PRIORITY, NEEDS_NOT_MET, OTHER_TERRITORY, REFERRED_LATER, PassedOver, Selection, _ordered_counts,
)

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
POLICY = DEFAULT_MATCHING_POLICY

# 96 metropolitan départements and 5 overseas ones, weighted like their populations (roughly:
# a few large ones, a long tail), so that some territories have thousands of referrals.
TERRITORIES = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]
# Départements whose administration and collèges donate (their conventions are signed).
DONATING_TERRITORIES = ["35", "33", "59", "13", "69", "93", "44", "31"]


def weighted(rng: random.Random, pairs: list[tuple[object, float]]):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def make_referrals(rng: random.Random, count: int) -> list[Referral]:
    return list(iter_referrals(rng, count))


def iter_referrals(rng: random.Random, count: int) -> Iterator[Referral]:
    """The referrals one at a time: a pool built from them never holds them all as models."""
    territory_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(TERRITORIES))]
    territories = rng.choices(TERRITORIES, territory_weights, k=count)
    for n in range(count):
        requirements = Requirements(
            webcam=rng.random() < 0.4,
            min_ram_gb=weighted(rng, [(None, 50), (4, 20), (8, 25), (16, 5)]),
            min_battery_health_pct=weighted(rng, [(None, 60), (50, 15), (70, 20), (80, 5)]),
            keyboard_layout=weighted(rng, [(None, 70), ("azerty-fr", 28), ("qwerty-us", 1), ("bepo", 1)]),
        )
        yield Referral(
            referral_id=f"ref-{n:06d}", partner_id=f"partner-{rng.randrange(300):03d}",
            beneficiary_ref=f"B-{n:06d}",
            category=weighted(rng, [("minimum_social_benefits", 30), ("job_seeker", 35),
                                    ("young_person", 20), ("student", 15)]),
            territory=territories[n], eligibility_proof_ref="proof",
            needs=Needs(uses=rng.sample(["schooling", "job_search", "administrative_procedures", "training"],
                                        rng.randint(1, 2)),
                        requirements=requirements),
            priority=weighted(rng, [(1, 10), (2, 20), (3, 70)]),
            # a year of referrals, to the second: ties are rare but happen
            created_at=NOW - timedelta(seconds=rng.randrange(365 * 86_400)),
        )


def make_devices(rng: random.Random, count: int) -> list[AvailableDevice]:
    devices = []
    for n in range(count):
        donor = weighted(rng, [("company", 50), ("school", 35), ("public_body", 15)])
        territory = rng.choice(DONATING_TERRITORIES if donor != "company" else TERRITORIES)
        desktop = rng.random() < 0.15
        functional = None if rng.random() < 0.15 else FunctionalFacts(
            battery_health_pct=None if desktop else rng.randint(40, 100),
            webcam=rng.random() < (0.1 if desktop else 0.8),
            keyboard_layout=weighted(rng, [("azerty-fr", 92), ("qwerty-us", 5), (None, 3)]),
        )
        devices.append(AvailableDevice(
            device_id=f"dev-{n:06d}", grade=rng.choice(["C", "B", "A", "Premium"]),
            device_type="desktop" if desktop else "laptop",
            specs=DeviceSpecs(ram_gb=weighted(rng, [(4, 20), (8, 55), (16, 22), (32, 3)]),
                              drives=[{"kind": "ssd", "size_gb": 256}]),
            provenance=Provenance(donor_type=donor, territory=territory),
            ready_at=NOW - timedelta(seconds=rng.randrange(60 * 86_400)),
            functional=functional,
        ))
    return devices


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def peak_bytes(fn: Callable[[], object]) -> int:
    """Memory allocated at the peak of `fn`, above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - before


def held(fn: Callable[[], object]) -> tuple[object, int]:
    """What `fn` returns, and the memory it still holds once built."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    result = fn()
    gc.collect()
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return result, size


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.2f} ms"


def mib(size: int) -> str:
    return f"{size / 2**20:7.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=20_000)
    parser.add_argument("--naive-drain", type=int, default=300)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--rounds", type=int, default=3, help="with --drain-only: drains timed, each on a new pool")
    parser.add_argument("--drain-only", action="store_true",
                        help="only the index drain: its processor time, the process's peak memory and a digest "
                             "of every decision and explanation (to compare two versions of the code)")
    parser.add_argument("--compare", action="store_true",
                        help="with --drain-only: the drain by the previous selection and by the current one, "
                             "same population, one run: processor time, allocation peak and their ratio")
    parser.add_argument("--traced", action="store_true", help="with --compare: also tracemalloc's peak (slower)")
    args = parser.parse_args()
    if args.drain_only:
        drain_only(args)
        return

    rng = random.Random(args.seed)
    referrals, referrals_bytes = held(lambda: make_referrals(rng, args.referrals))
    print(f"population: {len(referrals):,} waiting referrals, {mib(referrals_bytes)} in memory", flush=True)
    devices, devices_bytes = held(lambda: make_devices(rng, args.devices))
    print(f"            {len(devices):,} ready devices, {mib(devices_bytes)} in memory")
    print(f"            {len({WaitingPool.bucket(r) for r in referrals}):,} (priority, requirements) buckets, "
          f"{len({r.territory for r in referrals})} territories")
    samples_devices = rng.sample(devices, args.samples)
    samples_referrals = rng.sample(referrals, args.samples)

    print("\nbuilding the index")
    seconds, pool = timed(lambda: WaitingPool(referrals))
    print(f"  WaitingPool of {len(pool):,} referrals:      {ms(seconds)}")
    print(f"  peak memory while building it (referrals shared, not copied): "
          f"{mib(peak_bytes(lambda: WaitingPool(referrals)))}")

    print(f"\n1. one ready device against {len(referrals):,} waiting referrals (median of {args.samples} devices)")
    scan_times, pool_times = [], []
    for device in samples_devices:
        scan_s, by_scan = timed(lambda: choose_referral_for_device(device, referrals, POLICY, NOW))
        pool_s, by_pool = timed(lambda: choose_referral_for_device(device, pool, POLICY, NOW))
        assert (by_scan and (by_scan.referral, by_scan.explanation)) == (by_pool and (by_pool.referral,
                                                                                      by_pool.explanation))
        scan_times.append(scan_s)
        pool_times.append(pool_s)
    scan_median, pool_median = statistics.median(scan_times), statistics.median(pool_times)
    device = samples_devices[0]
    scan_peak = peak_bytes(lambda: choose_referral_for_device(device, referrals, POLICY, NOW))
    pool_peak = peak_bytes(lambda: choose_referral_for_device(device, pool, POLICY, NOW))
    print(f"  scan:  {ms(scan_median)}   peak memory {mib(scan_peak)}")
    print(f"  index: {ms(pool_median)}   peak memory {mib(pool_peak)}")
    print(f"  scan / index: {scan_median / pool_median:,.0f}x   (same referral and explanation: yes)")

    print(f"\n2. one new referral against {len(devices):,} available devices (median of {args.samples} referrals)")
    times = [timed(lambda: choose_device_for_referral(r, devices, POLICY, NOW))[0] for r in samples_referrals]
    referral = samples_referrals[0]
    print(f"  scan:  {ms(statistics.median(times))}   peak memory "
          f"{mib(peak_bytes(lambda: choose_device_for_referral(referral, devices, POLICY, NOW)))}")

    print(f"\n3. draining: {len(devices):,} devices matched one after the other, the pool shrinking")
    order = sorted(devices, key=lambda d: (d.ready_at, d.device_id))
    drain_pool = WaitingPool(referrals)
    started = time.perf_counter()
    matched, pool_choices, pool_prefix = 0, [], 0.0
    for n, device in enumerate(order):
        if n == args.naive_drain:
            pool_prefix = time.perf_counter() - started
        match = choose_referral_for_device(device, drain_pool, POLICY, NOW)
        pool_choices.append(match and match.referral.referral_id)
        if match:
            drain_pool.remove(match.referral.referral_id)
            matched += 1
    pool_drain = time.perf_counter() - started
    print(f"  index: {pool_drain:8.2f} s for {len(order):,} devices ({ms(pool_drain / len(order))} each); "
          f"{matched:,} reserved, {len(order) - matched:,} kept (no eligible referral yet)")

    remaining = {r.referral_id: r for r in referrals}
    prefix = order[:args.naive_drain]
    started = time.perf_counter()
    for n, device in enumerate(prefix):
        match = choose_referral_for_device(device, remaining.values(), POLICY, NOW)
        assert (match and match.referral.referral_id) == pool_choices[n], f"decisions differ at device {n}"
        if match:
            del remaining[match.referral.referral_id]
    scan_drain = time.perf_counter() - started
    per_device = scan_drain / len(prefix)
    print(f"  scan:  {scan_drain:8.2f} s for the first {len(prefix):,} devices ({ms(per_device)} each), "
          f"same decisions; all {len(order):,} extrapolated: ~{per_device * len(order) / 60:.0f} min")
    print(f"  index, the same first {len(prefix):,} devices: {pool_prefix:8.2f} s; "
          f"scan / index on them: {scan_drain / pool_prefix:,.0f}x")
    first = order[:args.naive_drain]
    print(f"  peak memory of the index drain, first {len(first):,} devices (the pool only shrinks after): "
          f"{mib(peak_bytes(lambda: drain(WaitingPool(referrals), first)))}, index built inside")


class ReferencePool(WaitingPool):
    """The pool's selection as it was before (every requirement key per device, a Python loop
    over every bucket's head): the reference the new selection is timed against in one run."""

    def _first(self, lists: list[list[tuple]], examples: int,
               keep: Callable[[tuple], bool] | None = None) -> list[object]:
        """The first `examples` referrals of several sorted lists (only those `keep` accepts).

        Only the lists whose first kept entries are among the `examples` smallest can hold
        one of the first `examples` entries overall, so only those are merged.
        """
        if examples <= 0:
            return []
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

    def select(self, territory, unmet_for, examples, profile=None):
        """The selection as shipped before the partitions were kept (profile ignored)."""
        buckets = self._everywhere if territory is None else self._by_territory.get(territory, {})
        unmet_by_key = {key: unmet_for(requirements) for key, requirements in self._requirements.items()}
        eligible = [(bucket, keys) for bucket, keys in buckets.items() if not unmet_by_key[bucket[1]]]
        failing = [(bucket, keys) for bucket, keys in buckets.items() if unmet_by_key[bucket[1]]]
        if not eligible:
            return Selection(None, len(self._referrals))
        chosen_rank = min(keys[0] for _, keys in eligible)
        chosen = self._referrals[chosen_rank[2]]
        groups: dict[str, PassedOver] = {}

        if territory is not None:
            others = len(self._referrals) - sum(len(keys) for keys in buckets.values())
            if others:
                referrals = self._referrals
                groups[OTHER_TERRITORY] = PassedOver(others, self._first(
                    list(self._everywhere.values()), examples,
                    keep=lambda rank: referrals[rank[2]].territory != territory))

        if failing:
            by_requirement: dict[str, int] = {}
            for bucket, keys in failing:
                for name in unmet_by_key[bucket[1]]:
                    by_requirement[name] = by_requirement.get(name, 0) + len(keys)
            groups[NEEDS_NOT_MET] = PassedOver(sum(len(keys) for _, keys in failing),
                                               self._first([keys for _, keys in failing], examples),
                                               _ordered_counts(by_requirement))

        lower = [keys for bucket, keys in eligible if bucket[0] > chosen_rank[0]]
        if lower:
            groups[LOWER_PRIORITY] = PassedOver(sum(map(len, lower)), self._first(lower, examples))

        same = [keys for bucket, keys in eligible if bucket[0] == chosen_rank[0]]
        later_count = sum(map(len, same)) - 1
        if later_count:
            later = [r for r in self._first(same, examples + 1) if r is not chosen][:examples]
            groups[REFERRED_LATER] = PassedOver(later_count, later)
        return Selection(chosen, len(self._referrals), groups)


def drain_only(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    if args.compare:
        referrals, devices = make_referrals(rng, args.referrals), make_devices(rng, args.devices)
        compare(referrals, sorted(devices, key=lambda d: (d.ready_at, d.device_id)), args.traced)
        return
    # As the consumer does: the pool is built from referrals read one at a time, never all held as models.
    # Each round builds it again from the same seed; processor times vary by a fifth on shared machines.
    times = []
    for _ in range(args.rounds):
        rng = random.Random(args.seed)
        pool = WaitingPool(iter_referrals(rng, args.referrals))
        order = sorted(make_devices(rng, args.devices), key=lambda d: (d.ready_at, d.device_id))
        waiting = len(pool)
        cpu, _, digest = timed_drain(pool, order, traced=False)
        times.append(cpu)
        print(f"  round {len(times)}: {cpu:.2f} s, digest {digest}", flush=True)
        del pool, order
    cpu = statistics.median(times)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"drain of {args.devices:,} devices against {waiting:,} waiting referrals: median {cpu:.2f} s of processor "
          f"time over {len(times)} rounds (min {min(times):.2f} s, {ms(cpu / args.devices)} a device); peak resident "
          f"memory of the process {peak:.0f} MiB (devices and pool included); decisions digest {digest}")


def timed_drain(pool: WaitingPool, order: list[AvailableDevice], traced: bool) -> tuple[float, int, str]:
    """Processor time of the drain, the Python allocation peak during it, and a digest of every decision.

    Only matching and the pool's update are timed: the digest of each decision is computed
    between two measurements."""
    digest = hashlib.sha256()
    _UNMET_CACHE.clear()  # neither drain starts with the other's unmet requirements computed
    gc.collect()
    if traced:
        tracemalloc.start()
    cpu = 0.0
    clock = time.process_time
    for device in order:
        started = clock()
        match = choose_referral_for_device(device, pool, POLICY, NOW)
        if match:
            pool.remove(match.referral.referral_id)
        cpu += clock() - started
        digest.update(repr(match and (match.referral.referral_id, match.explanation)).encode())
    peak = 0
    if traced:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return cpu, peak, digest.hexdigest()[:16]


def compare(referrals: list[Referral], order: list[AvailableDevice], traced: bool) -> None:
    # tracemalloc slows a drain about fivefold: processor times are taken without it unless asked.
    old_cpu, old_peak, old_digest = timed_drain(ReferencePool(referrals), order, traced)
    new_cpu, new_peak, new_digest = timed_drain(WaitingPool(referrals), order, traced)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peaks = (lambda peak: f", allocation peak during the drain {mib(peak)}") if traced else (lambda peak: "")
    print(f"drain of {len(order):,} devices against {len(referrals):,} waiting referrals"
          f"{' (tracemalloc on for both)' if traced else ''}")
    print(f"  previous selection: {old_cpu:.2f} s processor{peaks(old_peak)}, digest {old_digest}")
    print(f"  current selection:  {new_cpu:.2f} s processor{peaks(new_peak)}, digest {new_digest}")
    print(f"  current / previous processor time: {new_cpu / old_cpu:.2f}; same decisions: {old_digest == new_digest}; "
          f"peak resident memory of the process (population and both pools included): {rss:.0f} MiB")


def drain(pool: WaitingPool, devices: list[AvailableDevice]) -> None:
    for device in devices:
        match = choose_referral_for_device(device, pool, POLICY, NOW)
        if match:
            pool.remove(match.referral.referral_id)


if __name__ == "__main__":
    main()
