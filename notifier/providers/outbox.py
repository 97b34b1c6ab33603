"""The development providers: they accept every message and deliver none.

They are the default when no real provider is configured, so that `make run` works on a laptop
with no account anywhere; the message stays in the database with provider "outbox" and a warning
is logged at start-up. Never configure them in production.
"""

from __future__ import annotations

import uuid

from notifier.providers.base import OutgoingMessage, Provider


class OutboxSmsProvider(Provider):
    name = "outbox"
    channel = "sms"

    async def _send(self, message: OutgoingMessage) -> str:
        return f"outbox-{uuid.uuid4()}"


class OutboxPushProvider(OutboxSmsProvider):
    channel = "push"
