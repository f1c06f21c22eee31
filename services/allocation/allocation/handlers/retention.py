"""Allocation's retention job (template.yaml: AllocationRetentionFunction, once a day).

Forgets the referrals fulfilled, cancelled or expired more than `RETENTION_MONTHS` months ago
(template parameter `BeneficiaryRetentionMonths`): see `allocation.forgetting`. It stops a
little before its timeout; the next run continues where it stopped. Logs counts only.
"""

from __future__ import annotations

import functools
import os

from datetime import datetime, timezone
from typing import Any

from shared.observability import entry_point, logger
from shared.retention import months_before

from allocation import forgetting
from allocation.adapters.repository import AllocationRepository

# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(AllocationRepository)
SAFETY_MARGIN_MS = 20_000


def now() -> datetime:
    return datetime.now(timezone.utc)


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    at = now()
    cutoff = months_before(at, int(os.environ["RETENTION_MONTHS"]))
    summary = forgetting.forget_closed_referrals(
        repository(), at, cutoff, time_left=lambda: context.get_remaining_time_in_millis() > SAFETY_MARGIN_MS)
    logger.info("retention done", extra=summary)
    return summary
