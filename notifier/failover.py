"""Weighted failover between providers of one channel.

Each send goes to one provider, picked at random by weight among those whose circuit is closed.
A provider that fails `threshold` times in a row is left out for `cooldown_s`, then tried again.
A failed send is not re-sent through another provider at once: a time-out may have delivered it;
the sender's retry (after a backoff) goes to whichever provider is then healthy.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from notifier.providers.base import OutgoingMessage, Provider, RetryableError


@dataclass(frozen=True)
class Sent:
    provider: str
    reference: str


@dataclass
class _Circuit:
    provider: Provider
    weight: float
    failures: int = 0
    open_until: float = 0.0


class FailoverProvider:
    def __init__(
        self,
        providers: Sequence[tuple[Provider, float]],
        threshold: int = 3,
        cooldown_s: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        if not providers:
            raise ValueError("at least one provider is needed")
        self._circuits = [_Circuit(p, w) for p, w in providers]
        self._threshold = threshold
        self._cooldown_s = cooldown_s
        self._random = rng or random.Random()

    async def deliver(self, message: OutgoingMessage) -> Sent:
        circuit = self._pick()
        try:
            reference = await circuit.provider.send(message)
        except RetryableError:
            circuit.failures += 1
            if circuit.failures >= self._threshold:
                circuit.open_until = time.monotonic() + self._cooldown_s
            raise
        circuit.failures = 0
        return Sent(circuit.provider.name, reference)

    async def find_sent(self, message: OutgoingMessage, since: datetime.datetime) -> Sent | None:
        """Asks every provider of the channel: an earlier attempt may have gone to any of them."""
        for circuit in self._circuits:
            reference = await circuit.provider.find_sent(message, since)
            if reference is not None:
                return Sent(circuit.provider.name, reference)
        return None

    def _pick(self) -> _Circuit:
        now = time.monotonic()
        closed = [c for c in self._circuits if c.open_until <= now]
        if not closed:  # all failing: try the one that will recover first
            return min(self._circuits, key=lambda c: c.open_until)
        if len(closed) == 1:
            return closed[0]
        return self._random.choices(closed, weights=[c.weight for c in closed])[0]

    async def close(self) -> None:
        for circuit in self._circuits:
            await circuit.provider.close()
