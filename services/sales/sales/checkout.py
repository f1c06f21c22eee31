"""Sales' use cases: quote, sell with a gap-free receipt, cancel, hand over, accompany, warranty."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from shared import clock
from shared.errors import NotFound, RuleViolation
from shared.events.sales import DeviceHandedOver, DeviceSold, SaleCancelled, WarrantyClaimOpened
from shared.outbox import ConcurrencyConflict
from shared.retry import retry_on_conflict

from sales.adapters.repository import COUNTER_MOVED, SalesRepository, counter_state
from sales.domain.pricing import PriceGrid
from sales.domain.receipts import receipt_number
from sales.domain.sale import (
    AccompanimentBooking,
    CancellationRequest,
    Sale,
    SaleRequest,
    WarrantyClaimRequest,
    check_payments_match,
)

# A point of sale's counter is one item: racing sales of one point of sale take turns on it.
# Fifty at once must all get through (docs/services/sales.md), within the function's 29 s:
# the last attempt starts by 24 s.
SALE_ATTEMPTS = 200
SALE_RETRY_SECONDS = 24.0
# Fifty racers retrying every quarter of a second would swamp the table; every three seconds at
# most (drawn at random below that), the winner's write gets through.
SALE_LONGEST_WAIT_SECONDS = 3.0
# From the first retry on, waits up to a tenth of a second: fifty racers retrying at once within
# milliseconds only crowd the table, and a refused sale already knows the counter it lost to.
SALE_FIRST_WAIT_SECONDS = 0.1


def active_reservation(repository: SalesRepository, device_id: str) -> dict[str, Any]:
    reservation = repository.active_reservation(device_id)
    if reservation is None:
        raise NotFound(f"device {device_id} has no active reservation")
    return reservation


def price_of(repository: SalesRepository, reservation: dict[str, Any], grid: PriceGrid | None = None) -> Decimal:
    grid = grid or repository.price_grid()[0]
    return grid.quote(reservation["device_type"], reservation["grade"])


def sell(repository: SalesRepository, request: SaleRequest, point_of_sale_id: str,
         correlation_id: str | None = None) -> Sale:
    """Record the sale; a sale racing others on the same counter retries with fresh reads and a
    jittered wait (shared.retry). The device's sale claim makes any second sale of it fail: its
    retry is refused (409), or finds no active reservation any more (404)."""
    grid, _ = repository.price_grid()
    label_code = repository.label_of_device(request.device_id)
    still_valid: list[dict[str, Any]] = []  # the reservation read, while only the counter moved since
    counter_now: dict[int, dict[str, int]] = {}  # by year: the counter as the last refusal found it

    def attempt() -> Sale:
        if still_valid:
            reservation = still_valid.pop()
        else:
            reservation, claim = repository.device_state(request.device_id)
            if claim is not None:
                # Sold already, on whichever reservation (a racer won it): no use trying again.
                raise RuleViolation(f"device {request.device_id} is sold already (sale {claim['sale_id']})")
            if reservation is None:
                raise NotFound(f"device {request.device_id} has no active reservation")
        price = price_of(repository, reservation, grid)
        check_payments_match(request.payments, price)
        now = clock.now()
        # Read last, just before the write: the shorter the window, the fewer racers lose it.
        counter = counter_now.pop(now.year, None) or repository.receipt_counter(point_of_sale_id, now.year)
        sequence = counter["last_number"] + 1
        sale = Sale(
            sale_id=str(uuid.uuid4()),
            device_id=request.device_id,
            label_code=label_code,
            device_type=reservation.get("device_type"),
            grade=reservation.get("grade"),
            reservation_id=reservation["reservation_id"],
            point_of_sale_id=point_of_sale_id,
            beneficiary_category=reservation.get("beneficiary_category"),
            year=now.year,
            sequence=sequence,
            receipt_number=receipt_number(point_of_sale_id, now.year, sequence),
            price_eur=price,
            payments=request.payments,
            sold_at=now,
        )
        event = DeviceSold(
            device_id=sale.device_id,
            sale_id=sale.sale_id,
            reservation_id=sale.reservation_id,
            point_of_sale_id=point_of_sale_id,
            receipt_number=sale.receipt_number,
            price_eur=price,
        ).to_envelope(occurred_at=now, correlation_id=correlation_id)
        try:
            repository.record_sale(sale, reservation, counter, event)
        except ConcurrencyConflict as conflict:
            if str(conflict) == COUNTER_MOVED:
                # Another sale took the number: the reservation holds, the refusal tells the counter.
                still_valid.append(reservation)
                if conflict.current is not None:
                    counter_now[sale.year] = counter_state(conflict.current)
            raise
        return sale.model_copy(update={"version": 1})

    try:
        return retry_on_conflict(attempt, what="sale at a point of sale", attempts=SALE_ATTEMPTS,
                                 budget_seconds=SALE_RETRY_SECONDS, longest_delay=SALE_LONGEST_WAIT_SECONDS,
                                 first_delay=SALE_FIRST_WAIT_SECONDS)
    except ConcurrencyConflict:
        raise ConcurrencyConflict("too many concurrent sales on this point of sale: retry") from None


def cancel(repository: SalesRepository, sale: Sale, request: CancellationRequest,
           correlation_id: str | None = None) -> Sale:
    """Refund and release: allocation returns the device to the pool on SaleCancelled."""
    sale.cancel(request)
    event = SaleCancelled(
        device_id=sale.device_id, sale_id=sale.sale_id, reservation_id=sale.reservation_id,
        refund_eur=sale.price_eur,
    ).to_envelope(correlation_id=correlation_id)
    repository.record_cancellation(sale, event)
    return sale


def hand_over(repository: SalesRepository, sale: Sale, on: date, correlation_id: str | None = None) -> Sale:
    sale.hand_over(on)
    event = DeviceHandedOver(
        device_id=sale.device_id, sale_id=sale.sale_id, point_of_sale_id=sale.point_of_sale_id,
    ).to_envelope(correlation_id=correlation_id)
    repository.save_sale(sale, event)
    return sale


def book_accompaniment(repository: SalesRepository, sale: Sale, booking: AccompanimentBooking) -> Sale:
    sale.book_accompaniment(booking)
    repository.save_sale(sale)
    return sale


def record_accompaniment(repository: SalesRepository, sale: Sale, attended: bool) -> Sale:
    sale.record_accompaniment(attended)
    repository.save_sale(sale)
    return sale


def open_warranty_claim(repository: SalesRepository, sale: Sale, request: WarrantyClaimRequest, today: date,
                        correlation_id: str | None = None) -> dict[str, Any]:
    """A claim within the warranty sends the device back to refurb (WarrantyClaimOpened): its
    category and reference travel, the point of sale's note stays here."""
    claim = sale.open_warranty_claim(str(uuid.uuid4()), request, today)
    event = WarrantyClaimOpened(
        device_id=sale.device_id, claim_id=claim.claim_id, claim_reference=claim.reference, sale_id=sale.sale_id,
        fault_category=claim.fault_category,
    ).to_envelope(correlation_id=correlation_id)
    repository.save_sale(sale, event)
    return {"claim_id": claim.claim_id, "claim_reference": claim.reference, "sale_id": sale.sale_id,
            "device_id": sale.device_id, "fault_category": claim.fault_category.value,
            "warranty_ends_on": sale.warranty_ends_on.isoformat()}
