"""Group commit: calls that arrive while a batch is being written wait and go together in the next.

A burst of requests then costs one database transaction (one WAL flush) or one Redis round trip
per batch instead of one per request; under light load a batch is a single call, so nothing waits
for a timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """`write` takes a batch and returns one result per item, in order. If it raises, every
    caller of that batch gets the exception."""

    def __init__(
        self, write: Callable[[list[T]], Awaitable[list[R]]], max_batch: int = 200
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            try:
                results = await self._write([item for item, _ in batch])
            except Exception as e:  # e.g. the database is down: every caller hears it
                for _, done in batch:
                    if not done.done():  # a caller whose client left is cancelled
                        done.set_exception(e)
                continue
            except BaseException:  # the writer was cancelled (shutdown): nobody may wait for ever
                for _, done in batch + self._waiting:
                    done.cancel()
                self._waiting.clear()
                raise
            for (_, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)
