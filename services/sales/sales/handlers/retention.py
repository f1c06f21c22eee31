"""Sales' retention job (template.yaml: SalesRetentionFunction, once a day).

Forgets the reservations (and their sales' free text) that ended more than `RETENTION_MONTHS`
months ago (template parameter `BeneficiaryRetentionMonths`): see `sales.forgetting`. It stops
a little before its timeout; the next run continues. Logs counts only.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Any

from shared.observability import entry_point
from shared.retention import run_retention_job

from sales import forgetting
from sales.adapters.repository import SalesRepository

# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(SalesRepository)


def now() -> datetime:
    return datetime.now(timezone.utc)


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    def forget(at: datetime, cutoff: datetime, time_left) -> dict[str, int]:
        return forgetting.forget_ended_reservations(repository(), at, cutoff, time_left=time_left)

    return run_retention_job(forget, now(), context)
