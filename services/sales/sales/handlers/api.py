"""Sales' partner endpoints (points of sale), under /sales."""

from __future__ import annotations

from typing import Any

from shared.errors import NotFound
from shared.http import ServiceApi, json_response
from shared.observability import entry_point
from shared.partners import Role

from sales import checkout
from sales.adapters.repository import SalesRepository
from sales.domain.sale import SaleRequest

app = ServiceApi("sales")
_repository: SalesRepository | None = None


def repository() -> SalesRepository:
    global _repository
    if _repository is None:
        _repository = SalesRepository()
    return _repository


@app.get("/health")
def health() -> dict[str, str]:
    return {"service": "sales", "status": "ok"}


@app.get("/quotes/<device_id>")
def get_quote(device_id: str) -> dict[str, Any]:
    app.partner(Role.POINT_OF_SALE)
    reservation = checkout.active_reservation(repository(), device_id)
    return {"device_id": device_id, "reservation_id": reservation["reservation_id"],
            "price_eur": str(checkout.price_of(reservation))}


@app.post("/sales")
@app.replayable
def sell(request: SaleRequest):
    point_of_sale = app.partner(Role.POINT_OF_SALE)
    sale = checkout.sell(repository(), request, point_of_sale.partner_id, app.correlation_id())
    return json_response(201, sale)


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
