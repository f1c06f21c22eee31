"""Sales' tests run on sales' table as the template declares it: its index holds keys only."""

from __future__ import annotations

import pytest

from tests.unit.support import create_declared_table


@pytest.fixture
def table(dynamodb) -> str:
    return create_declared_table(dynamodb, "SalesTable")
