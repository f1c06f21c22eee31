"""Intake's own import queue: chunks of accepted rows for the import worker."""

from __future__ import annotations

import os
from functools import lru_cache

import boto3

from shared.observability import counted, logger

from intake.domain.imports import ImportChunk

SEND_BATCH_MAX = 10
RESEND_ATTEMPTS = 3


class QueueRefused(Exception):
    """Some chunks could not be queued; the upload may be retried (nothing is registered twice)."""


@lru_cache(maxsize=None)
def sqs_client():
    return counted(boto3.client("sqs"))


class ImportQueue:
    def __init__(self, url: str | None = None, client=None):
        self.url = url or os.environ["IMPORT_QUEUE_URL"]
        self._client = client

    @property
    def client(self):
        return self._client or sqs_client()

    def send(self, chunks: list[ImportChunk]) -> None:
        """Queue every chunk, 10 per request, re-sending exactly those SQS reports as failed."""
        for start in range(0, len(chunks), SEND_BATCH_MAX):
            pending = {str(chunk.index): chunk.model_dump_json() for chunk in chunks[start:start + SEND_BATCH_MAX]}
            for _ in range(RESEND_ATTEMPTS + 1):
                response = self.client.send_message_batch(
                    QueueUrl=self.url,
                    Entries=[{"Id": entry_id, "MessageBody": body} for entry_id, body in pending.items()],
                )
                failed = {f["Id"] for f in response.get("Failed", [])}
                if not failed:
                    break
                logger.warning("import queue refused chunks", extra={"failed": sorted(failed)})
                pending = {entry_id: body for entry_id, body in pending.items() if entry_id in failed}
            else:
                raise QueueRefused(f"{len(pending)} chunk(s) could not be queued: upload the file again")
