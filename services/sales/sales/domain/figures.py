"""Sales figures for the association and its points of sale: pure arithmetic over sales."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from pydantic import BaseModel

from sales.domain.sale import Sale, SaleStatus


class Figures(BaseModel):
    sales: int
    cancelled: int
    revenue_eur: Decimal
    average_price_eur: Decimal | None
    handover_rate: float | None
    accompaniment_booked_rate: float | None
    accompaniment_attended_rate: float | None


class SalesFigures(BaseModel):
    overall: Figures
    by_point_of_sale: dict[str, Figures]
    by_category: dict[str, Figures]


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
