"""From a verified step event, or a direct send, to stored and queued notifications.

Rendering and routing happen before anything is stored, so a message that cannot be rendered
(unknown template, text the carriers would refuse) stores nothing; storing is one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from dataclasses import dataclass

from notifier.batching import GroupCommit
from notifier.events import StepEvent
from notifier.phone import mask
from notifier.policy import QuietHours, route
from notifier.store import EventsHook, Ingested, NewNotification, NotificationStore, Recipient
from notifier.templates import Rendered, Templates
from notifier.work_queue import WorkQueue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    per_recipient: int = 10  # messages to one phone within `window`; more are held back
    window: datetime.timedelta = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class _Pending:
    event: StepEvent
    sms: Rendered
    push: Rendered


class Ingestor:
    """Events are written in batches (see `notifier.batching`): a burst costs one transaction
    per batch instead of one per event."""

    def __init__(
        self,
        store: NotificationStore,
        queue: WorkQueue,
        templates: Templates,
        quiet_hours: QuietHours | None = None,
        limits: Limits | None = None,
        push_enabled: bool = True,
        max_batch: int = 200,
        record_also: EventsHook | None = None,
    ) -> None:
        self._store = store
        self._queue = queue
        self.templates = templates
        self._quiet_hours = quiet_hours or QuietHours()
        self._limits = limits or Limits()
        self._push_enabled = push_enabled
        self._batches = GroupCommit(self._record, max_batch)
        self._record_also = record_also

    async def ingest(self, event: StepEvent) -> Ingested:
        """Record the event and queue its messages once; a repeat returns the first result.
        A text that cannot be rendered raises TemplateError before anything is stored."""
        values = {"dossier_code": event.dossier_code, "procedure": event.procedure}
        pending = _Pending(
            event,
            self.templates.render(event.step.value, "sms", values),
            self.templates.render(event.step.value, "push", values),
        )
        ingested = await self._batches.submit(pending)
        logger.info(
            "event_id=%s dossier=%s step=%s to=%s duplicate=%s notifications=%d",
            event.event_id, event.dossier_code, event.step.value, mask(event.phone),
            ingested.duplicate, len(ingested.notification_ids),
        )
        return ingested

    async def _record(self, batch: list[_Pending]) -> list[Ingested]:
        now = _now()
        known, recent = await self._store.contacts(
            [p.event.phone for p in batch], now - self._limits.window
        )
        messages = [
            self._route(p.event.step.value, p.event.phone, p.sms, p.push, known, recent, now)
            for p in batch
        ]
        results = await self._store.record_events(
            [(p.event, m) for p, m in zip(batch, messages, strict=True)], self.templates.version,
            also=self._record_also,
        )
        await self._queue_ready([
            (notification_id, message)
            for result, routed in zip(results, messages, strict=True) if not result.duplicate
            for notification_id, message in zip(result.notification_ids, routed, strict=True)
        ])
        return results

    async def send_direct(
        self, key: str, template: str, phone: str, values: dict[str, str], test: bool
    ) -> Ingested:
        sms, push = (self.templates.render(template, c, values) for c in ("sms", "push"))
        now = _now()
        known, recent = await self._store.contacts([phone], now - self._limits.window)
        messages = self._route(template, phone, sms, push, known, recent, now)
        ingested = await self._store.record_direct(
            key, template, messages, self.templates.version, test
        )
        if not ingested.duplicate:
            await self._queue_ready(list(zip(ingested.notification_ids, messages, strict=True)))
        return ingested

    def _route(
        self, template_name: str, phone: str, sms: Rendered, push: Rendered,
        known: dict[str, Recipient], recent: dict[str, int], now: datetime.datetime,
    ) -> list[NewNotification]:
        """The messages for one resident, by channel policy, quiet hours and limits."""
        template = self.templates.get(template_name)
        recipient = known.get(phone)
        if recipient and not self._push_enabled:  # no push provider: nobody "has the app"
            recipient = dataclasses.replace(recipient, push_token=None)
        chosen = route(template, recipient)
        not_before = self._not_before(template.urgent, recent.get(phone, 0), now)
        messages = []
        if chosen.push:
            assert recipient is not None and recipient.push_token  # route() checked
            fallback = sms.body if chosen.sms_is_fallback else None
            messages.append(NewNotification(
                "push", recipient.push_token, push.body, push.title, push.link,
                fallback_sms=fallback, fallback_phone=phone if fallback else None,
                not_before=not_before,
            ))
        if chosen.sms:
            messages.append(NewNotification("sms", phone, sms.body, not_before=not_before))
        return messages

    def _not_before(
        self, urgent: bool, recent: int, now: datetime.datetime
    ) -> datetime.datetime | None:
        release = None if urgent else self._quiet_hours.release(now)
        if recent >= self._limits.per_recipient:
            held = now + self._limits.window
            release = max(release, held) if release else held
        return release

    async def _queue_ready(self, stored: list[tuple[str, NewNotification]]) -> None:
        """Queue what may go now (stored as queued already; if this process dies before the
        queue has them, housekeeping queues them again); the deferred wait for housekeeping."""
        await self._queue.put([i for i, message in stored if message.not_before is None])


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
