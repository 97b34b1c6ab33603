"""SMS through Twilio's Messages API, with the official `twilio` library (its aiohttp client)."""

from __future__ import annotations

import asyncio
import datetime
import logging

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from notifier.providers.base import OutgoingMessage, PermanentError, Provider, RetryableError

# The library logs each request and response at INFO, recipients included; keep that out.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

# An earlier attempt is looked for among this many of the recipient's latest messages, created
# at most this long before our record of the notification (the two clocks differ).
LOOKUP_LIMIT = 20
CLOCK_SKEW = datetime.timedelta(minutes=5)


class TwilioSmsProvider(Provider):
    name = "twilio"
    channel = "sms"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        messaging_service_sid: str | None,
        api_base_url: str,
        timeout_s: float,
        status_callback_url: str | None = None,
    ) -> None:
        super().__init__(timeout_s)
        self._http = AsyncTwilioHttpClient()
        self._client = Client(account_sid, auth_token, http_client=self._http)
        # The base URL is settable so that tests can point the real library at a local server.
        self._client.api.base_url = api_base_url
        self._sender = sender
        self._messaging_service_sid = messaging_service_sid
        self._status_callback_url = status_callback_url

    async def _send(self, message: OutgoingMessage) -> str:
        options: dict[str, str | None] = (
            {"messaging_service_sid": self._messaging_service_sid}
            if self._messaging_service_sid
            else {"from_": self._sender}
        )
        if self._status_callback_url:
            options["status_callback"] = self._status_callback_url
        try:
            sent = await self._client.messages.create_async(
                to=message.to, body=message.body, **options
            )
        except TwilioRestException as e:
            if e.status == 429 or e.status >= 500:
                raise RetryableError(f"twilio answered {e.status}: {e.msg}") from e
            raise PermanentError(f"twilio refused the message ({e.status}, code {e.code})") from e
        except aiohttp.ClientError as e:
            raise RetryableError(f"twilio unreachable: {e}") from e
        return str(sent.sid)

    async def find_sent(self, message: OutgoingMessage, since: datetime.datetime) -> str | None:
        """Twilio takes no idempotency key, so look among the recipient's latest messages for
        this text, created since the first attempt. If Twilio cannot be asked, do not send:
        the retry asks again."""
        since = since.replace(tzinfo=since.tzinfo or datetime.timezone.utc) - CLOCK_SKEW
        try:
            async with asyncio.timeout(self._timeout_s):
                latest = await self._client.messages.list_async(to=message.to, limit=LOOKUP_LIMIT)
        except (TimeoutError, TwilioRestException, aiohttp.ClientError) as e:
            raise RetryableError(f"twilio could not be asked about an earlier attempt: {e}") from e
        for sent in latest:
            if sent.body == message.body and sent.date_created and sent.date_created >= since:
                return str(sent.sid)
        return None

    async def close(self) -> None:
        await self._http.close()
