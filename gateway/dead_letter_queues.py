"""The dead-letter queues of the template: what waits in each, and moving it back to its source.

`DEAD_LETTER_QUEUES` (template.yaml) names each dead-letter queue and the queue it serves:
`{"sales": {"dead_letters": <url>, "source": <url>}, …}`.

Peeking receives with a short visibility timeout and then makes every message visible again at
once: nothing is deleted, and a standard queue has no order to disturb. Each peek adds one to the
dead-letter copy's own `ApproximateReceiveCount`; a dead-letter queue has no redrive policy, so
that count moves nothing, and the one shown is the source queue's, recorded by the consumer.

Moving uses `StartMessageMoveTask` where the cloud has it (AWS: asynchronous, every message),
else receives, sends to the source queue and only then deletes (the local emulator refuses the
task): a crash between the send and the delete leaves a copy in both queues, and the consumer,
idempotent by event id, applies it once. `REDRIVE_METHOD` forces one way or the other.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

import boto3
from botocore.exceptions import ClientError

from shared import clock
from shared.dead_letters import ERROR, ERROR_MESSAGE, EVENT_ID, EVENT_TYPE, FAILED_AT, RECEIVE_COUNT, identify_bus_event
from shared.observability import counted, logger

MOVE_TASK, RECEIVE_SEND_DELETE, AUTO = "message-move-task", "receive-send-delete", "auto"
# The codes a cloud answers for an action it does not implement (the emulator: InvalidAction).
NOT_IMPLEMENTED = {"InvalidAction", "UnknownOperationException", "NotImplemented", "InvalidClientTokenId.NotImplemented"}

PEEK_VISIBILITY_SECONDS = 5  # how long a peeked message is hidden at most, if the peek dies before showing it again
MOVE_VISIBILITY_SECONDS = 30  # a message being moved; if the move dies, it is visible again (and moved later)


@lru_cache(maxsize=None)
def sqs_client():
    return counted(boto3.client("sqs"))


@dataclass(frozen=True)
class QueuePair:
    name: str
    dead_letters: str
    source: str


def configured_queues() -> dict[str, QueuePair]:
    queues = json.loads(os.environ["DEAD_LETTER_QUEUES"])
    return {name: QueuePair(name, urls["dead_letters"], urls["source"]) for name, urls in queues.items()}


def describe(message: dict[str, Any], now_ms: int) -> dict[str, Any]:
    """What an operator needs of a dead letter, never its body: ids, type, error, deliveries, age."""
    attributes = {name: value.get("StringValue", "") for name, value in message.get("MessageAttributes", {}).items()}
    event_id, event_type = attributes.get(EVENT_ID), attributes.get(EVENT_TYPE)
    if not event_id:
        event_id, event_type = identify(message["Body"])
    if "rejected_because" in attributes:  # a forged event (shared/consumer.py): it can never become genuine
        error, error_message = "ForgedEvent", attributes["rejected_because"]
    else:
        error = attributes.get(ERROR) or None
        error_message = attributes.get(ERROR_MESSAGE) or (
            None if error else "not recorded: the queue moved it (the function timed out or crashed; see its log)")
    sent_ms = int(message.get("Attributes", {}).get("SentTimestamp", now_ms))
    return {
        "message_id": message["MessageId"],
        "event_id": event_id,
        "event_type": event_type,
        "error": error,
        "error_message": error_message,
        "receive_count": int(attributes[RECEIVE_COUNT]) if attributes.get(RECEIVE_COUNT) else None,
        "failed_at": attributes.get(FAILED_AT) or None,
        "age_seconds": max(0, (now_ms - sent_ms) // 1000),
    }


def identify(body: str) -> tuple[str, str]:
    """A bus event's id and type, or an import chunk's (the import worker's queue)."""
    event_id, event_type = identify_bus_event(body)
    if event_id != "unreadable":
        return event_id, event_type
    try:
        chunk = json.loads(body)
        return f"{chunk['import_id']}#{int(chunk['index'])}"[:128], "ImportChunk"
    except (ValueError, KeyError, TypeError):
        return "unreadable", "unreadable"


class DeadLetters:
    def __init__(self, queues: dict[str, QueuePair] | None = None, client=None, method: str | None = None):
        self.queues = queues if queues is not None else configured_queues()
        self._client = client
        self.method = method or os.environ.get("REDRIVE_METHOD", AUTO)
        self._move_task_missing = False

    @property
    def sqs(self):
        return self._client or sqs_client()

    def counts(self, pair: QueuePair) -> dict[str, int]:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=pair.dead_letters,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return {"waiting": int(attributes.get("ApproximateNumberOfMessages", 0)),
                "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))}

    def peek(self, pair: QueuePair, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` messages, described, left in the queue and visible again."""
        seen: dict[str, dict[str, Any]] = {}
        handles: list[str] = []
        try:
            while len(seen) < limit:
                messages = self.sqs.receive_message(
                    QueueUrl=pair.dead_letters, MaxNumberOfMessages=min(10, limit - len(seen)),
                    VisibilityTimeout=PEEK_VISIBILITY_SECONDS, WaitTimeSeconds=0,
                    AttributeNames=["SentTimestamp"], MessageAttributeNames=["All"]).get("Messages", [])
                fresh = [m for m in messages if m["MessageId"] not in seen]
                handles += [m["ReceiptHandle"] for m in messages]
                if not fresh:
                    break
                seen |= {m["MessageId"]: m for m in fresh}
        finally:
            self._show_again(pair.dead_letters, handles)
        now_ms = int(clock.now().timestamp() * 1000)
        return sorted((describe(m, now_ms) for m in seen.values()), key=lambda d: -d["age_seconds"])

    def _show_again(self, queue_url: str, handles: Iterable[str]) -> None:
        handles = list(handles)
        for start in range(0, len(handles), 10):
            self.sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                for i, h in enumerate(handles[start:start + 10])])

    def redrive(self, pair: QueuePair, time_budget_seconds: float) -> dict[str, Any]:
        waiting = self.counts(pair)["waiting"]
        if self.method != RECEIVE_SEND_DELETE and not self._move_task_missing:
            try:
                return self._start_move_task(pair, waiting)
            except ClientError as error:
                if self.method == MOVE_TASK or error.response["Error"]["Code"] not in NOT_IMPLEMENTED:
                    raise
                logger.info("this cloud has no StartMessageMoveTask: moving by receive, send and delete",
                            extra={"code": error.response["Error"]["Code"]})
                self._move_task_missing = True
        return self._receive_send_delete(pair, waiting, time_budget_seconds)

    def _start_move_task(self, pair: QueuePair, waiting: int) -> dict[str, Any]:
        arn = self.sqs.get_queue_attributes(QueueUrl=pair.dead_letters, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        # No DestinationArn: back to the queue each message came from, which is this pair's source.
        task = self.sqs.start_message_move_task(SourceArn=arn)
        logger.info("dead letters moving back", extra={"queue": pair.name, "waiting": waiting})
        return {"queue": pair.name, "method": MOVE_TASK, "task_handle": task["TaskHandle"], "to_move": waiting,
                "moved": None, "remaining": waiting}

    def _receive_send_delete(self, pair: QueuePair, waiting: int, time_budget_seconds: float) -> dict[str, Any]:
        """Move at most the messages waiting when asked (a message that fails again meanwhile comes back
        as a new one, for the next redrive), within the time budget; the answer says what remains."""
        deadline, moved, failed = time.monotonic() + time_budget_seconds, 0, 0
        while moved + failed < waiting and time.monotonic() < deadline:
            messages = self.sqs.receive_message(
                QueueUrl=pair.dead_letters, MaxNumberOfMessages=min(10, waiting - moved - failed),
                VisibilityTimeout=MOVE_VISIBILITY_SECONDS, WaitTimeSeconds=0,
                MessageAttributeNames=["All"]).get("Messages", [])
            if not messages:
                break
            by_id = {str(i): m for i, m in enumerate(messages)}
            sent = self.sqs.send_message_batch(QueueUrl=pair.source, Entries=[
                {"Id": i, "MessageBody": m["Body"], **({"MessageAttributes": m["MessageAttributes"]}
                                                      if m.get("MessageAttributes") else {})}
                for i, m in by_id.items()])
            delivered = [by_id[s["Id"]] for s in sent.get("Successful", [])]
            if delivered:  # only what the source queue has accepted leaves the dead-letter queue
                self.sqs.delete_message_batch(QueueUrl=pair.dead_letters, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(delivered)])
            refused = [by_id[f["Id"]] for f in sent.get("Failed", [])]
            self._show_again(pair.dead_letters, [m["ReceiptHandle"] for m in refused])
            moved, failed = moved + len(delivered), failed + len(refused)
            if refused:
                logger.warning("the source queue refused some dead letters: left in place",
                               extra={"queue": pair.name, "refused": len(refused)})
                break
        logger.info("dead letters moved back", extra={"queue": pair.name, "moved": moved, "waiting": waiting})
        return {"queue": pair.name, "method": RECEIVE_SEND_DELETE, "task_handle": None, "to_move": waiting,
                "moved": moved, "remaining": self.counts(pair)["waiting"]}
