"""The sender worker: takes notification ids from the queue and hands them to a provider.

Each id is claimed in the database before the provider is called (no transaction is held across
the call), and the outcome is written before the queue message is acknowledged: a crash between
the two leaves a pending message whose claim shows it was already attempted.
"""

from __future__ import annotations

import asyncio
import datetime
import logging

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from notifier.providers.base import OutgoingMessage, PermanentError, Provider, ProviderError
from notifier.store import NotificationStore, Status
from notifier.work_queue import Delivery, WorkQueue

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_DELAY_S = 2.0
OUTAGE_PAUSE_S = 1.0


class Sender:
    def __init__(self, store: NotificationStore, queue: WorkQueue, provider: Provider) -> None:
        self._store = store
        self._queue = queue
        self._provider = provider
        self._retries: set[asyncio.Task[None]] = set()

    async def run(self, batch_size: int = 50, wait_s: float = 1.0) -> None:
        """Send until cancelled. An outage of the queue or the database pauses the loop; it
        does not end it."""
        while True:
            try:
                await self._send_batch(batch_size, wait_s)
            except (OSError, RedisError, SQLAlchemyError):  # OSError covers refused connections
                logger.exception("sender paused for %.0f s", OUTAGE_PAUSE_S)
                await asyncio.sleep(OUTAGE_PAUSE_S)

    async def _send_batch(self, batch_size: int, wait_s: float) -> None:
        deliveries = await self._queue.take(batch_size, wait_s)
        results = await asyncio.gather(
            *(self.send_one(d) for d in deliveries), return_exceptions=True
        )
        done = []
        for delivery, result in zip(deliveries, results, strict=True):
            if isinstance(result, BaseException):
                # Left unacknowledged: a Redis stream keeps it pending for a later claim.
                logger.error("notification=%s not sent: %r", delivery.notification_id, result)
            else:
                done.append(delivery)
        await self._queue.ack(done)

    async def send_one(self, delivery: Delivery) -> None:
        notification = await self._store.claim_for_sending(delivery.notification_id)
        if notification is None:
            logger.info("skip notification=%s: not sendable", delivery.notification_id)
            return
        try:
            provider_ref = await self._provider.send(OutgoingMessage(
                notification.id, notification.recipient, notification.body
            ))
        except PermanentError as e:
            await self._fail(notification.id, Status.PERMANENT_FAILURE, e)
        except ProviderError as e:
            await self._fail(notification.id, Status.TEMPORARY_FAILURE, e)
            if notification.attempts < MAX_ATTEMPTS:
                retry = asyncio.create_task(
                    self._requeue(notification.id, RETRY_DELAY_S * notification.attempts)
                )
                self._retries.add(retry)
                retry.add_done_callback(self._retries.discard)
        except Exception as e:  # a bug of ours, not the provider's: keep the cause, stop trying
            logger.exception("sending notification=%s failed", notification.id)
            await self._fail(notification.id, Status.TECHNICAL_FAILURE, e)
        else:
            await self._store.transition(
                notification.id, [Status.SENDING], Status.SENT,
                provider=self._provider.name, provider_ref=provider_ref,
                sent_at=datetime.datetime.now(datetime.timezone.utc),
            )

    async def _requeue(self, notification_id: str, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        await self._queue.put(notification_id)

    async def _fail(self, notification_id: str, status: str, error: Exception) -> None:
        logger.warning("notification=%s %s: %s", notification_id, status, error)
        await self._store.transition(
            notification_id, [Status.SENDING], status,
            provider=self._provider.name, error=str(error)[:500],
        )
