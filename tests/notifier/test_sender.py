"""The sender loop survives an outage of its queue and stops when it is told to."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from notifier.events import StepEvent
from notifier.failover import FailoverProvider
from notifier.ingest import Ingestor
from notifier.policy import QuietHours
from notifier.providers.base import OutgoingMessage
from notifier.providers.outbox import OutboxSmsProvider
from notifier.sender import Sender
from notifier.store import NotificationStore
from notifier.templates import Templates
from notifier.work_queue import Delivery, MemoryQueue
from tests.notifier.test_pipeline import step_event


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


@pytest.mark.parametrize("ticks", range(6))
async def test_a_sender_cancelled_as_work_arrives_stops(ticks: int) -> None:
    """Shutting down must stop the loop whatever the timing: on Python 3.11, asyncio.wait_for
    swallowed a cancellation landing as the queue handed over work (CPython issue 86296), and
    the service's shutdown then waited for ever. Some of these tick offsets hit that window."""
    queue = MemoryQueue()

    async def sender_loop() -> None:
        while True:
            await queue.take(10, 5.0)

    task = asyncio.create_task(sender_loop())
    await asyncio.sleep(0.01)  # waiting for work
    await queue.put(["notification-1"])
    for _ in range(ticks):
        await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=1.0)
    assert task in done and task.cancelled()


class SlowSms(OutboxSmsProvider):
    """Takes a while to answer, and tells when a message is in its hands."""

    def __init__(self) -> None:
        super().__init__(timeout_s=5.0)
        self.in_hand = asyncio.Event()

    async def _send(self, message: OutgoingMessage) -> str:
        self.in_hand.set()
        await asyncio.sleep(0.3)
        return await super()._send(message)


async def test_a_stopped_sender_first_finishes_the_message_in_hand(tmp_path: Path) -> None:
    store = NotificationStore.from_url(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    await store.create_schema()
    queue = MemoryQueue()
    no_quiet_hours = QuietHours(datetime.time(0), datetime.time(0))
    ingestor = Ingestor(store, queue, Templates(), no_quiet_hours, push_enabled=False)
    event = StepEvent(**step_event(step="result_ready"))  # type: ignore[arg-type]
    [notification_id] = (await ingestor.ingest(event)).notification_ids
    provider = SlowSms()
    sender = Sender(store, queue, {"sms": FailoverProvider([(provider, 1.0)])})
    task = asyncio.create_task(sender.run(wait_s=0.05))
    async with asyncio.timeout(5):
        await provider.in_hand.wait()
        sender.stop()
        await task
    notification = await store.get(notification_id)
    assert notification is not None and notification.status == "sent"
    await store.close()
