"""The indexed selection decides a whole drain exactly as the plain scan does.

A seeded national-like population (territories, priorities, requirements, devices with and
without functional facts), drained device by device: the pool's answer and the scan's over
the same remaining referrals must name the same referral with the same explanation.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

from allocation.domain.matching import WaitingPool, choose_referral_for_device

_BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "allocation_matching.py"


def _population_module():
    spec = importlib.util.spec_from_file_location("allocation_matching_population", _BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_whole_drain_is_decided_by_the_pool_as_by_the_scan():
    population = _population_module()
    rng = random.Random(20261202)
    referrals = population.make_referrals(rng, 3000)
    devices = sorted(population.make_devices(rng, 1500), key=lambda d: (d.ready_at, d.device_id))
    pool, remaining = WaitingPool(referrals), {r.referral_id: r for r in referrals}
    reserved = 0
    for device in devices:
        by_pool = choose_referral_for_device(device, pool, population.POLICY, population.NOW)
        by_scan = choose_referral_for_device(device, list(remaining.values()), population.POLICY, population.NOW)
        assert (by_pool and (by_pool.referral.referral_id, by_pool.explanation)) == \
            (by_scan and (by_scan.referral.referral_id, by_scan.explanation)), device.device_id
        if by_pool:
            pool.remove(by_pool.referral.referral_id)
            del remaining[by_pool.referral.referral_id]
            reserved += 1
    # The drain placed devices, so removals from the pool were compared too.
    assert reserved > 100
