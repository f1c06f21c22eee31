"""A warm function keeps the waiting pool between ready devices and reads only what changed.

The first device of a function reads the pool whole; the next ones read the referrals written
since (index gsi3), so one DeviceReady costs a bounded number of requests whatever the pool's
size. A pool that missed a change still never reserves a referral that left the line: the
chosen one is read again first.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from allocation import kept_pool
from allocation.adapters.repository import AllocationRepository
from allocation.handlers import api
from tests.unit.allocation.helpers import add_referral, get_referral, make_ready, ready
from tests.unit.support import call


def cancel(referral_id: str):
    response = call(api.handler, "POST", f"/allocation/referrals/{referral_id}/cancellation", "referrer",
                    {"reason": "the family moved away"})
    assert response.status == 200, response.body


def explanation_of(referral_id: str) -> dict:
    return get_referral(referral_id).body["reservation"]["explanation"]


@pytest.fixture
def whole_reads(monkeypatch) -> list[int]:
    """How many times the waiting pool is read whole (one entry per read)."""
    reads: list[int] = []
    read_whole = AllocationRepository.waiting_in_line

    def counted(self):
        reads.append(1)
        return read_whole(self)

    monkeypatch.setattr(AllocationRepository, "waiting_in_line", counted)
    return reads


def test_the_next_ready_device_reads_only_the_referrals_written_since_and_sees_them(table, whole_reads):
    add_referral("r-old", 20)
    make_ready(ready("dev-1", donor="company"))
    assert get_referral("r-old").body["device_id"] == "dev-1"

    add_referral("r-new", 1)
    add_referral("r-urgent", 0.5, priority=1)
    cancel_target = add_referral("r-withdrawn", 30)
    cancel(cancel_target.referral_id)
    make_ready(ready("dev-2", donor="company"))

    assert len(whole_reads) == 1  # the second device caught up with the changes only
    assert get_referral("r-urgent").body["device_id"] == "dev-2"
    passed_over = explanation_of("r-urgent")["passed_over_by_reason"]
    # the withdrawn referral left the kept pool: it is not counted among those passed over
    assert [r["referral_id"] for r in passed_over["lower_priority"]["first"]] == ["r-new"]
    assert explanation_of("r-urgent")["candidates"] == 2


def test_a_referral_that_left_the_line_unseen_by_the_kept_pool_is_not_reserved(table, monkeypatch):
    add_referral("r-first", 20)
    add_referral("r-next", 10)
    make_ready(ready("dev-0", donor="company"))  # the pool is kept: r-first took dev-0
    add_referral("r-later", 3)
    make_ready(ready("dev-1", donor="company"))  # ... and caught up with r-later: r-next took dev-1
    add_referral("r-last", 1)
    make_ready(ready("dev-2", donor="company"))  # r-later took dev-2; the pool holds r-last
    assert [get_referral(r).body["device_id"] for r in ("r-first", "r-next", "r-later")] == ["dev-0", "dev-1", "dev-2"]

    # The index lags: the kept pool sees neither the withdrawal of r-last nor a new referral.
    reads_changes = AllocationRepository.referral_changes
    monkeypatch.setattr(AllocationRepository, "referral_changes", lambda self, since: iter(()))
    cancel("r-last")
    add_referral("r-unseen", 0.5)
    make_ready(ready("dev-3", donor="company"))

    assert get_referral("r-last").body["status"] == "cancelled"
    assert get_referral("r-unseen").body["status"] == "waiting"  # the device waits for the pool to catch up

    monkeypatch.setattr(AllocationRepository, "referral_changes", reads_changes)  # the index caught up
    make_ready(ready("dev-4", donor="company"))
    assert get_referral("r-unseen").body["device_id"] == "dev-4"


def test_the_pool_is_read_whole_again_after_a_while(table, whole_reads, monkeypatch):
    add_referral("r-1", 20)
    make_ready(ready("dev-1", donor="company"))
    monkeypatch.setattr(kept_pool, "FULL_READ_EVERY", timedelta(0))
    add_referral("r-2", 10)
    make_ready(ready("dev-2", donor="company"))

    assert len(whole_reads) == 2
    assert get_referral("r-2").body["device_id"] == "dev-2"
