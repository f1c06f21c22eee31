"""Forgetting beneficiaries: at the end of the retention period, or when the referring partner asks.

What allocation knows of a person is the pair (partner_id, beneficiary_ref), their referrals'
eligibility proof reference, commune and needs, and free text partners typed (why a referral
was withdrawn, why a reservation was released). Forgetting a referral drops all of that and
keeps what the counts need (`Referral.forgotten`); the beneficiary's record (whose key is the
pseudonym) loses the referral and goes when it has none left.

- `forget_closed_referrals`: the retention job. Referrals closed (fulfilled, cancelled,
  expired) before the cutoff are read from their index `REFERRALS#retained` oldest first, a
  page at a time; a forgotten referral leaves the index, so a run that stops early (time
  budget) or fails is simply continued by the next one. Sales keeps its own clock.
- `erase_beneficiary`: the partner's request. Open referrals are withdrawn first (a reserved
  device goes back to the pool), then every referral is forgotten and, for each reservation
  ever made for it, `BeneficiaryErased` tells sales to drop its link to the person.

Only counts are logged, never a pseudonym.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared.events.allocation import BeneficiaryErased
from shared.observability import logger
from shared.outbox import ConcurrencyConflict
from shared.retry import retry_on_conflict

from allocation.adapters.repository import AllocationRepository
from allocation.domain.referrals import OPEN_STATUSES, ForgottenBecause
from allocation.reservations import MATCH_ATTEMPTS, Cause, cancel_referral

RETENTION_PAGE = 100
ERASURE_REASON = "the beneficiary asked to be forgotten"


@dataclass(frozen=True)
class Forgotten:
    reservations: int


def forget_referral(repository: AllocationRepository, referral_id: str, now: datetime, because: ForgottenBecause,
                    cause: Cause = Cause()) -> Forgotten | None:
    """Forget one closed referral, its reservations' notes and its place in the beneficiary's record, in
    one transaction (with BeneficiaryErased for each reservation on an erasure). None if already done."""
    def attempt() -> Forgotten | None:
        referral = repository.get_referral(referral_id)
        if referral is None or referral.forgotten_at is not None:
            return None
        reservations = repository.reservations_of(referral_id)
        saves = [referral.forgotten(now, because), *(r.without_note() for r in reservations if r.release_note)]
        deletes = []
        record = repository.known_beneficiary(referral.partner_id, referral.beneficiary_ref)
        if record is not None:
            rest = record.without_referral(referral_id)
            (saves if rest.referral_ids else deletes).append(rest)
        events = ()
        if because is ForgottenBecause.ERASURE:
            events = tuple(BeneficiaryErased(
                device_id=r.device_id, reservation_id=r.reservation_id, referral_id=referral_id,
            ).to_envelope(occurred_at=now, correlation_id=cause.correlation_id, causation_id=cause.causation_id)
                for r in reservations)
        repository.commit(save=tuple(saves), delete=tuple(deletes), publish=events)
        return Forgotten(reservations=len(reservations))

    return retry_on_conflict(attempt, what="forgetting a referral", attempts=MATCH_ATTEMPTS)


def forget_closed_referrals(repository: AllocationRepository, now: datetime, cutoff: datetime,
                            time_left: Callable[[], bool] = lambda: True,
                            page: int = RETENTION_PAGE) -> dict[str, int]:
    """The retention job: forget every referral closed by `cutoff`, page after page, while `time_left()`."""
    forgotten = failed = 0
    stuck: set[str] = set()
    while time_left():
        due = [i for i in repository.referrals_closed_by(cutoff, page + len(stuck)) if i not in stuck]
        if not due:
            break
        for referral_id in due:
            if not time_left():
                break
            try:
                done = forget_referral(repository, referral_id, now, ForgottenBecause.RETENTION)
            except ConcurrencyConflict:  # it changed again and again: the next run tries it again
                stuck.add(referral_id)
                failed += 1
                continue
            forgotten += 1 if done else 0
            if done is None:
                stuck.add(referral_id)  # the index lags behind the item: do not read it again this run
    return {"forgotten": forgotten, "failed": failed}


@dataclass(frozen=True)
class Erasure:
    referrals: int
    withdrawn: int
    reservations: int

    def view(self) -> dict[str, int]:
        return {"referrals_forgotten": self.referrals, "open_referrals_withdrawn": self.withdrawn,
                "reservations_unlinked": self.reservations}


def erase_beneficiary(repository: AllocationRepository, partner_id: str, beneficiary_ref: str, now: datetime,
                      cause: Cause = Cause()) -> Erasure | None:
    """The referring partner's request to forget a beneficiary; None if it has no such beneficiary."""
    record = repository.known_beneficiary(partner_id, beneficiary_ref)
    if record is None:
        return None
    withdrawn = forgotten = reservations = 0
    for referral_id in record.referral_ids:
        referral = repository.get_referral(referral_id)
        if referral is None:
            continue
        if referral.status in OPEN_STATUSES:
            cancel_referral(repository, referral_id, ERASURE_REASON, now, cause)
            withdrawn += 1
        done = forget_referral(repository, referral_id, now, ForgottenBecause.ERASURE, cause)
        if done:
            forgotten += 1
            reservations += done.reservations
    logger.info("beneficiary erased", extra={"partner_id": partner_id, "referrals": forgotten,
                                             "withdrawn": withdrawn, "reservations": reservations})
    return Erasure(forgotten, withdrawn, reservations)
