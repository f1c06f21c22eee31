"""The retry-on-conflict helper: redoes lost races, waits with growing jitter, gives up in time."""

from __future__ import annotations

import pytest

from shared.outbox import ConcurrencyConflict
from shared.retry import backoff_delay, retry_on_conflict


class Racer:
    """Loses `losses` races, then wins."""

    def __init__(self, losses: int):
        self.losses = losses
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.losses:
            raise ConcurrencyConflict(f"lost race {self.calls}")
        return "won"


def test_a_lost_race_is_run_again_until_it_wins():
    waits: list[float] = []
    racer = Racer(losses=3)
    assert retry_on_conflict(racer, what="a counter", sleep=waits.append) == "won"
    assert racer.calls == 4
    assert len(waits) == 3


def test_it_gives_up_after_the_attempts_with_the_last_conflict():
    racer = Racer(losses=10)
    with pytest.raises(ConcurrencyConflict, match="lost race 4"):
        retry_on_conflict(racer, what="a counter", attempts=4, sleep=lambda _: None)
    assert racer.calls == 4


def test_it_gives_up_when_the_next_wait_would_pass_the_budget():
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds + 1.0  # every attempt costs a second

    racer = Racer(losses=100)
    with pytest.raises(ConcurrencyConflict):
        retry_on_conflict(racer, what="a counter", attempts=100, budget_seconds=3.0,
                          sleep=sleep, clock=lambda: now[0])
    assert 2 <= racer.calls <= 4


def test_other_errors_are_not_retried():
    calls = []

    def broken():
        calls.append(1)
        raise ValueError("not a race")

    with pytest.raises(ValueError):
        retry_on_conflict(broken, what="a counter", sleep=lambda _: None)
    assert len(calls) == 1


def test_waits_are_jittered_below_a_bound_that_doubles_then_stops_growing():
    assert backoff_delay(1, first=0.01, longest=0.5, draw=lambda: 1.0) == pytest.approx(0.01)
    assert backoff_delay(3, first=0.01, longest=0.5, draw=lambda: 1.0) == pytest.approx(0.04)
    assert backoff_delay(20, first=0.01, longest=0.5, draw=lambda: 1.0) == pytest.approx(0.5)
    assert backoff_delay(3, first=0.01, longest=0.5, draw=lambda: 0.25) == pytest.approx(0.01)


def test_many_racers_may_wait_longer_between_tries():
    waits: list[float] = []
    retry_on_conflict(Racer(losses=30), what="a receipt counter", attempts=40, longest_delay=2.0,
                      budget_seconds=1000, sleep=waits.append)
    assert max(waits) <= 2.0
    # past the default half second: the last 20 waits all at most 0.5 s has odds of 0.25 ** 20
    assert max(waits[10:]) > 0.5
