"""A workshop's figures: what it finished per day, how long each step takes, how much it scraps."""

from __future__ import annotations

from datetime import date, datetime, timezone

from refurb.domain.figures import ClosedOrder, workshop_figures


def closed(day: int, outcome: str = "ready", kind: str = "refurbishment", **durations: float) -> ClosedOrder:
    return ClosedOrder(device_id=f"dev-{day}-{outcome}-{len(durations)}", kind=kind, outcome=outcome,
                       closed_at=datetime(2026, 11, day, 15, tzinfo=timezone.utc), durations=durations)


def test_devices_per_day_counts_ready_devices_over_every_day_of_the_period():
    figures = workshop_figures("w", [closed(2), closed(2), closed(4), closed(4, "scrapped")],
                               date(2026, 11, 1), date(2026, 11, 4))
    assert figures["devices_per_day"] == 0.75  # 3 ready over 4 days, idle days included
    assert figures["per_day"][1] == {"date": "2026-11-02", "ready": 2, "scrapped": 0}
    assert figures["per_day"][3] == {"date": "2026-11-04", "ready": 1, "scrapped": 1}
    assert figures["scrap_rate"] == 0.25


def test_the_median_time_of_each_step():
    orders = [closed(2, diagnosis=600, erasure=3600), closed(2, diagnosis=1200, erasure=7200),
              closed(3, diagnosis=60_000, erasure=5400), closed(3, "scrapped", diagnosis=900)]
    figures = workshop_figures("w", orders, date(2026, 11, 1), date(2026, 11, 3))
    assert figures["median_seconds_per_step"] == {"diagnosis": 1050, "erasure": 5400}  # one slow device weighs little


def test_warranty_repairs_are_counted_apart():
    figures = workshop_figures("w", [closed(2), closed(2, kind="warranty", repair=60, ready=60)],
                               date(2026, 11, 2), date(2026, 11, 2))
    assert (figures["devices_ready"], figures["warranty_repairs"], figures["median_seconds_per_step"]) == (1, 1, {})


def test_a_period_without_closed_orders_has_no_scrap_rate():
    figures = workshop_figures("w", [], date(2026, 11, 2), date(2026, 11, 2))
    assert (figures["devices_per_day"], figures["scrap_rate"], figures["per_day"]) == (
        0.0, None, [{"date": "2026-11-02", "ready": 0, "scrapped": 0}])


def test_the_cli_prints_the_figures_for_people():
    from devtools.workshop_figures import render

    figures = workshop_figures("workshop-rennes", [closed(2, diagnosis=1500, erasure=11_100), closed(2, "scrapped")],
                               date(2026, 11, 1), date(2026, 11, 4))
    text = render(figures)
    assert "devices ready      1  (0.25 per day)" in text
    assert "scrap rate 50.0%" in text
    assert "diagnosis     25 min" in text and "erasure       3 h 05" in text
    assert "2026-11-02  1 / 1" in text and "2026-11-01" not in text.split("per day")[-1]
