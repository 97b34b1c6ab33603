"""From a verified step event, or a direct send, to stored and queued notifications.

Rendering and routing happen before anything is stored, so a message that cannot be rendered
(unknown template, text the carriers would refuse) stores nothing; storing is one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from dataclasses import dataclass

from notifier.events import StepEvent
from notifier.phone import mask
from notifier.policy import QuietHours, route
from notifier.store import Ingested, NewNotification, NotificationStore
from notifier.templates import Templates
from notifier.work_queue import WorkQueue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    per_recipient: int = 10  # messages to one phone within `window`; more are held back
    window: datetime.timedelta = datetime.timedelta(hours=1)


class Ingestor:
    def __init__(
        self,
        store: NotificationStore,
        queue: WorkQueue,
        templates: Templates,
        quiet_hours: QuietHours | None = None,
        limits: Limits | None = None,
        push_enabled: bool = True,
    ) -> None:
        self._store = store
        self._queue = queue
        self.templates = templates
        self._quiet_hours = quiet_hours or QuietHours()
        self._limits = limits or Limits()
        self._push_enabled = push_enabled

    async def ingest(self, event: StepEvent) -> Ingested:
        """Record the event and queue its messages once; a repeat returns the first result."""
        values = {"dossier_code": event.dossier_code, "procedure": event.procedure}
        messages = await self.messages(event.step.value, event.phone, values)
        ingested = await self._store.record_event(event, messages, self.templates.version)
        logger.info(
            "event_id=%s dossier=%s step=%s to=%s duplicate=%s notifications=%d",
            event.event_id, event.dossier_code, event.step.value, mask(event.phone),
            ingested.duplicate, len(ingested.notification_ids),
        )
        if not ingested.duplicate:
            await self._queue_ready(ingested.notification_ids, messages)
        return ingested

    async def send_direct(
        self, key: str, template: str, phone: str, values: dict[str, str], test: bool
    ) -> Ingested:
        messages = await self.messages(template, phone, values)
        ingested = await self._store.record_direct(
            key, template, messages, self.templates.version, test
        )
        if not ingested.duplicate:
            await self._queue_ready(ingested.notification_ids, messages)
        return ingested

    async def messages(
        self, template_name: str, phone: str, values: dict[str, str]
    ) -> list[NewNotification]:
        """The rendered messages for one resident, by channel policy, quiet hours and limits."""
        template = self.templates.get(template_name)
        recipient = await self._store.recipient(phone)
        if recipient and not self._push_enabled:  # no push provider: nobody "has the app"
            recipient = dataclasses.replace(recipient, push_token=None)
        chosen = route(template, recipient)
        sms = self.templates.render(template_name, "sms", values).body
        not_before = await self._not_before(template.urgent, phone)
        messages = []
        if chosen.push:
            assert recipient is not None and recipient.push_token  # route() checked
            push = self.templates.render(template_name, "push", values)
            fallback = sms if chosen.sms_is_fallback else None
            messages.append(NewNotification(
                "push", recipient.push_token, push.body, push.title, push.link,
                fallback_sms=fallback, fallback_phone=phone if fallback else None,
                not_before=not_before,
            ))
        if chosen.sms:
            messages.append(NewNotification("sms", phone, sms, not_before=not_before))
        return messages

    async def _not_before(self, urgent: bool, phone: str) -> datetime.datetime | None:
        now = datetime.datetime.now(datetime.timezone.utc)
        release = None if urgent else self._quiet_hours.release(now)
        recent = await self._store.sent_since(phone, now - self._limits.window)
        if recent >= self._limits.per_recipient:
            held = now + self._limits.window
            release = max(release, held) if release else held
        return release

    async def _queue_ready(self, ids: list[str], messages: list[NewNotification]) -> None:
        """Queue what may go now; the deferred wait for the sender's housekeeping."""
        ready = [i for i, m in zip(ids, messages, strict=True) if m.not_before is None]
        # Queued state first: a worker fast enough to take the id must find it sendable.
        await self._store.mark_queued(ready)
        for notification_id in ready:
            await self._queue.put(notification_id)
