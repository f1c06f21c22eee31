"""Sales' use cases: quote, sell with a gap-free receipt, cancel, hand over, accompany, warranty."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from shared.errors import NotFound
from shared.events.sales import DeviceHandedOver, DeviceSold, SaleCancelled, WarrantyClaimOpened
from shared.observability import logger
from shared.outbox import ConcurrencyConflict

from sales.adapters.repository import SalesRepository
from sales.domain.receipts import receipt_number
from sales.domain.sale import (
    AccompanimentBooking,
    CancellationRequest,
    Sale,
    SaleRequest,
    WarrantyClaimRequest,
    check_payments_match,
)

SALE_ATTEMPTS = 5


def active_reservation(repository: SalesRepository, device_id: str) -> dict[str, Any]:
    reservation = repository.active_reservation(device_id)
    if reservation is None:
        raise NotFound(f"device {device_id} has no active reservation")
    return reservation


def price_of(repository: SalesRepository, reservation: dict[str, Any]) -> Decimal:
    grid, _ = repository.price_grid()
    return grid.quote(reservation["device_type"], reservation["grade"])


def sell(repository: SalesRepository, request: SaleRequest, point_of_sale_id: str,
         correlation_id: str | None = None) -> Sale:
    """Record the sale; a sale racing another one on the same counter retries with fresh reads."""
    for _ in range(SALE_ATTEMPTS):
        reservation = active_reservation(repository, request.device_id)
        price = price_of(repository, reservation)
        check_payments_match(request.payments, price)
        now = datetime.now(timezone.utc)
        counter = repository.receipt_counter(point_of_sale_id, now.year)
        sequence = counter["last_number"] + 1
        sale = Sale(
            sale_id=str(uuid.uuid4()),
            device_id=request.device_id,
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
            return sale.model_copy(update={"version": 1})
        except ConcurrencyConflict as conflict:
            logger.info("sale raced, retrying", extra={"reason": str(conflict)})
    raise ConcurrencyConflict("too many concurrent sales on this point of sale: retry")


def cancel(repository: SalesRepository, sale: Sale, request: CancellationRequest,
           correlation_id: str | None = None) -> Sale:
    """Refund and release: allocation returns the device to the pool on SaleCancelled."""
    sale.cancel(request)
    event = SaleCancelled(
        device_id=sale.device_id, sale_id=sale.sale_id, reservation_id=sale.reservation_id,
        refund_eur=sale.price_eur,
    ).to_envelope(correlation_id=correlation_id)
    repository.save_sale(sale, event, reservation_status="cancelled")
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
