"""The waiting pool a warm function keeps between invocations, caught up with the table's changes.

Reading every waiting referral for each ready device costs a request per megabyte of the pool
(about 100 at 100,000 referrals) and seconds of processor. A function instead reads the pool
whole when it starts and then every `FULL_READ_EVERY`; before each use in between, it reads only
the referrals written since its last look (index `gsi3`, by time of write), looking back
`CHANGES_OVERLAP` for the writers' clocks and the index's lag (a write already applied is not
applied again). A matching then costs a bounded number of requests whatever the pool's size:
one `Query` of the changes (a page per megabyte written since the last look and in the overlap
before it), the device, the chosen referral read again, the reservation.

A pool that missed a change never reserves wrongly: the chosen referral is read again before its
reservation (`reservations._chosen_as_read`), and a referral that left the line meanwhile only
makes the device look again. What a stale pool can get wrong until the next full read is the
explanation's counts of who was passed over; the overlap and the full reads bound that.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from allocation.adapters.repository import AllocationRepository
from allocation.domain.waiting_pool import WaitingPool, WaitingReferral

FULL_READ_EVERY = timedelta(minutes=15)
CHANGES_OVERLAP = timedelta(seconds=10)

Declined = dict[str, list[WaitingReferral]]
"""Per device, the waiting referrals that declined it (they are never offered it again)."""


@dataclass
class KeptPool:
    pool: WaitingPool = field(default_factory=WaitingPool)
    declined: Declined = field(default_factory=lambda: defaultdict(list))
    looked_at: datetime | None = None  # wall clock when the last read began
    read_whole_at: datetime | None = None
    applied: dict[str, datetime] = field(default_factory=dict)  # writes applied, while the overlap may read them again

    def current(self, repository: AllocationRepository) -> tuple[WaitingPool, Declined]:
        started = datetime.now(timezone.utc)
        if self.read_whole_at is None or started - self.read_whole_at >= FULL_READ_EVERY:
            self.pool = WaitingPool(repository.waiting_in_line())
            self.declined = defaultdict(list)
            for referral in self.pool:
                for device_id in referral.declined_device_ids:
                    self.declined[device_id].append(referral)
            self.read_whole_at = started
            self.applied.clear()
        else:
            since = self.looked_at - CHANGES_OVERLAP
            self.applied = {written: at for written, at in self.applied.items() if at >= since}
            for change in repository.referral_changes(since):
                if change.written in self.applied:
                    continue
                self.applied[change.written] = started
                waiting = change.waiting()
                if self.pool.get(change.referral_id) != waiting:
                    refresh(self.pool, self.declined, change.referral_id, waiting)
        self.looked_at = started
        return self.pool, self.declined


def refresh(pool: WaitingPool, declined: Declined, referral_id: str, waiting: WaitingReferral | None) -> None:
    """Put in the pool the referral as the table holds it now: `waiting`, or out of line (None)."""
    if referral_id in pool:
        pool.remove(referral_id)
    for referrals in declined.values():
        referrals[:] = [r for r in referrals if r.referral_id != referral_id]
    if waiting is not None:
        pool.add(waiting)
        for device_id in waiting.declined_device_ids:
            declined[device_id].append(waiting)


# Per thread: a Lambda environment runs one invocation at a time on one thread, and a pool is
# not safe to change from two at once; threads that stand for environments each keep their own.
_KEPT = threading.local()


def _kept() -> dict[str, KeptPool]:
    if not hasattr(_KEPT, "pools"):
        _KEPT.pools = {}
    return _KEPT.pools


def kept_pool(repository: AllocationRepository) -> tuple[WaitingPool, Declined]:
    """The waiting pool of the repository's table, as this function keeps it, brought up to date."""
    return _kept().setdefault(repository.table_name, KeptPool()).current(repository)


def forget_kept_pools() -> None:
    """Read every pool whole at its next use (a table was emptied or created again)."""
    _kept().clear()
