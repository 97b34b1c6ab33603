"""From a verified step event to queued notifications: render, record, enqueue."""

from __future__ import annotations

import logging

from notifier.events import StepEvent
from notifier.phone import mask
from notifier.store import Ingested, NotificationStore, Status
from notifier.templates import SmsTemplates
from notifier.work_queue import WorkQueue

logger = logging.getLogger(__name__)


class Ingestor:
    def __init__(self, store: NotificationStore, queue: WorkQueue, templates: SmsTemplates) -> None:
        self._store = store
        self._queue = queue
        self._templates = templates

    async def ingest(self, event: StepEvent) -> Ingested:
        """Record the event and queue its SMS once; a repeat returns the first result."""
        body = self._templates.render(event.step, event.dossier_code, event.procedure)
        ingested = await self._store.record_event(event, body, self._templates.version)
        if ingested.duplicate:
            logger.info("duplicate event_id=%s dossier=%s", event.event_id, event.dossier_code)
            return ingested
        for notification_id in ingested.notification_ids:
            # Queued state first: a worker fast enough to take the id must find it sendable.
            await self._store.transition(notification_id, [Status.CREATED], Status.QUEUED)
            await self._queue.put(notification_id)
        logger.info(
            "event_id=%s dossier=%s step=%s to=%s queued=%d",
            event.event_id, event.dossier_code, event.step.value, mask(event.phone),
            len(ingested.notification_ids),
        )
        return ingested
