"""Refusing a signed request seen before: a captured event cannot be played again.

The signature is remembered for as long as its timestamp is acceptable; after that, the timestamp
check refuses it anyway. In process for the embedded default, in Redis when workers share it.
"""

from __future__ import annotations

import time
from typing import Protocol

import redis.asyncio as redis

from notifier.batching import GroupCommit


class ReplayGuard(Protocol):
    async def first_time(self, signature: str, ttl_s: int) -> bool:
        """True the first time `signature` is seen within `ttl_s`."""
        ...

    async def close(self) -> None: ...


class MemoryReplayGuard:
    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    async def first_time(self, signature: str, ttl_s: int) -> bool:
        now = time.monotonic()
        if len(self._seen) > 10_000:
            self._seen = {s: t for s, t in self._seen.items() if t > now}
        if self._seen.get(signature, 0.0) > now:
            return False
        self._seen[signature] = now + ttl_s
        return True

    async def close(self) -> None:
        return None


class RedisReplayGuard:
    """SET NX with an expiry per signature; concurrent requests share one pipelined round trip."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._checks = GroupCommit(self._check_batch)

    async def first_time(self, signature: str, ttl_s: int) -> bool:
        return await self._checks.submit((signature, ttl_s))

    async def _check_batch(self, checks: list[tuple[str, int]]) -> list[bool]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for signature, ttl_s in checks:
                pipe.set(f"{self._prefix}:{signature}", 1, nx=True, ex=ttl_s)
            return [bool(reply) for reply in await pipe.execute()]

    async def close(self) -> None:
        await self._redis.aclose()
