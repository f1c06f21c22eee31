"""Retention periods are counted in calendar months (a template parameter, `BeneficiaryRetentionMonths`)."""

from __future__ import annotations

import calendar
import os
from datetime import datetime
from typing import Any, Callable

from shared.observability import logger

# A run stops this long before its function's timeout; the next day's run continues from there.
SAFETY_MARGIN_MS = 20_000

Forget = Callable[..., dict[str, int]]
"""`forget(at, cutoff, time_left=...)`: forgets what ended before `cutoff`, returns counts."""


def months_before(at: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the month's last day if it is shorter)."""
    if months < 0:
        raise ValueError("a retention period cannot be negative")
    index = at.year * 12 + (at.month - 1) - months
    year, month = divmod(index, 12)
    day = min(at.day, calendar.monthrange(year, month + 1)[1])
    return at.replace(year=year, month=month + 1, day=day)


def run_retention_job(forget: Forget, at: datetime, context: Any) -> dict[str, int]:
    """One scheduled run: forget what ended more than `RETENTION_MONTHS` months before `at`,
    while the invocation has time left; log and return counts only."""
    cutoff = months_before(at, int(os.environ["RETENTION_MONTHS"]))
    summary = forget(at, cutoff, time_left=lambda: context.get_remaining_time_in_millis() > SAFETY_MARGIN_MS)
    logger.info("retention done", extra=summary)
    return summary
