"""Forgetting the person behind a sale: at the end of the retention period, or on allocation's
BeneficiaryErased (the referring partner's request).

Sales learns two links to a beneficiary with each reservation (DeviceReserved): the referral id
and the category; a sale copies the category, and a cancelled sale keeps the reason the point
of sale typed. Forgetting a reservation drops its links and its sale's free text; an erasure
drops the sale's category too. Price, payments, status, dates and accompaniment stay, so
the figures still count the device as sold and handed over (the category becomes "unknown").

- `forget_ended_reservations`: the retention job. Reservations that ended (sold, released,
  cancelled) before the cutoff are read from `RESERVATIONS#ended` oldest first; a forgotten
  one leaves the index, so a run cut short is continued by the next one.
- `forget_reservation`: one reservation (and its sale), idempotent.

Only counts are logged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from shared.outbox import ConcurrencyConflict
from shared.retry import retry_on_conflict

from sales.adapters.repository import SalesRepository
from sales.domain.sale import ForgottenBecause

RETENTION_PAGE = 100
ATTEMPTS = 5


def forget_reservation(repository: SalesRepository, device_id: str, reservation_id: str, because: ForgottenBecause,
                       at: datetime) -> bool:
    """False if sales never heard of the reservation, or it is forgotten already."""
    def attempt() -> bool:
        reservation = repository.get_reservation(device_id, reservation_id)
        if reservation is None or reservation.get("forgotten_at"):
            return False
        sale = repository.get_sale(reservation["sale_id"]) if reservation.get("sale_id") else None
        repository.forget_reservation(reservation, sale, because, at)
        return True

    return retry_on_conflict(attempt, what="forgetting a reservation", attempts=ATTEMPTS)


def forget_ended_reservations(repository: SalesRepository, now: datetime, cutoff: datetime,
                              time_left: Callable[[], bool] = lambda: True,
                              page: int = RETENTION_PAGE) -> dict[str, int]:
    """The retention job: forget every reservation that ended by `cutoff`, page after page, while `time_left()`."""
    forgotten = failed = 0
    stuck: set[tuple[str, str]] = set()
    while time_left():
        ended = repository.reservations_ended_by(cutoff, page + len(stuck))
        due = [key for key in ((i["device_id"], i["reservation_id"]) for i in ended) if key not in stuck]
        if not due:
            break
        for device_id, reservation_id in due:
            if not time_left():
                break
            try:
                done = forget_reservation(repository, device_id, reservation_id, ForgottenBecause.RETENTION, now)
            except ConcurrencyConflict:  # the next run tries it again
                stuck.add((device_id, reservation_id))
                failed += 1
                continue
            forgotten += done
            if not done:
                stuck.add((device_id, reservation_id))  # the index lags behind the item
    return {"forgotten": forgotten, "failed": failed}
