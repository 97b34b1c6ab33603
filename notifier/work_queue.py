"""The queue that carries notification ids from ingestion to the senders.

Two implementations behind one interface: an in-process queue (embedded default, one process) and
Redis Streams with a consumer group (workers in many processes and machines; a message stays
pending until it is acknowledged, so work held by a dead worker can be claimed again).
The database stays the record: the queue carries only ids.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as redis
from redis.exceptions import ResponseError

from notifier.redis_client import redis_client

STREAM_MAX_ENTRIES = 1_000_000
RECLAIM_EVERY_S = 1.0


@dataclass(frozen=True)
class Delivery:
    notification_id: str
    receipt: str  # what ack() needs: the Redis entry id, or "" in process


class WorkQueue(Protocol):
    async def put(self, notification_ids: list[str]) -> None:
        """Queue the ids, in one round trip where the queue is remote."""
        ...

    async def take(self, max_items: int, wait_s: float) -> list[Delivery]:
        """Up to `max_items`, waiting at most `wait_s` for the first one."""
        ...

    async def ack(self, deliveries: list[Delivery]) -> None: ...

    async def close(self) -> None: ...


class MemoryQueue:
    """asyncio.Queue: nothing survives the process, as befits the single-process default."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    async def put(self, notification_ids: list[str]) -> None:
        for notification_id in notification_ids:
            self._queue.put_nowait(notification_id)

    async def take(self, max_items: int, wait_s: float) -> list[Delivery]:
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for can swallow a cancellation
        # that arrives as get() completes, and the sender loop would then never stop.
        try:
            async with asyncio.timeout(wait_s):
                first = await self._queue.get()
        except TimeoutError:
            return []
        ids = [first]
        while len(ids) < max_items and not self._queue.empty():
            ids.append(self._queue.get_nowait())
        return [Delivery(i, "") for i in ids]

    async def ack(self, deliveries: list[Delivery]) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisStreamQueue:
    """A Redis stream read through one consumer group shared by all sender workers."""

    def __init__(
        self, client: redis.Redis, stream: str, reclaim_idle_s: float, group: str = "senders"
    ) -> None:
        self._redis = client
        self._stream = stream
        # A pending entry idle this long belongs to a worker that died (or hung): claim it.
        self._reclaim_idle_ms = int(reclaim_idle_s * 1000)
        self._group = group
        self._consumer = f"{socket.gethostname()}-{os.getpid()}"
        self._next_reclaim = 0.0  # monotonic time of the next look for abandoned entries

    @classmethod
    async def connect(cls, url: str, stream: str, reclaim_idle_s: float = 30.0) -> RedisStreamQueue:
        queue = cls(redis_client(url, decode_responses=True), stream, reclaim_idle_s)
        await queue._create_group()
        return queue

    async def _create_group(self) -> None:
        try:
            await self._redis.xgroup_create(self._stream, self._group, id="0", mkstream=True)
        except ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise

    async def put(self, notification_ids: list[str]) -> None:
        if not notification_ids:
            return
        # Trimmed, roughly: an entry trimmed before it was read is queued again from the database.
        async with self._redis.pipeline(transaction=False) as pipe:
            for notification_id in notification_ids:
                pipe.xadd(
                    self._stream, {"id": notification_id},
                    maxlen=STREAM_MAX_ENTRIES, approximate=True,
                )
            await pipe.execute()

    async def take(self, max_items: int, wait_s: float) -> list[Delivery]:
        """Entries abandoned by dead workers first (looked for at most every RECLAIM_EVERY_S
        while there are none), then new ones. A Redis that restarted empty has lost the group:
        it is made again (the database re-queues what was lost)."""
        try:
            if time.monotonic() >= self._next_reclaim:
                reclaimed = await self._reclaim(max_items)
                if reclaimed:
                    return reclaimed
                self._next_reclaim = time.monotonic() + RECLAIM_EVERY_S
            return await self._read(max_items, wait_s)
        except ResponseError as e:
            if "NOGROUP" not in str(e):
                raise
            await self._create_group()
            return []

    async def _reclaim(self, max_items: int) -> list[Delivery]:
        # Reply: [next_start_id, [(entry_id, fields), ...], deleted_ids]
        reply: Any = await self._redis.xautoclaim(
            self._stream, self._group, self._consumer, self._reclaim_idle_ms, "0-0",
            count=max_items,
        )
        return [Delivery(fields["id"], entry_id) for entry_id, fields in reply[1] if fields]

    async def _read(self, max_items: int, wait_s: float) -> list[Delivery]:
        # RESP2 reply (redis-py's default protocol): [[stream, [(entry_id, fields), ...]], ...]
        reply: Any = await self._redis.xreadgroup(
            self._group, self._consumer, {self._stream: ">"},
            count=max_items, block=max(int(wait_s * 1000), 1),
        )
        return [
            Delivery(fields["id"], entry_id)
            for _stream, entries in reply
            for entry_id, fields in entries
        ]

    async def ack(self, deliveries: list[Delivery]) -> None:
        if deliveries:
            await self._redis.xack(self._stream, self._group, *(d.receipt for d in deliveries))

    async def close(self) -> None:
        await self._redis.aclose()
