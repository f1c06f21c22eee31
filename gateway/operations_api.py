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
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.access import admins_only
from shared.errors import NotFound
from shared.http import ServiceApi
from shared.observability import entry_point, logger

from dead_letter_queues import DeadLetters, QueuePair

# Who may call each route (shared/access.py): operating the queues is the administrators' alone.
ROUTES = {
    "GET /dead-letters": admins_only("dead-letter queue", "counts and describes waiting messages, never a body"),
    "POST /dead-letters/{queue}/redrive": admins_only("dead-letter queue", "moves its messages back to their queue"),
}

QUEUE_NAME = r"^[a-z][a-z-]{0,39}$"
MAX_PEEK = 50
# The HTTP API waits 30 s; a move by receive, send and delete stops in time to answer, and says what remains.
MOVE_SECONDS = 20.0

app = ServiceApi("operations", ROUTES)
dead_letters = functools.cache(DeadLetters)


def pair_named(name: str) -> QueuePair:
    pair = dead_letters().queues.get(name)
    if pair is None:
        raise NotFound(f"no dead-letter queue {name}: one of {', '.join(sorted(dead_letters().queues))}")
    return pair


@app.get("/dead-letters")
def list_dead_letters(queue: Annotated[str | None, Query(pattern=QUEUE_NAME)] = None,
                      limit: Annotated[int, Query(ge=0, le=MAX_PEEK)] = 10) -> dict[str, Any]:
    pairs = [pair_named(queue)] if queue else list(dead_letters().queues.values())
    return {"queues": [{"queue": pair.name, **dead_letters().counts(pair),
                        "messages": dead_letters().peek(pair, limit) if limit else []} for pair in pairs]}


@app.post("/dead-letters/<queue>/redrive")
def redrive(queue: Annotated[str, Path(pattern=QUEUE_NAME)]) -> dict[str, Any]:
    admin = app.partner()
    outcome = dead_letters().redrive(pair_named(queue), MOVE_SECONDS)
    logger.info("dead letters redriven", extra={**outcome, "by": admin.partner_id})
    return outcome


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
