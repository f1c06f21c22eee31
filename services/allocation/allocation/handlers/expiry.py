"""Allocation's schedule (template.yaml: AllocationExpiryFunction, every minute).

Releases the reservations whose hold passed (ReservationReleased, reason "expired"; the
referral expires), and matches again the devices back in the pool and those whose
territory window ended. Each run handles at most `reservations.SWEEP_BATCH` of each; the
next run continues.
"""

from __future__ import annotations

import functools

from datetime import datetime, timezone
from typing import Any

from shared.observability import entry_point, logger

from allocation import reservations
from allocation.adapters.repository import AllocationRepository

# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(AllocationRepository)


def now() -> datetime:
    return datetime.now(timezone.utc)


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    summary = reservations.sweep(repository(), now())
    logger.info("sweep done", extra=summary)
    return summary
