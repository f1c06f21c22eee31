"""Allocation's unit-test fixtures: its table as the template declares it, a clock every entry point
reads, a registered referral partner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from allocation.handlers import api, consumer, expiry, retention
from allocation.kept_pool import forget_kept_pools
from tests.unit.allocation.helpers import register_partner
from tests.unit.support import T0, create_declared_table


@pytest.fixture
def table(dynamodb) -> str:
    return create_declared_table(dynamodb, "AllocationTable")


@dataclass
class Clock:
    now: datetime

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Iterator[Clock]:
    """The time every allocation entry point sees (API, consumer, schedule): T0 unless a test moves it."""
    clock = Clock(T0)
    for module in (api, consumer, expiry, retention):
        monkeypatch.setattr(module, "now", lambda: clock.now)
    expiry.repository.cache_clear()
    retention.repository.cache_clear()
    forget_kept_pools()  # each test's table is new: no function has read its waiting pool yet
    yield clock
    expiry.repository.cache_clear()
    retention.repository.cache_clear()
    forget_kept_pools()


@pytest.fixture
def partner(table) -> dict:
    """The unit tests' referrer, registered by an administrator for territory 35."""
    response = register_partner()
    assert response.status == 201, response.body
    return response.body
