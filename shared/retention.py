"""Retention periods are counted in calendar months (a template parameter, `BeneficiaryRetentionMonths`)."""

from __future__ import annotations

import calendar
from datetime import datetime


def months_before(at: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the month's last day if it is shorter)."""
    if months < 0:
        raise ValueError("a retention period cannot be negative")
    index = at.year * 12 + (at.month - 1) - months
    year, month = divmod(index, 12)
    day = min(at.day, calendar.monthrange(year, month + 1)[1])
    return at.replace(year=year, month=month + 1, day=day)
