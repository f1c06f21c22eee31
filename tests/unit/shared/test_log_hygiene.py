"""What a function writes to its logs never holds a request body or a value someone typed:
not the event (whatever POWERTOOLS_LOGGER_LOG_EVENT says), not a validation error's input."""

from __future__ import annotations

import io
import json
import logging
import traceback

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from pydantic import BaseModel

from sales.handlers import api as sales_api
from shared.consumer import EventConsumer
from shared.events.intake import DeviceReceived
from shared.observability import InvalidData, entry_point, logger
from tests.unit.support import LambdaContext, call, device_received, http_event, sqs_batch, sqs_record

MARKER = "Zephirine Quillebeuf"


@pytest.fixture
def function_log():
    """What the functions' Powertools logger writes, formatted as in Lambda (JSON lines)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_the_event_is_not_logged_even_when_the_environment_asks_for_it(table, monkeypatch, function_log):
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    handler = entry_point(lambda event, context: {"statusCode": 200})

    handler(http_event("POST", "/sales/sales/s-1/cancellation", "point_of_sale", {"reason": MARKER}), LambdaContext())

    assert "invocation finished" in function_log.getvalue()  # the function did log
    assert MARKER not in function_log.getvalue()


def test_a_validation_error_escaping_a_handler_names_fields_not_values():
    class Note(BaseModel):
        claim_id: int

    def handler(event, context):
        Note(claim_id=MARKER)

    with pytest.raises(InvalidData) as raised:
        entry_point(handler)({}, LambdaContext())

    logged = "".join(traceback.format_exception(raised.value))
    assert "claim_id" in str(raised.value)
    assert MARKER not in logged


def test_a_batch_of_events_that_break_their_contract_fails_without_quoting_them(table, function_log):
    consumer = EventConsumer({DeviceReceived: lambda event, envelope: None})
    envelope = device_received("dev-1").to_envelope()
    broken = json.loads(envelope.model_dump_json()) | {"correlation_id": MARKER}

    with pytest.raises(BatchProcessingError) as raised:  # every record failed: the batch is raised
        entry_point(consumer.lambda_handler)(sqs_batch(sqs_record(broken, "m-1")), LambdaContext())

    assert "correlation_id" in str(raised.value)
    assert MARKER not in str(raised.value) + "".join(traceback.format_exception(raised.value))
    assert "invocation finished" in function_log.getvalue()
    assert MARKER not in function_log.getvalue()


def test_a_correlation_id_that_is_not_an_id_is_refused_without_echoing_it(table):
    response = call(sales_api.handler, "POST", "/sales/sales", "point_of_sale",
                    {"device_id": "dev-1", "payments": [{"method": "cash", "amount_eur": "90.00"}]},
                    headers={"x-correlation-id": MARKER})
    assert response.status == 400
    assert "X-Correlation-Id must be an id" in response.body["message"]
    assert MARKER not in json.dumps(response.body)
