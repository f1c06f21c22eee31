"""Sales' retention job (template.yaml: SalesRetentionFunction, once a day).

Forgets the reservations (and their sales' free text) that ended more than `RETENTION_MONTHS`
months ago (template parameter `BeneficiaryRetentionMonths`): see `sales.forgetting`. It stops
a little before its timeout; the next run continues. Logs counts only.
"""

from __future__ import annotations

import functools
import os

from datetime import datetime, timezone
from typing import Any

from shared.observability import entry_point, logger
from shared.retention import months_before

from sales import forgetting
from sales.adapters.repository import SalesRepository

# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(SalesRepository)
SAFETY_MARGIN_MS = 20_000


def now() -> datetime:
    return datetime.now(timezone.utc)


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    at = now()
    cutoff = months_before(at, int(os.environ["RETENTION_MONTHS"]))
    summary = forgetting.forget_ended_reservations(
        repository(), at, cutoff, time_left=lambda: context.get_remaining_time_in_millis() > SAFETY_MARGIN_MS)
    logger.info("retention done", extra=summary)
    return summary
