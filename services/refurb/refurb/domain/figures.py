"""A workshop's figures over a period: devices per day, median time per step, scrap rate."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class ClosedOrder:
    """One work order the workshop closed: its outcome and how long each step took (seconds)."""

    device_id: str
    kind: str  # refurbishment / warranty
    outcome: str  # ready / scrapped
    closed_at: datetime
    durations: dict[str, float]


def workshop_figures(workshop_id: str, closed: list[ClosedOrder], since: date, until: date) -> dict:
    """Refurbishments and warranty repairs are counted apart: a warranty repair is a short
    repair → ready cycle that would flatter the medians and the throughput."""
    refurbished = [c for c in closed if c.kind == "refurbishment"]
    ready = [c for c in refurbished if c.outcome == "ready"]
    scrapped = [c for c in refurbished if c.outcome == "scrapped"]
    days = (until - since).days + 1
    per_day = []
    for offset in range(days):
        day = since + timedelta(days=offset)
        on_day = [c for c in refurbished if c.closed_at.date() == day]
        per_day.append({"date": day.isoformat(),
                        "ready": sum(c.outcome == "ready" for c in on_day),
                        "scrapped": sum(c.outcome == "scrapped" for c in on_day)})
    steps: dict[str, list[float]] = {}
    for order in refurbished:
        for step, seconds in order.durations.items():
            steps.setdefault(step, []).append(seconds)
    return {
        "workshop_id": workshop_id,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "devices_ready": len(ready),
        "devices_scrapped": len(scrapped),
        "devices_per_day": round(len(ready) / days, 2),
        "scrap_rate": round(len(scrapped) / len(refurbished), 3) if refurbished else None,
        "median_seconds_per_step": {step: round(statistics.median(values)) for step, values in steps.items()},
        "warranty_repairs": sum(c.kind == "warranty" and c.outcome == "ready" for c in closed),
        "per_day": per_day,
    }
