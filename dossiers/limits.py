"""Counting failed lookups in fixed windows, per key (a conversation, an address, a code).

Redis when it is configured, so that every process shares the counts; in process otherwise.
"""

from __future__ import annotations

import time
from typing import Protocol

import redis.asyncio as redis

MAX_FAILURES = 5
WINDOW_S = 15 * 60


class AttemptLimiter(Protocol):
    async def allowed(self, keys: list[str]) -> bool:
        """False when any key has used up its failures in the current window."""
        ...

    async def failed(self, keys: list[str]) -> None: ...


class MemoryAttemptLimiter:
    def __init__(self, max_failures: int = MAX_FAILURES, window_s: int = WINDOW_S) -> None:
        self._max = max_failures
        self._window_s = window_s
        self._counts: dict[str, tuple[float, int]] = {}  # key -> (window end, failures)

    def _count(self, key: str) -> int:
        ends, count = self._counts.get(key, (0.0, 0))
        return count if ends > time.monotonic() else 0

    async def allowed(self, keys: list[str]) -> bool:
        return all(self._count(key) < self._max for key in keys)

    async def failed(self, keys: list[str]) -> None:
        now = time.monotonic()
        for key in keys:
            ends, count = self._counts.get(key, (0.0, 0))
            self._counts[key] = (ends, count + 1) if ends > now else (now + self._window_s, 1)


class RedisAttemptLimiter:
    def __init__(
        self, client: redis.Redis, prefix: str,
        max_failures: int = MAX_FAILURES, window_s: int = WINDOW_S,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._max = max_failures
        self._window_s = window_s

    async def allowed(self, keys: list[str]) -> bool:
        counts = await self._redis.mget([f"{self._prefix}:{key}" for key in keys])
        return all(int(count or 0) < self._max for count in counts)

    async def failed(self, keys: list[str]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in keys:
                name = f"{self._prefix}:{key}"
                pipe.incr(name)
                pipe.expire(name, self._window_s, nx=True)  # the window starts at the first
            await pipe.execute()
