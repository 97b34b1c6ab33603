"""Refusing a signed request seen before: a captured event cannot be played again.

The signature is remembered for as long as its timestamp is acceptable; after that, the timestamp
check refuses it anyway. In process for the embedded default, in Redis when workers share it.
"""

from __future__ import annotations

import time
from typing import Protocol

import redis.asyncio as redis


class ReplayGuard(Protocol):
    async def first_time(self, signature: str, ttl_s: int) -> bool:
        """True the first time `signature` is seen within `ttl_s`."""
        ...


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


class RedisReplayGuard:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    async def first_time(self, signature: str, ttl_s: int) -> bool:
        return bool(await self._redis.set(f"{self._prefix}:{signature}", 1, nx=True, ex=ttl_s))
