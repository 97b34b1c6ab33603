"""The sender loop survives an outage of its queue."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from redis.exceptions import ConnectionError as RedisConnectionError

from notifier.failover import FailoverProvider
from notifier.providers.outbox import OutboxSmsProvider
from notifier.sender import Sender
from notifier.store import NotificationStore
from notifier.work_queue import Delivery, MemoryQueue


class FlakyQueue(MemoryQueue):
    """An in-process queue whose first take fails as a Redis restart would."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    async def take(self, max_items: int, wait_s: float) -> list[Delivery]:
        if self.failures:
            self.failures -= 1
            raise RedisConnectionError("Connection refused")
        return await super().take(max_items, wait_s)


async def test_an_outage_pauses_the_loop_instead_of_ending_it(tmp_path: Path) -> None:
    store = NotificationStore.from_url(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    await store.create_schema()
    queue = FlakyQueue()
    channels = {"sms": FailoverProvider([(OutboxSmsProvider(1.0), 1.0)])}
    task = asyncio.create_task(Sender(store, queue, channels).run(wait_s=0.05))
    await asyncio.sleep(1.3)  # past the pause that follows the failure
    assert queue.failures == 0
    assert not task.done()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await store.close()
