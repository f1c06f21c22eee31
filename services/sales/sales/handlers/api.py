"""Sales' partner endpoints (points of sale), under /sales."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel, ConfigDict, Field

from shared.errors import NotFound, RuleViolation
from shared.events.sales import DeviceSold
from shared.http import ServiceApi
from shared.observability import entry_point, logger
from shared.outbox import ConcurrencyConflict
from shared.partners import Role

from sales.adapters.repository import SalesRepository
from sales.domain.pricing import quote
from sales.domain.receipts import receipt_number

app = ServiceApi("sales")
_repository: SalesRepository | None = None
SALE_ATTEMPTS = 5


def repository() -> SalesRepository:
    global _repository
    if _repository is None:
        _repository = SalesRepository()
    return _repository


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    CHEQUE = "cheque"
    THIRD_PARTY = "third_party"


class Payment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: PaymentMethod
    amount_eur: Decimal = Field(gt=0, decimal_places=2)


class SaleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: str = Field(min_length=1)
    payments: list[Payment] = Field(min_length=1)


def _reservation(device_id: str) -> dict[str, Any]:
    reservation = repository().active_reservation(device_id)
    if reservation is None:
        raise NotFound(f"device {device_id} has no active reservation")
    return reservation


@app.get("/health")
def health() -> dict[str, str]:
    return {"service": "sales", "status": "ok"}


@app.get("/quotes/<device_id>")
def get_quote(device_id: str) -> dict[str, Any]:
    app.partner(Role.POINT_OF_SALE)
    reservation = _reservation(device_id)
    price = quote(reservation["device_type"], reservation["grade"])
    return {"device_id": device_id, "reservation_id": reservation["reservation_id"], "price_eur": str(price)}


@app.post("/sales")
@app.replayable
def sell(request: SaleRequest):
    point_of_sale = app.partner(Role.POINT_OF_SALE)
    for _ in range(SALE_ATTEMPTS):
        reservation = _reservation(request.device_id)
        price = quote(reservation["device_type"], reservation["grade"])
        paid = sum((p.amount_eur for p in request.payments), Decimal("0"))
        if paid != price:
            raise RuleViolation(f"payments total {paid} € but the quoted price is {price} €")
        now = datetime.now(timezone.utc)
        counter = repository().receipt_counter(point_of_sale.partner_id, now.year)
        sequence = counter["last_number"] + 1
        sale = {
            "sale_id": str(uuid.uuid4()),
            "device_id": request.device_id,
            "reservation_id": reservation["reservation_id"],
            "point_of_sale_id": point_of_sale.partner_id,
            "year": now.year,
            "sequence": sequence,
            "receipt_number": receipt_number(point_of_sale.partner_id, now.year, sequence),
            "price_eur": str(price),
            "payments": [p.model_dump(mode="json") for p in request.payments],
            "sold_at": now.isoformat(),
        }
        event = DeviceSold(
            device_id=request.device_id,
            sale_id=sale["sale_id"],
            reservation_id=reservation["reservation_id"],
            point_of_sale_id=point_of_sale.partner_id,
            receipt_number=sale["receipt_number"],
            price_eur=price,
        ).to_envelope(occurred_at=now, correlation_id=app.correlation_id())
        try:
            repository().record_sale(sale, reservation, counter, event)
        except ConcurrencyConflict as conflict:
            logger.info("sale raced, retrying", extra={"reason": str(conflict)})
            continue
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=sale)
    raise ConcurrencyConflict("too many concurrent sales on this point of sale: retry")


@app.get("/sales/<sale_id>")
def get_sale(sale_id: str) -> dict[str, Any]:
    app.partner(Role.POINT_OF_SALE)
    sale = repository().get_sale(sale_id)
    if sale is None:
        raise NotFound(f"no sale {sale_id}")
    return {k: v for k, v in sale.items() if k not in ("pk", "sk", "version")}


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
