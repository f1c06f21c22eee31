"""Operations on the running system, for administrators, under /operations.

    GET  /operations/dead-letters                   every dead-letter queue: how many messages wait,
                                                    and for each (up to ?limit=) its event type and id,
                                                    the error it last raised, its deliveries, its age
    GET  /operations/dead-letters?queue=sales       one queue
    POST /operations/dead-letters/{queue}/redrive   move its messages back to the queue they came from

Reading leaves every message in place; a redrive never loses one (gateway/dead_letter_queues.py).
See docs/operations.md.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from shared.access import admins_only
from shared.errors import NotFound
from shared.http import ServiceApi
from shared.observability import entry_point, logger

from dead_letter_queues import MOVE_TASK, RECEIVE_SEND_DELETE, DeadLetters, QueuePair

# Who may call each route (shared/access.py): operating the queues is the administrators' alone.
ROUTES = {
    "GET /dead-letters": admins_only("dead-letter queue", "counts and describes waiting messages, never a body"),
    "POST /dead-letters/{queue}/redrive": admins_only("dead-letter queue", "moves its messages back to their queue"),
}

MAX_PEEK = 50
# The HTTP API waits 30 s; a move by receive, send and delete stops in time to answer, and says what remains.
MOVE_SECONDS = 20.0

app = ServiceApi("operations", ROUTES)
dead_letters = functools.cache(DeadLetters)


class QueueName(StrEnum):
    """The dead-letter queues, by the queue they serve (template.yaml's DEAD_LETTER_QUEUES names the same)."""

    INTAKE = "intake"
    INTAKE_IMPORT = "intake-import"
    REFURB = "refurb"
    ALLOCATION = "allocation"
    SALES = "sales"


class RedriveMethod(StrEnum):
    MOVE_TASK = MOVE_TASK
    RECEIVE_SEND_DELETE = RECEIVE_SEND_DELETE


QUEUE_TEXT = ("The queue whose failed messages these are: a service's events (intake, refurb, allocation, sales) "
              "or intake's inventory imports (intake-import)")


class DeadLetter(BaseModel):
    """A message that failed, described: never its body."""

    message_id: str = Field(description="The message's id in the dead-letter queue")
    event_id: str | None = Field(description="The id of the event it carries, when it could be read")
    event_type: str | None = Field(description="The type of the event it carries (DeviceReceived, …), as the "
                                               "message says; null when it could not be read")
    error: str | None = Field(description="The error its consumer last raised (an exception's class name, or "
                                          "ForgedEvent for an event no service published); null when not recorded")
    error_message: str | None = Field(description="That error's message, short, withheld if it looked like personal "
                                                  "data; says so when the queue moved it without an error recorded")
    receive_count: int | None = Field(description="How many times its own queue delivered it before giving up")
    failed_at: str | None = Field(description="When it last failed (UTC, ISO 8601), when recorded")
    age_seconds: int = Field(description="Seconds since it was first sent: to its queue, or to the dead-letter "
                                         "queue by its consumer")


class QueueContents(BaseModel):
    queue: QueueName = Field(description=QUEUE_TEXT)
    waiting: int = Field(description="Messages waiting in the dead-letter queue (approximate, as SQS counts)")
    in_flight: int = Field(description="Messages being read or moved right now (approximate)")
    messages: list[DeadLetter] = Field(description="Up to ?limit= of the waiting messages, oldest first; "
                                                   "reading them leaves them in place")


class DeadLetterQueues(BaseModel):
    queues: list[QueueContents] = Field(description="Each dead-letter queue asked for")


class RedriveOutcome(BaseModel):
    """What a redrive did; a message that fails again meanwhile comes back as a new dead letter."""

    queue: QueueName = Field(description=QUEUE_TEXT)
    method: RedriveMethod = Field(description="message-move-task: SQS moves every message, asynchronously (AWS); "
                                              "receive-send-delete: moved here, one by one, within the time the "
                                              "HTTP API waits (where the cloud has no move task)")
    task_handle: str | None = Field(description="The SQS move task's handle (message-move-task); null otherwise")
    to_move: int = Field(description="Messages waiting when the redrive began")
    moved: int | None = Field(description="Messages moved back (receive-send-delete); null for a move task, which "
                                          "goes on after the answer")
    remaining: int = Field(description="Messages still waiting in the dead-letter queue: redrive again for them")


def answers(model: type[BaseModel], description: str) -> dict[int, dict]:
    return {200: {"description": description, "content": {"application/json": {"model": model}}}}


def pair_named(name: str) -> QueuePair:
    pair = dead_letters().queues.get(name)
    if pair is None:
        raise NotFound(f"no dead-letter queue {name}: one of {', '.join(sorted(dead_letters().queues))}")
    return pair


@app.get("/dead-letters", responses=answers(DeadLetterQueues, "What waits in each dead-letter queue"))
def list_dead_letters(queue: Annotated[QueueName | None, Query(description="Only this queue (default: all)")] = None,
                      limit: Annotated[int, Query(ge=0, le=MAX_PEEK, description=(
                          f"How many messages to describe per queue, at most {MAX_PEEK}; 0: the counts only"))] = 10,
                      ) -> dict[str, Any]:
    """Every dead-letter queue, or one: how many messages wait, and what each is (its event, the error it last
    raised, its deliveries, its age)."""
    pairs = [pair_named(queue)] if queue else list(dead_letters().queues.values())
    return {"queues": [{"queue": pair.name, **dead_letters().counts(pair),
                        "messages": dead_letters().peek(pair, limit) if limit else []} for pair in pairs]}


@app.post("/dead-letters/<queue>/redrive", responses=answers(RedriveOutcome, "What was moved, and what remains"))
def redrive(queue: Annotated[QueueName, Path(description=QUEUE_TEXT)]) -> dict[str, Any]:
    """Move a dead-letter queue's messages back to the queue they came from, after a fix: none is lost (a crash
    mid-way leaves a copy in both queues, which the consumer applies once)."""
    admin = app.partner()
    outcome = dead_letters().redrive(pair_named(queue), MOVE_SECONDS)
    logger.info("dead letters redriven", extra={**outcome, "by": admin.partner_id})
    return outcome


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
