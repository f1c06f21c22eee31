"""Sales' partner endpoints (points of sale; administrators for the price grid), under /sales."""

from __future__ import annotations

import functools

from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared import clock
from shared.errors import InvalidInput, NotFound
from shared.http import ServiceApi, json_response
from shared.labels import normalize_label_code
from shared.observability import entry_point
from shared.paging import DEFAULT_LIMIT, Cursor, Limit
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
from sales.views import FiguresReport, OpenedClaim, PublishedGrid, Quote, SalesPage, json_content

SaleId = Annotated[str, Path(description="The sale's id (POST /sales answered it)")]
DeviceId = Annotated[str, Path(description="The reserved device's id")]
LabelCode = Annotated[str, Path(description="The code on the device's label, as typed or read from its QR code "
                                            "(case, spaces, dashes and O/I/L misread as 0/1/1 are forgiven)")]
Since = Annotated[date, Query(description="The first day of the period (UTC), included")]
Until = Annotated[date | None, Query(description="The last day of the period (UTC), included; today if absent")]

app = ServiceApi("sales", ROUTES)
# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(SalesRepository)


SALE = {200: json_content(Sale, "The sale as it now stands")}
QUOTE = {200: json_content(Quote, "The reserved device and its price")}
RECEIPT = {200: {"description": "The receipt, a one-page PDF", "content": {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
PointOfSaleId = Annotated[str | None, Query(max_length=128, description="The point of sale whose sales to list "
                                                                        "(administrators only: a point of sale "
                                                                        "lists its own)")]


def _view(sale: Sale) -> dict[str, Any]:
    return sale.model_dump(mode="json")


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


@app.get("/price-grid", responses={200: json_content(PublishedGrid, "The grid in force")})
def get_price_grid() -> dict[str, Any]:
    grid, version = repository().price_grid()
    return {"version": version, **grid.model_dump(mode="json")}


@app.put("/price-grid", responses={200: json_content(PublishedGrid, "The new grid, in force")})
def put_price_grid(grid: PriceGrid) -> dict[str, Any]:
    admin = app.partner()
    _, version = repository().price_grid()
    new_version = repository().save_price_grid(grid, version, admin.partner_id)
    return {"version": new_version, **grid.model_dump(mode="json")}


def _quote(reservation: dict[str, Any], label_code: str | None = None) -> dict[str, Any]:
    label_code = label_code or repository().label_of_device(reservation["device_id"])
    return Quote.of(reservation, checkout.price_of(repository(), reservation), label_code).model_dump(mode="json")


@app.get("/quotes/<device_id>", responses=QUOTE)
def get_quote(device_id: DeviceId) -> dict[str, Any]:
    return _quote(_sellable_reservation(device_id))


@app.get("/quotes/by-label/<label_code>", responses=QUOTE)
def get_quote_by_label(label_code: LabelCode) -> dict[str, Any]:
    """The quote of the device whose label a volunteer reads (typed, or from the label's QR code):
    read as intake prints it, whatever the case, spaces or dashes ('sv 7k2m q9tx')."""
    code = normalize_label_code(label_code)
    device_id = repository().device_of_label(code)
    if device_id is None:
        raise NotFound(f"no reserved device labelled {code}")
    reservation = repository().active_reservation(device_id)
    app.require_reach(reservation_ownership(reservation) if reservation else None,
                      f"no reserved device labelled {code}")
    return _quote(reservation, code)


@app.get("/sales", responses={200: json_content(SalesPage, "A page of sales, the newest first")})
def list_sales(point_of_sale_id: PointOfSaleId = None, cursor: Cursor = None,
               limit: Limit = DEFAULT_LIMIT) -> dict[str, Any]:
    """The caller's sales, the newest first, to come back to one (handover, accompaniment, warranty)."""
    caller = app.partner()
    if caller.role is not Role.ADMIN:
        point_of_sale_id = caller.partner_id  # a point of sale lists its own, whatever it names
    elif not point_of_sale_id:
        raise InvalidInput("point_of_sale_id: name the point of sale whose sales to list")
    return repository().sales_page_of(point_of_sale_id, cursor, limit).body(_view)


@app.post("/sales", status_code=201, responses={201: json_content(Sale, "Sold: the sale with its receipt number")})
@app.replayable
def sell(request: SaleRequest):
    point_of_sale = app.partner()
    _sellable_reservation(request.device_id)
    sale = checkout.sell(repository(), request, point_of_sale.partner_id, app.correlation_id())
    return json_response(201, _view(sale))


@app.get("/sales/<sale_id>", responses=SALE)
def get_sale(sale_id: SaleId) -> dict[str, Any]:
    return _view(_own_sale(sale_id))


@app.get("/sales/<sale_id>/receipt", responses=RECEIPT)
def get_receipt(sale_id: SaleId):
    """The receipt to print or hand over; after the handover it also says when the warranty ends."""
    sale = _own_sale(sale_id)
    # ReportLab takes about half a second to import: only a receipt request pays for it.
    from sales.adapters.receipt_pdf import receipt_filename, render_receipt

    # bytes: Powertools sends them base64-encoded (isBase64Encoded), the HTTP API decodes them.
    return Response(status_code=200, content_type="application/pdf", body=render_receipt(sale),
                    headers={"Content-Disposition": f'inline; filename="{receipt_filename(sale)}"'})


@app.post("/sales/<sale_id>/cancellation", responses=SALE)
@app.replayable
def cancel(sale_id: SaleId, request: CancellationRequest) -> dict[str, Any]:
    return _view(checkout.cancel(repository(), _own_sale(sale_id), request, app.correlation_id()))


@app.post("/sales/<sale_id>/handover", responses=SALE)
@app.replayable
def hand_over(sale_id: SaleId, request: HandoverRequest) -> dict[str, Any]:
    return _view(checkout.hand_over(repository(), _own_sale(sale_id), request.handed_over_on, app.correlation_id()))


@app.post("/sales/<sale_id>/accompaniment", responses=SALE)
@app.replayable
def book_accompaniment(sale_id: SaleId, booking: AccompanimentBooking) -> dict[str, Any]:
    return _view(checkout.book_accompaniment(repository(), _own_sale(sale_id), booking))


@app.post("/sales/<sale_id>/accompaniment/outcome", responses=SALE)
@app.replayable
def record_accompaniment(sale_id: SaleId, outcome: AccompanimentOutcome) -> dict[str, Any]:
    return _view(checkout.record_accompaniment(repository(), _own_sale(sale_id), outcome.attended))


@app.post("/sales/<sale_id>/warranty-claims", status_code=201,
          responses={201: json_content(OpenedClaim, "Opened: the device goes back to the workshop")})
@app.replayable
def open_warranty_claim(sale_id: SaleId, claim: WarrantyClaimRequest):
    today = clock.today()
    body = checkout.open_warranty_claim(repository(), _own_sale(sale_id), claim, today, app.correlation_id())
    return json_response(201, body)


@app.get("/figures", responses={200: json_content(FiguresReport, "The period's figures")})
def get_figures(since: Since, until: Until = None) -> dict[str, Any]:
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
