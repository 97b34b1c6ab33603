"""The sender worker: takes notification ids from the queue and hands them to a provider.

Each id is claimed in the database before the provider is called (no transaction is held across
the call), and the outcome is written before the queue message is acknowledged. The database is
the record, the queue only a hint: housekeeping, run by every worker, queues what is due (retries
after their backoff, messages held by quiet hours), re-queues what a lost queue dropped, retries
what a dead worker left in `sending`, and gives up on what is too old.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import random
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from notifier.failover import FailoverProvider, Sent
from notifier.providers.base import OutgoingMessage, PermanentError, ProviderError
from notifier.store import Notification, NotificationStore, Status
from notifier.work_queue import Delivery, WorkQueue

logger = logging.getLogger(__name__)

OUTAGE_PAUSE_S = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 2.0
    max_delay_s: float = 300.0

    def delay_s(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with "full jitter": spread retries so that a provider coming back
        from an outage is not hit by every waiting message at the same instant."""
        return rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Housekeeping:
    every_s: float = 1.0
    lost_after: datetime.timedelta = datetime.timedelta(seconds=60)
    stalled_after: datetime.timedelta = datetime.timedelta(seconds=120)
    expire_after: datetime.timedelta = datetime.timedelta(hours=72)
    retention: datetime.timedelta = datetime.timedelta(days=30)
    batch: int = 500


class Sender:
    def __init__(
        self,
        store: NotificationStore,
        queue: WorkQueue,
        channels: dict[str, FailoverProvider],
        retry: RetryPolicy | None = None,
        housekeeping: Housekeeping | None = None,
    ) -> None:
        self._store = store
        self._queue = queue
        self._channels = channels
        self._retry = retry or RetryPolicy()
        self._housekeeping = housekeeping or Housekeeping()
        self._random = random.Random()
        self._stopping = asyncio.Event()

    async def run(self, batch_size: int = 50, wait_s: float = 1.0) -> None:
        """Send until `stop()`, or until cancelled. An outage of the queue or the database
        pauses the loop; it does not end it."""
        loop = asyncio.get_running_loop()
        next_housekeeping = 0.0
        while not self._stopping.is_set():
            try:
                if loop.time() >= next_housekeeping:
                    await self.housekeeping()
                    next_housekeeping = loop.time() + self._housekeeping.every_s
                await self._send_batch(batch_size, min(wait_s, self._housekeeping.every_s))
            except (OSError, RedisError, SQLAlchemyError):  # OSError covers refused connections
                logger.exception("sender paused for %.0f s", OUTAGE_PAUSE_S)
                await asyncio.sleep(OUTAGE_PAUSE_S)

    def stop(self) -> None:
        """End `run` once the batch in hand is sent, recorded and acknowledged: unlike a
        cancellation, a shutdown then leaves nothing in `sending` for housekeeping to retry."""
        self._stopping.set()

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()

    async def housekeeping(self) -> None:
        rules = self._housekeeping
        now = datetime.datetime.now(datetime.timezone.utc)
        stalled = await self._store.release_stalled(now - rules.stalled_after)
        expired = await self._store.expire(now - rules.expire_after)
        purged = await self._store.purge(now - rules.retention)
        ids = await self._store.take_due(rules.batch)
        ids += await self._store.take_lost(now - rules.lost_after, rules.batch)
        await self._queue.put(ids)
        if stalled or expired or purged or ids:
            logger.info("housekeeping: stalled=%d expired=%d purged=%d queued=%d",
                        stalled, expired, purged, len(ids))

    async def _send_batch(self, batch_size: int, wait_s: float) -> None:
        deliveries = await self._queue.take(batch_size, wait_s)
        if deliveries:
            await self.send(deliveries)

    async def send(self, deliveries: list[Delivery]) -> None:
        """Claim, send concurrently, record what was sent in one transaction, then acknowledge.
        A crash before the record leaves the queue entries pending and the rows in `sending`;
        both are picked up again (see the module's docstring)."""
        claimed = await self._store.claim_for_sending([d.notification_id for d in deliveries])
        results = await asyncio.gather(
            *(self._send_one(n) for n in claimed), return_exceptions=True
        )
        outcomes = list(zip(claimed, results, strict=True))
        await self._store.mark_sent(
            [(n.id, r.provider, r.reference) for n, r in outcomes if isinstance(r, Sent)]
        )
        failed = {n.id for n, r in outcomes if isinstance(r, BaseException)}
        for notification_id in failed:  # left pending: a Redis stream re-offers them
            logger.error("notification=%s not recorded", notification_id)
        await self._queue.ack([d for d in deliveries if d.notification_id not in failed])

    async def _send_one(self, notification: Notification) -> Sent | None:
        """The provider's receipt, or None when the failure was recorded here."""
        try:
            return await self._deliver(notification)
        except PermanentError as e:
            await self._fail_for_good(notification, e)
        except ProviderError as e:
            await self._retry_or_give_up(notification, e)
        except Exception as e:  # a bug of ours, not the provider's: keep the cause, stop trying
            logger.exception("sending notification=%s failed", notification.id)
            await self._store.transition(
                notification.id, [Status.SENDING], Status.TECHNICAL_FAILURE, error=str(e)[:500]
            )
        return None

    async def _deliver(self, notification: Notification) -> Sent:
        if notification.test:  # a test key's message goes everywhere but to a provider
            return Sent("test", f"test-{notification.id}")
        message = OutgoingMessage(
            notification.id, notification.recipient, notification.body,
            notification.title, notification.link,
        )
        channel = self._channels[notification.channel]
        if notification.attempts > 1:  # the earlier attempt's outcome may be unknown
            earlier = await channel.find_sent(message, notification.created_at)
            if earlier is not None:
                logger.info("notification=%s was accepted by %s on an earlier attempt: "
                            "not sent again", notification.id, earlier.provider)
                return earlier
        return await channel.deliver(message)

    async def _fail_for_good(self, notification: Notification, error: Exception) -> None:
        logger.warning("notification=%s permanent failure: %s", notification.id, error)
        await self._store.transition(
            notification.id, [Status.SENDING], Status.PERMANENT_FAILURE, error=str(error)[:500]
        )
        await self._fall_back_to_sms(notification)

    async def _fall_back_to_sms(self, notification: Notification) -> None:
        if notification.channel != "push":
            return
        await self._queue.put(await self._store.add_sms_fallback(notification))

    async def _retry_or_give_up(self, notification: Notification, error: Exception) -> None:
        if notification.attempts >= self._retry.max_attempts:
            logger.warning("notification=%s dead-lettered after %d attempts: %s",
                           notification.id, notification.attempts, error)
            await self._store.dead_letter(notification.id, Status.SENDING, str(error))
            await self._fall_back_to_sms(notification)
            return
        delay = self._retry.delay_s(notification.attempts, self._random)
        at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delay)
        logger.info("notification=%s retry in %.1f s: %s", notification.id, delay, error)
        await self._store.retry_later(notification.id, at, str(error))
