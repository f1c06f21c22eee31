"""Never twice, under real concurrency: many threads read, decide and write at the same moment.

DynamoDB applies each request, a transaction included, atomically; moto's in-process backend
does not guard itself against threads, so every request here is applied under one lock, as
the service applies it. What races is everything else: the reads, the decisions taken on
them, and the conditional writes that must let exactly one decision win.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from moto.core.botocore_stubber import BotocoreStubber

from allocation import reservations
from allocation.adapters.repository import AllocationRepository
from allocation.domain.devices import AvailableDevice
from allocation.domain.referrals import ReferralRequest
from tests.unit.allocation.helpers import REFERRAL, REFERRER, add_referral, make_ready, published, ready
from tests.unit.support import PROVENANCE, SPECS, T0, device_ready, items_with_prefix

THREADS = 16


@pytest.fixture
def atomic_requests(monkeypatch):
    lock = threading.Lock()
    process_request = BotocoreStubber.process_request

    def one_at_a_time(self, request):
        with lock:
            return process_request(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", one_at_a_time)


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same moment; their results (or the exceptions they raised)."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        start.wait()
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - the test looks at what each call ended with
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def reservations_in(dynamodb) -> list[dict]:
    return items_with_prefix(dynamodb, "RESERVATION#")


def test_many_referrals_racing_for_one_device_reserve_it_exactly_once(partner, dynamodb, atomic_requests):
    make_ready(ready("dev-1", donor="company"))  # nobody waits yet: it is in the pool
    requests = [ReferralRequest(**REFERRAL | {"beneficiary_ref": f"FT-RACE-{n}"}) for n in range(THREADS)]

    results = all_at_once([lambda r=r: reservations.refer(AllocationRepository(), REFERRER, r, T0) for r in requests])

    assert not [r for r in results if isinstance(r, Exception)]
    assert Counter(r.status for r in results) == {"reserved": 1, "waiting": THREADS - 1}
    [winner] = [r for r in results if r.status == "reserved"]
    [reservation] = reservations_in(dynamodb)
    assert (reservation["device_id"], reservation["referral_id"]) == ("dev-1", winner.referral_id)
    assert [e.referral_id for e in published(dynamodb, "DeviceReserved")] == [winner.referral_id]
    device = AllocationRepository().get_device("dev-1")
    assert (device.status, device.reservation_id) == ("reserved", reservation["reservation_id"])


def test_devices_and_referrals_matched_from_both_sides_at_once_pair_each_one_once(table, dynamodb, atomic_requests):
    repository = AllocationRepository()
    count = THREADS // 2
    for n in range(count):
        add_referral(f"r-{n}", waited_days=n)
        repository.add_device(AvailableDevice(device_id=f"dev-{n}", grade="B", device_type="laptop", specs=SPECS,
                                              provenance=PROVENANCE, ready_at=T0), None)

    calls = [lambda n=n: reservations.match_devices(AllocationRepository(), [f"dev-{n}"], T0) for n in range(count)]
    calls += [lambda n=n: reservations.match_referral(AllocationRepository(), f"r-{n}", T0) for n in range(count)]
    results = all_at_once(calls)

    assert not [r for r in results if isinstance(r, Exception)]
    made = reservations_in(dynamodb)
    assert len(made) == count
    assert sorted(r["device_id"] for r in made) == sorted(f"dev-{n}" for n in range(count))
    assert sorted(r["referral_id"] for r in made) == sorted(f"r-{n}" for n in range(count))
    assert len(published(dynamodb, "DeviceReserved")) == count
    assert repository.available_devices() == [] and repository.waiting_referrals() == []


def test_the_same_device_ready_handled_many_times_at_once_joins_the_pool_once(table, dynamodb, atomic_requests):
    for n in range(3):
        add_referral(f"r-{n}", waited_days=10 - n)
    event = device_ready("dev-1")
    envelopes = [event.to_envelope(occurred_at=T0) for _ in range(THREADS)]  # re-published, each a new event id

    results = all_at_once([lambda e=e: reservations.device_ready(AllocationRepository(), event, e, T0)
                           for e in envelopes])

    assert not [r for r in results if isinstance(r, Exception)]
    assert len([i for i in items_with_prefix(dynamodb, "DEVICE#") if i["sk"] == "DEVICE"]) == 1
    [reservation] = reservations_in(dynamodb)
    assert reservation["referral_id"] == "r-0"
    assert len(AllocationRepository().waiting_referrals()) == 2
