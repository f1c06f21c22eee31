"""An SQS batch handled record by record, answering which records failed (partial batch response).

What the consumers used Powertools' `BatchProcessor` for, without it: that module imports the
asynchronous processor and asyncio with it (~30 ms of every consumer's cold start). Same
contract: each record's failure is reported by message id so that SQS redelivers that one
only; if every record failed, the batch is raised (`BatchProcessingError`, carrying each
record's exception) so that the invocation fails and the whole batch comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def process_sqs_batch(event: dict[str, Any], handle: Callable[[SQSRecord], Any]) -> dict[str, Any]:
    records = event.get("Records") or []
    failures, errors = [], []
    for raw in records:
        record = SQSRecord(raw)
        try:
            handle(record)
        except Exception as error:  # noqa: BLE001 - one record's failure must not fail the others
            failures.append({"itemIdentifier": record.message_id})
            errors.append((type(error), error, error.__traceback__))
    if records and len(failures) == len(records):
        raise BatchProcessingError(
            f"All records failed processing. {len(errors)} individual errors logged separately below.", errors)
    return {"batchItemFailures": failures}
