"""Unit-test fixtures: an in-process AWS (moto) with the service table of template.yaml.

Every test starts from a clean slate: fresh boto3 clients created inside the mock (the
process-wide clients are lru_cached), no repository kept from a previous test in the
handler modules, and no idempotency layer bound to a previous test's table.
"""

from __future__ import annotations

import importlib

import boto3
import pytest
from moto import mock_aws

import dead_letter_queues
import shared.consumer
import shared.dead_letters
import shared.dynamo
import shared.publisher
from tests.unit.support import EVENT_BUS_NAME, REGION, TABLE_NAME, create_table

HANDLER_MODULES = [
    f"{service}.handlers.{kind}"
    for service in ("intake", "refurb", "allocation", "sales")
    for kind in ("api", "consumer")
]


# Held here: a test may monkeypatch the module attribute with a fake client factory.
_CACHED_CLIENTS = (shared.dynamo.dynamodb_client, shared.publisher.events_client, shared.consumer.sqs_client,
                   shared.dead_letters.sqs_client, dead_letter_queues.sqs_client)


def _clear_client_caches() -> None:
    for factory in _CACHED_CLIENTS:
        factory.cache_clear()


@pytest.fixture(autouse=True)
def unit_env(monkeypatch):
    """Fake credentials and region; never an endpoint that would bypass the mock."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_EVENTBRIDGE",
                 "AWS_PROFILE", "AWS_SESSION_TOKEN", "POWERTOOLS_IDEMPOTENCY_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    monkeypatch.setenv("EVENT_BUS_NAME", EVENT_BUS_NAME)
    _clear_client_caches()
    yield
    _clear_client_caches()


@pytest.fixture(autouse=True)
def fresh_handler_state(monkeypatch):
    """Handler modules keep their repository (and their idempotency layer) per process."""
    modules = [importlib.import_module(name) for name in HANDLER_MODULES]
    for module in modules:
        module.repository.cache_clear()
        app = getattr(module, "app", None)
        if app is not None and hasattr(app, "_replay_once"):
            monkeypatch.setattr(app, "_replay_once", None)
        consumer = getattr(module, "consumer", None)
        if consumer is not None:
            monkeypatch.setattr(consumer, "_handle_once", None)
    yield
    for module in modules:
        module.repository.cache_clear()


@pytest.fixture
def aws():
    # A fresh, empty AWS per test; boto3's default session (its loaded service models) is kept
    # between tests, which makes creating each test's clients much cheaper.
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        _clear_client_caches()
        yield
        _clear_client_caches()


@pytest.fixture
def dynamodb(aws):
    # The services' own client, created inside this test's mock (one client per test keeps the suite fast).
    return shared.dynamo.dynamodb_client()


@pytest.fixture
def table(dynamodb) -> str:
    return create_table(dynamodb)


@pytest.fixture
def events(aws):
    return boto3.client("events", region_name=REGION)
