"""Sales figures for the association and its points of sale: pure arithmetic over sales."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from pydantic import BaseModel, Field

from sales.domain.sale import Sale, SaleStatus


class Figures(BaseModel):
    """Counts and rates over a set of sales (cancelled sales count only in `cancelled`)."""

    sales: int = Field(description="Sales not cancelled")
    cancelled: int = Field(description="Sales cancelled and refunded")
    revenue_eur: Decimal = Field(description="What the sales not cancelled brought in (euros)")
    average_price_eur: Decimal | None = Field(description="Revenue per sale; null without sales")
    handover_rate: float | None = Field(description="Share of the sales handed over (0–1); null without sales")
    accompaniment_booked_rate: float | None = Field(description="Share of the sales with an accompaniment "
                                                                "session booked (0–1)")
    accompaniment_attended_rate: float | None = Field(description="Share of the booked sessions the buyer came "
                                                                  "to (0–1); null when none was booked")


class SalesFigures(BaseModel):
    """Sales figures of a period."""

    overall: Figures = Field(description="Every sale of the period the caller sees")
    by_point_of_sale: dict[str, Figures] = Field(description="By point of sale id")
    by_category: dict[str, Figures] = Field(description="By the buyers' beneficiary category")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures_of(sales: list[Sale]) -> Figures:
    kept = [s for s in sales if s.status is not SaleStatus.CANCELLED]
    revenue = sum((s.price_eur for s in kept), Decimal("0"))
    booked = [s for s in kept if s.accompaniment is not None]
    return Figures(
        sales=len(kept),
        cancelled=len(sales) - len(kept),
        revenue_eur=revenue,
        average_price_eur=(revenue / len(kept)).quantize(Decimal("0.01")) if kept else None,
        handover_rate=_rate(sum(s.status is SaleStatus.HANDED_OVER for s in kept), len(kept)),
        accompaniment_booked_rate=_rate(len(booked), len(kept)),
        accompaniment_attended_rate=_rate(sum(s.accompaniment_attended is True for s in booked), len(booked)),
    )


def sales_figures(sales: list[Sale]) -> SalesFigures:
    by_pos: dict[str, list[Sale]] = defaultdict(list)
    by_category: dict[str, list[Sale]] = defaultdict(list)
    for sale in sales:
        by_pos[sale.point_of_sale_id].append(sale)
        by_category[sale.beneficiary_category or "unknown"].append(sale)
    return SalesFigures(
        overall=figures_of(sales),
        by_point_of_sale={k: figures_of(v) for k, v in sorted(by_pos.items())},
        by_category={k: figures_of(v) for k, v in sorted(by_category.items())},
    )
