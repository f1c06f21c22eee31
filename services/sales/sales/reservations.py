"""What sales learns of allocation's reservations: which one a device is sold on, and when it ends.

A device is sold on one reservation at a time, the one holding it. A `DeviceReserved` heard
while another reservation holds the device is parked: allocation reserves a device again only
after ending the previous reservation, so the release is on its way (queues do not keep order;
it may even sit in a dead-letter queue). When it arrives, the oldest parked reservation takes
the device. A reservation whose device was sold meanwhile stays parked: the sale crossed the end
of the reservation in allocation, which an administrator settles there. docs/services/sales.md.
"""

from __future__ import annotations

from typing import Any

from shared.observability import logger
from shared.retry import retry_on_conflict

from sales.adapters.repository import SalesRepository


def learn_reservation(repository: SalesRepository, reservation: dict[str, Any]) -> str | None:
    """Store an announced reservation: the status it got, None if it was known already."""
    status = retry_on_conflict(lambda: repository.add_reservation(reservation), what="a device's hold")
    if status == "parked":
        logger.warning("reservation parked: another reservation holds the device",
                       extra={"device_id": reservation["device_id"], "reservation_id": reservation["reservation_id"]})
    return status


def learn_release(repository: SalesRepository, device_id: str, reservation_id: str, referral_id: str,
                  reason: str) -> None:
    """End a reservation; a release heard before its reservation is remembered, so that it is never sold."""

    def attempt() -> None:
        reservation = repository.get_reservation(device_id, reservation_id)
        if reservation is None:
            repository.add_reservation({"device_id": device_id, "reservation_id": reservation_id,
                                        "referral_id": referral_id, "status": "released"})
        elif reservation["status"] in ("reserved", "parked"):
            repository.release_reservation(reservation, reason)
        else:
            logger.info("release of a reservation already " + reservation["status"],
                        extra={"reservation_id": reservation_id})

    retry_on_conflict(attempt, what="a device's reservations")
