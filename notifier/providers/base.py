"""The provider interface: the base class owns timing, timeouts, logging and error mapping; each
provider only translates one request and its response (the shape of GOV.UK Notify's clients)."""

from __future__ import annotations

import abc
import asyncio
import datetime
import logging
import time
from dataclasses import dataclass

from notifier.phone import mask

logger = logging.getLogger(__name__)


class ProviderError(Exception):
    """A send that did not happen. Subclasses say whether trying again can help."""


class RetryableError(ProviderError):
    """Time-out, network error, 5xx or throttling: the same send may succeed later."""


class PermanentError(ProviderError):
    """The provider refused this message (bad number, blocked sender, unregistered app): do not
    retry it on this channel."""


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one recipient, as a provider needs it.

    `to` is an E.164 phone number for SMS and a device registration token for push; `title` and
    `link` (a deep link into the iHanoi app) are used by push only.
    """

    reference: str  # our notification id, echoed back by providers that accept one
    to: str
    body: str
    title: str | None = None
    link: str | None = None


class Provider(abc.ABC):
    name: str
    channel: str  # "sms" or "push"

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s

    async def send(self, message: OutgoingMessage) -> str:
        """Send one message; return the provider's reference for it, or raise ProviderError."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._timeout_s):  # no extra task, unlike wait_for
                provider_ref = await self._send(message)
        except TimeoutError as e:
            raise RetryableError(f"{self.name} did not answer in {self._timeout_s} s") from e
        finally:
            logger.info(
                "%s provider=%s reference=%s to=%s took_ms=%.1f",
                self.channel, self.name, message.reference, mask(message.to),
                (time.monotonic() - started) * 1000,
            )
        return provider_ref

    @abc.abstractmethod
    async def _send(self, message: OutgoingMessage) -> str: ...

    async def find_sent(self, message: OutgoingMessage, since: datetime.datetime) -> str | None:
        """The provider's reference for `message` if an earlier attempt, since `since`, reached
        it after all (a time-out, a worker killed before it recorded the answer); else None.
        Providers that take our reference as an idempotency key have nothing to look up."""
        return None

    async def close(self) -> None:
        return None
