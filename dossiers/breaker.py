"""A circuit breaker: stop calling a source that keeps failing, and try it again later.

closed     calls go through; `threshold` failed calls in a row open the circuit.
open       calls are refused at once, without touching the source, for `reset_s`.
half-open  after that, one trial call goes through while the others are still refused; its
           success closes the circuit, its failure opens it for another `reset_s`.

A "call" is whatever the owner counts as one (for the TTHC client: one lookup, retries
included). Not thread-safe: meant for one event loop, where nothing runs between the checks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import Enum

logger = logging.getLogger(__name__)


class BreakerState(str, Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        threshold: int,
        reset_s: float,
        name: str = "source",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        if reset_s < 0:
            raise ValueError("reset_s must not be negative")
        self._threshold = threshold
        self._reset_s = reset_s
        self._name = name
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._trial_in_flight or self._clock() - self._opened_at >= self._reset_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """Whether a call may go to the source now; when half-open, True once, for the trial."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.OPEN or self._trial_in_flight:
            return False
        self._trial_in_flight = True
        return True

    def succeeded(self) -> None:
        if self._opened_at is not None:
            logger.info("circuit %s closed again", self._name)
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def failed(self) -> None:
        self._trial_in_flight = False
        if self._opened_at is not None:  # the trial failed: wait another reset_s
            self._opened_at = self._clock()
            logger.warning("circuit %s: trial call failed, open for %.1f s", self._name,
                           self._reset_s)
            return
        self._failures += 1
        if self._failures >= self._threshold:
            self._opened_at = self._clock()
            logger.warning("circuit %s open after %d failed calls in a row, for %.1f s",
                           self._name, self._failures, self._reset_s)

    def abandoned(self) -> None:
        """An allowed call ended with no outcome (it was cancelled): let another trial through
        rather than stay half-open for ever."""
        self._trial_in_flight = False
