"""Sales' partner endpoints (points of sale; administrators for the price grid), under /sales."""

from __future__ import annotations

import functools

from datetime import date
from typing import Any

from shared import clock
from shared.errors import InvalidInput
from shared.http import ServiceApi, json_response
from shared.observability import entry_point
from shared.partners import Role

from sales import checkout
from sales.access import ROUTES, reservation_ownership, sale_ownership
from sales.adapters.repository import SalesRepository
from sales.domain.figures import sales_figures
from sales.domain.pricing import PriceGrid
from sales.domain.sale import (
    AccompanimentBooking,
    AccompanimentOutcome,
    CancellationRequest,
    HandoverRequest,
    Sale,
    SaleRequest,
    WarrantyClaimRequest,
)

app = ServiceApi("sales", ROUTES)
# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(SalesRepository)


def _view(sale: Sale) -> dict[str, Any]:
    return sale.model_dump(mode="json", exclude={"version"})


def _own_sale(sale_id: str) -> Sale:
    sale = repository().get_sale(sale_id)
    app.require_reach(sale_ownership(sale) if sale else None, f"no sale {sale_id}")
    return sale


def _sellable_reservation(device_id: str) -> dict[str, Any]:
    """The device's active reservation, if it is of the caller's territory (else: no such reservation)."""
    reservation = repository().active_reservation(device_id)
    app.require_reach(reservation_ownership(reservation) if reservation else None,
                      f"device {device_id} has no active reservation")
    return reservation


@app.get("/health")
def health() -> dict[str, str]:
    return {"service": "sales", "status": "ok"}


@app.get("/price-grid")
def get_price_grid() -> dict[str, Any]:
    grid, version = repository().price_grid()
    return {"version": version, **grid.model_dump(mode="json")}


@app.put("/price-grid")
def put_price_grid(grid: PriceGrid) -> dict[str, Any]:
    admin = app.partner()
    _, version = repository().price_grid()
    new_version = repository().save_price_grid(grid, version, admin.partner_id)
    return {"version": new_version, **grid.model_dump(mode="json")}


@app.get("/quotes/<device_id>")
def get_quote(device_id: str) -> dict[str, Any]:
    reservation = _sellable_reservation(device_id)
    return {"device_id": device_id, "reservation_id": reservation["reservation_id"],
            "price_eur": str(checkout.price_of(repository(), reservation))}


@app.post("/sales", status_code=201)
@app.replayable
def sell(request: SaleRequest):
    point_of_sale = app.partner()
    _sellable_reservation(request.device_id)
    sale = checkout.sell(repository(), request, point_of_sale.partner_id, app.correlation_id())
    return json_response(201, _view(sale))


@app.get("/sales/<sale_id>")
def get_sale(sale_id: str) -> dict[str, Any]:
    return _view(_own_sale(sale_id))


@app.post("/sales/<sale_id>/cancellation")
@app.replayable
def cancel(sale_id: str, request: CancellationRequest) -> dict[str, Any]:
    return _view(checkout.cancel(repository(), _own_sale(sale_id), request, app.correlation_id()))


@app.post("/sales/<sale_id>/handover")
@app.replayable
def hand_over(sale_id: str, request: HandoverRequest) -> dict[str, Any]:
    return _view(checkout.hand_over(repository(), _own_sale(sale_id), request.handed_over_on, app.correlation_id()))


@app.post("/sales/<sale_id>/accompaniment")
@app.replayable
def book_accompaniment(sale_id: str, booking: AccompanimentBooking) -> dict[str, Any]:
    return _view(checkout.book_accompaniment(repository(), _own_sale(sale_id), booking))


@app.post("/sales/<sale_id>/accompaniment/outcome")
@app.replayable
def record_accompaniment(sale_id: str, outcome: AccompanimentOutcome) -> dict[str, Any]:
    return _view(checkout.record_accompaniment(repository(), _own_sale(sale_id), outcome.attended))


@app.post("/sales/<sale_id>/warranty-claims", status_code=201)
@app.replayable
def open_warranty_claim(sale_id: str, claim: WarrantyClaimRequest):
    today = clock.today()
    body = checkout.open_warranty_claim(repository(), _own_sale(sale_id), claim, today, app.correlation_id())
    return json_response(201, body)


@app.get("/figures")
def get_figures(since: date, until: date | None = None) -> dict[str, Any]:
    """Sales per point of sale and beneficiary category, revenue, rates (administrators see all)."""
    partner = app.partner()
    until = until or clock.today()
    if until < since:
        raise InvalidInput(f"until: {until} is before since ({since}): say the first day, then the last")
    sales = repository().sales_between(since.isoformat(), until.isoformat())
    if partner.role is not Role.ADMIN:
        sales = [s for s in sales if s.point_of_sale_id == partner.partner_id]
    return {"since": since.isoformat(), "until": until.isoformat(), **sales_figures(sales).model_dump(mode="json")}


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
