"""Retry on conflict: the one loop every optimistic write goes through.

A conditional write that loses a race (`ConcurrencyConflict`) is redone from fresh reads by
calling `attempt` again. Waits grow exponentially and are drawn at random below that bound
("full jitter"), so that racers who collided once spread out instead of colliding again in
step. It gives up after `attempts` tries or once `budget_seconds` have passed, whichever comes
first, and re-raises the last conflict (a 409 on the HTTP path, a redelivery on a queue).
"""

from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

from shared.observability import logger
from shared.outbox import ConcurrencyConflict

T = TypeVar("T")

DEFAULT_ATTEMPTS = 8
FIRST_DELAY_SECONDS = 0.01
LONGEST_DELAY_SECONDS = 0.5
# Well under the HTTP API's 29 s integration timeout and the functions' own timeouts.
DEFAULT_BUDGET_SECONDS = 10.0


def backoff_delay(retry: int, first: float = FIRST_DELAY_SECONDS, longest: float = LONGEST_DELAY_SECONDS,
                  draw: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retry number `retry` (1 for the first retry): full jitter."""
    return draw() * min(longest, first * 2 ** (retry - 1))


def retry_on_conflict(attempt: Callable[[], T], *, what: str, attempts: int = DEFAULT_ATTEMPTS,
                      budget_seconds: float = DEFAULT_BUDGET_SECONDS,
                      longest_delay: float = LONGEST_DELAY_SECONDS,
                      first_delay: float = FIRST_DELAY_SECONDS,
                      sleep: Callable[[float], None] = time.sleep,
                      clock: Callable[[], float] = time.monotonic) -> T:
    """`attempt()`, again after a jittered wait each time it raises ConcurrencyConflict.

    `what` names the contended thing in the log line ("sale at a point of sale"); the
    conflict's own message is what the caller finally sees if every attempt loses. Many racers
    on one item want a longer `longest_delay`: their retries then stay few enough per second
    for the winners' writes to get through, instead of swamping the table.
    """
    deadline = clock() + budget_seconds
    for retry in range(attempts):
        try:
            return attempt()
        except ConcurrencyConflict as conflict:
            delay = backoff_delay(retry + 1, first=first_delay, longest=longest_delay)
            if retry + 1 >= attempts or clock() + delay > deadline:
                logger.warning("gave up after conflicts", extra={"contended": what, "attempts": retry + 1})
                raise
            logger.info("conflict, retrying", extra={"contended": what, "attempt": retry + 1,
                                                      "reason": str(conflict)})
            sleep(delay)
    raise AssertionError("attempts must be at least 1")
