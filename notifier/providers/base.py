"""The provider interface: the base class owns timing, timeouts, logging and error mapping; each
provider only translates one request and its response (the shape of GOV.UK Notify's clients)."""

from __future__ import annotations

import abc
import asyncio
import logging
import time

from notifier.phone import mask

logger = logging.getLogger(__name__)


class ProviderError(Exception):
    """A send that did not happen. Subclasses say whether trying again can help."""


class RetryableError(ProviderError):
    """Time-out, network error, 5xx or throttling: the same send may succeed later."""


class PermanentError(ProviderError):
    """The provider refused this message (bad number, blocked sender): do not retry."""


class SmsProvider(abc.ABC):
    name: str

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s

    async def send(self, to: str, body: str, reference: str) -> str:
        """Send one SMS; return the provider's reference for it, or raise ProviderError."""
        started = time.monotonic()
        try:
            provider_ref = await asyncio.wait_for(self._send(to, body, reference), self._timeout_s)
        except asyncio.TimeoutError as e:
            raise RetryableError(f"{self.name} did not answer in {self._timeout_s} s") from e
        finally:
            logger.info(
                "sms provider=%s reference=%s to=%s took_ms=%.1f",
                self.name, reference, mask(to), (time.monotonic() - started) * 1000,
            )
        return provider_ref

    @abc.abstractmethod
    async def _send(self, to: str, body: str, reference: str) -> str: ...

    async def close(self) -> None:
        return None
