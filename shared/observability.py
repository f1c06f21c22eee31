"""Powertools Logger, and the count of AWS requests each invocation makes.

Tracing is Lambda's own (the template's `TracingMode`, decision 34); Powertools' Tracer would add
the X-Ray SDK to every function for spans we do not use yet.
"""

from __future__ import annotations

import functools
import os
import time
from collections import Counter
from typing import Any, Callable

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from shared.capacity import capacity_units, count_capacity

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "seconde-vie")

logger = Logger(service=SERVICE_NAME)

# Lambda context keys Powertools adds to every line that its log group already says (the group is
# /aws/lambda/<function name>; the memory is in the REPORT line): CloudWatch bills each byte
# ingested. The request id and the cold start stay: they tie a line to its invocation.
_KEYS_THE_LOG_GROUP_SAYS = ("function_name", "function_arn", "function_memory_size")

# Operations the current invocation sent to AWS, by "service.Operation" (a botocore hook).
aws_requests: Counter[str] = Counter()


def _count_request(model, **_: Any) -> None:
    aws_requests[f"{model.service_model.service_name}.{model.name}"] += 1


def counted(client):
    """Count every request this boto3 client makes (see `aws_requests`), and the DynamoDB
    capacity units they use (see `shared.capacity`)."""
    client.meta.events.register("before-call.*.*", _count_request)
    count_capacity(client)
    return client


def _trigger(event: dict) -> str:
    """What started an invocation, for its closing log line: 'GET /intake/…', 'sqs x3', …"""
    http = (event.get("requestContext") or {}).get("http")
    if http:
        return f"{http.get('method')} {event.get('rawPath')}"
    records = event.get("Records") or []
    source = records[0].get("eventSource", "?").split(":")[-1] if records else "direct"
    return f"{source} x{len(records)}"


class InvalidData(ValueError):
    """Data that failed validation, described by field and problem, without the values."""


def without_values(error: ValidationError) -> InvalidData:
    """pydantic's own message quotes each bad value (`input_value=...`), and a failing invocation's
    error is logged: a note or a name must not reach the logs that way."""
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                         for e in error.errors(include_url=False, include_input=False, include_context=False))
    return InvalidData(f"{error.error_count()} invalid field(s) in {error.title}: {problems}")


def entry_point(handler: Callable[[dict, Any], Any]) -> Callable[[dict, Any], Any]:
    """A Lambda handler with Powertools' context logging and a closing line counting AWS requests,
    DynamoDB capacity units and the handler's duration.

    The event itself is never logged (`log_event=False` whatever POWERTOOLS_LOGGER_LOG_EVENT says):
    it holds request bodies, and so notes a person typed."""

    @functools.wraps(handler)
    @logger.inject_lambda_context(clear_state=True, log_event=False)
    def wrapped(event: dict, context: Any) -> Any:
        logger.remove_keys(_KEYS_THE_LOG_GROUP_SAYS)  # added again by each injection of the context
        aws_requests.clear()
        capacity_units.clear()
        started = time.perf_counter()
        try:
            return handler(event, context)
        except ValidationError as error:
            raise without_values(error) from None
        finally:
            logger.info("invocation finished", extra={
                "trigger": _trigger(event),
                "aws_requests": sum(aws_requests.values()),
                "aws_operations": dict(aws_requests),
                "dynamodb_units": {"read": capacity_units["read"], "write": capacity_units["write"]},
                # what Lambda bills by (GB-seconds); benchmarks/cost_model.py prices it
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            })

    return wrapped
