"""The platform's calendar: one "today" for every service, whatever the host's time zone.

Dates a partner sees (a sale's day, a handover, a warranty's end, a period of figures) are
compared across services and machines, so they all come from UTC here rather than from the
local clock of whichever host runs the code (a test runner west of Greenwich once dated a
handover the day before its sale). docs/architecture.md, decision 17.
"""

from __future__ import annotations

from datetime import date, datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def today() -> date:
    return now().date()
