"""Sales' use cases: quote a reserved device, sell it with a gap-free receipt number."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from shared.errors import NotFound
from shared.events.sales import DeviceSold
from shared.observability import logger
from shared.outbox import ConcurrencyConflict

from sales.adapters.repository import SalesRepository
from sales.domain.pricing import quote
from sales.domain.receipts import receipt_number
from sales.domain.sale import SaleRequest, check_payments_match

SALE_ATTEMPTS = 5


def active_reservation(repository: SalesRepository, device_id: str) -> dict[str, Any]:
    reservation = repository.active_reservation(device_id)
    if reservation is None:
        raise NotFound(f"device {device_id} has no active reservation")
    return reservation


def price_of(reservation: dict[str, Any]) -> Decimal:
    return quote(reservation["device_type"], reservation["grade"])


def sell(repository: SalesRepository, request: SaleRequest, point_of_sale_id: str,
         correlation_id: str | None = None) -> dict[str, Any]:
    """Record the sale; a sale racing another one on the same counter retries with fresh reads."""
    for _ in range(SALE_ATTEMPTS):
        reservation = active_reservation(repository, request.device_id)
        price = price_of(reservation)
        check_payments_match(request.payments, price)
        now = datetime.now(timezone.utc)
        counter = repository.receipt_counter(point_of_sale_id, now.year)
        sequence = counter["last_number"] + 1
        sale = {
            "sale_id": str(uuid.uuid4()),
            "device_id": request.device_id,
            "reservation_id": reservation["reservation_id"],
            "point_of_sale_id": point_of_sale_id,
            "year": now.year,
            "sequence": sequence,
            "receipt_number": receipt_number(point_of_sale_id, now.year, sequence),
            "price_eur": str(price),
            "payments": [p.model_dump(mode="json") for p in request.payments],
            "sold_at": now.isoformat(),
        }
        event = DeviceSold(
            device_id=request.device_id,
            sale_id=sale["sale_id"],
            reservation_id=reservation["reservation_id"],
            point_of_sale_id=point_of_sale_id,
            receipt_number=sale["receipt_number"],
            price_eur=price,
        ).to_envelope(occurred_at=now, correlation_id=correlation_id)
        try:
            repository.record_sale(sale, reservation, counter, event)
            return sale
        except ConcurrencyConflict as conflict:
            logger.info("sale raced, retrying", extra={"reason": str(conflict)})
    raise ConcurrencyConflict("too many concurrent sales on this point of sale: retry")
