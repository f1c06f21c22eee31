"""Allocation's retention job (template.yaml: AllocationRetentionFunction, once a day).

Forgets the referrals fulfilled, cancelled or expired more than `RETENTION_MONTHS` months ago
(template parameter `BeneficiaryRetentionMonths`): see `allocation.forgetting`. It stops a
little before its timeout; the next run continues where it stopped. Logs counts only.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Any

from shared.observability import entry_point
from shared.retention import run_retention_job

from allocation import forgetting
from allocation.adapters.repository import AllocationRepository

# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(AllocationRepository)


def now() -> datetime:
    return datetime.now(timezone.utc)


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    def forget(at: datetime, cutoff: datetime, time_left) -> dict[str, int]:
        return forgetting.forget_closed_referrals(repository(), at, cutoff, time_left=time_left)

    return run_retention_job(forget, now(), context)
