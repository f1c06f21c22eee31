"""A message that keeps failing reaches its dead-letter queue carrying why it failed.

SQS keeps no error: a message its queue moves to the dead-letter queue after `maxReceiveCount`
deliveries says nothing about what went wrong. So on the last delivery the queue allows
(`ApproximateReceiveCount` = `MAX_RECEIVE_COUNT`, the template's `ConsumerMaxReceiveCount`), a
failing record is sent to the dead-letter queue by the consumer itself, with message attributes
naming the event, the error and the delivery count, and reported as handled so the queue
deletes it. If that send fails, the record fails as before and the queue's own redrive still
moves it, without the attributes: never dropped (docs/operations.md).

The attributes carry ids, a type, an error class and a short message, never the message body:
an error message that looks like personal data is withheld (shared/personal_data.py).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any, Callable

import boto3
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared import clock
from pydantic import ValidationError

from shared.observability import counted, logger, without_values
from shared.personal_data import find_personal_data

ERROR_MESSAGE_LENGTH = 200

# Message attributes of a dead letter the consumer sent itself (SQS allows at most 10).
EVENT_ID, EVENT_TYPE = "event_id", "event_type"
ERROR, ERROR_MESSAGE, RECEIVE_COUNT, FAILED_AT = "error", "error_message", "receive_count", "failed_at"
FAILURE_ATTRIBUTES = (EVENT_ID, EVENT_TYPE, ERROR, ERROR_MESSAGE, RECEIVE_COUNT, FAILED_AT)

# What a message is, for the attributes and the operators' view: (event id, event type).
Identify = Callable[[str], tuple[str, str]]


@lru_cache(maxsize=None)
def sqs_client():
    return counted(boto3.client("sqs"))


def identify_bus_event(body: str) -> tuple[str, str]:
    """A bus event's domain event id and type, read from its envelope without trusting it."""
    try:
        detail = json.loads(body)["detail"]
        return str(detail["event_id"])[:128], str(detail["event_type"])[:64]
    except (ValueError, KeyError, TypeError):
        return "unreadable", "unreadable"


def short_error(error: BaseException) -> str:
    """The error's message, cut short, or withheld if it looks like personal data. pydantic's own
    message quotes the invalid values: it is replaced by the fields and problems only."""
    if isinstance(error, ValidationError):
        error = without_values(error)
    message = " ".join(str(error).split())[:ERROR_MESSAGE_LENGTH]
    what = find_personal_data(message)
    return f"(withheld: looks like {what})" if what else message


def failure_attributes(error: BaseException, event_id: str, event_type: str, receive_count: int) -> dict[str, Any]:
    facts = {EVENT_ID: event_id, EVENT_TYPE: event_type, ERROR: type(error).__name__,
             ERROR_MESSAGE: short_error(error) or "-", RECEIVE_COUNT: str(receive_count),
             FAILED_AT: clock.now().isoformat(timespec="seconds")}
    return {name: {"DataType": "String", "StringValue": value} for name, value in facts.items()}


def max_receive_count() -> int | None:
    value = os.environ.get("MAX_RECEIVE_COUNT")
    return int(value) if value else None


def receive_count(record: SQSRecord) -> int:
    return int(record.attributes.approximate_receive_count or 0)


def dead_letter_on_last_delivery(handle: Callable[[SQSRecord], None], identify: Identify
                                 ) -> Callable[[SQSRecord], None]:
    """`handle`, except that a record failing on its last allowed delivery goes to the dead-letter
    queue (`DEAD_LETTER_QUEUE_URL`) with its failure's attributes instead of failing once more."""

    def handle_record(record: SQSRecord) -> None:
        try:
            handle(record)
        except Exception as error:
            limit, count = max_receive_count(), receive_count(record)
            if limit is None or count < limit or not os.environ.get("DEAD_LETTER_QUEUE_URL"):
                raise
            event_id, event_type = identify(record.body)
            attributes = failure_attributes(error, event_id, event_type, count)
            try:
                sqs_client().send_message(QueueUrl=os.environ["DEAD_LETTER_QUEUE_URL"], MessageBody=record.body,
                                          MessageAttributes=attributes)
            except Exception:
                logger.exception("could not send a failing record to the dead-letter queue: the queue moves it later",
                                 extra={"event_id": event_id})
                raise error from None
            logger.error("record sent to the dead-letter queue after its last delivery",
                         extra={name: value["StringValue"] for name, value in attributes.items()})

    return handle_record
