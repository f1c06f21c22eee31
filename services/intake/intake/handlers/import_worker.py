"""Intake's import worker: chunks of accepted rows from the import queue → registered devices.

Failures are reported per message (ReportBatchItemFailures): a failed chunk returns to the
queue and is retried, then lands in the import dead-letter queue with the error it last
raised (shared/dead_letters.py). A retried chunk is safe:
rows already registered are recognised by their device ids, and a chunk is counted once.
"""

from __future__ import annotations

import functools
import json

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared.dead_letters import dead_letter_on_last_delivery
from shared.observability import entry_point, logger
from shared.sqs_batch import process_sqs_batch

from intake.adapters.repository import IntakeRepository
from intake.domain.imports import ImportChunk
from intake.imports import register_chunk

# One repository per warm function; its boto3 client is made on first use.
repository = functools.cache(IntakeRepository)


def handle_record(record: SQSRecord) -> None:
    chunk = ImportChunk.model_validate_json(record.body)
    logger.append_keys(import_id=chunk.import_id, chunk=chunk.index)
    register_chunk(repository(), chunk)


def identify_chunk(body: str) -> tuple[str, str]:
    """A chunk's id (its import and index) for the dead-letter queue's attributes, never its rows."""
    try:
        chunk = json.loads(body)
        return f"{chunk['import_id']}#{int(chunk['index'])}"[:128], "ImportChunk"
    except (ValueError, KeyError, TypeError):
        return "unreadable", "ImportChunk"


# A chunk failing on its last delivery reaches the import dead-letter queue with its error.
_handle_or_dead_letter = dead_letter_on_last_delivery(handle_record, identify_chunk)


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_sqs_batch(event, _handle_or_dead_letter)
