"""SMS Brandname through a Vietnamese aggregator's HTTP API (customer-care messages, SmsType 2).

The request and answer are those of eSMS.vn's "SendMultipleMessage_V4_post_json" (one recipient
per request); VNPT, Viettel, FPT and SpeedSMS gateways take the same fields under other names:

    POST {api_base_url}{send_path}
    {"ApiKey", "SecretKey", "Brandname", "Phone": "0912345678", "Content", "SmsType": "2",
     "IsUnicode": "0", "RequestId", "CallbackUrl"}
    -> {"CodeResult": "100", "CountRegenerate": 0, "SMSID": "..."}
    -> {"CodeResult": "<code>", "ErrorMessage": "..."}

An operator points the provider elsewhere with the constructor's `api_base_url` (eSMS:
https://rest.esms.vn) and `send_path` (default `SEND_PATH`, eSMS's path), which the service reads
from its settings. A gateway whose fields or codes differ needs a provider of its own.

`Content` must match, character for character apart from its variables, a template registered
with the carriers for the brandname, and is sent unaccented (GSM-7, `IsUnicode` "0"): the caller
renders it that way. Our notification id is the `RequestId`: eSMS refuses a RequestId it has seen
the same day with CodeResult 124 instead of sending again, so a retry after a time-out whose
request did arrive is reported as sent, not sent twice.

Codes are from eSMS's published table (developers.esms.vn, "Bảng mã lỗi"). Its wording for 99
varies (an unknown error in older versions, a blocked number in the current table); we retry it,
as we retry any code we do not know: with the RequestId, a retry cannot send twice.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from notifier.providers.base import OutgoingMessage, PermanentError, Provider, RetryableError

SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
CUSTOMER_CARE = "2"  # SmsType of customer-care (CSKH) brandname messages

ACCEPTED = "100"
DUPLICATE_REQUEST = "124"  # this RequestId was already accepted today
# Refusals that the same request cannot overcome; any other code is retried.
PERMANENT_CODES = {
    "101": "wrong ApiKey or SecretKey",
    "102": "no price list for this account",
    "104": "brandname not registered or not active",
    "108": "phone number refused",
    "118": "wrong SMS type",
    "119": "brandname registered for advertising only",
    "131": "content longer than the registered template allows",
    "140": "our IP address is not whitelisted",
    "146": "content does not match a registered customer-care template",
    "177": "brandname not registered with the recipient's carrier",
    "300": "SMS type missing",
}
RETRYABLE_HTTP = frozenset({408, 429})

_BRANDNAME = re.compile(r"[A-Za-z0-9 ._-]{1,11}")
_VIETNAMESE_MOBILE = re.compile(r"\+84([35789]\d{8})")


def check_brandname(brandname: str) -> str:
    """A brandname as carriers register it: 1 to 11 ASCII letters, digits, spaces, '.', '_', '-'."""
    if not _BRANDNAME.fullmatch(brandname) or not brandname.strip():
        raise ValueError(
            f"brandname {brandname!r}: 1 to 11 ASCII letters, digits, spaces or . _ -"
        )
    return brandname


def national_number(e164: str) -> str:
    """'+84912345678' -> '0912345678', the format the aggregators expect."""
    match = _VIETNAMESE_MOBILE.fullmatch(e164)
    if not match:
        raise PermanentError("brandname SMS reaches Vietnamese mobile numbers only")
    return "0" + match.group(1)


class BrandnameSmsProvider(Provider):
    name = "brandname"
    channel = "sms"

    def __init__(
        self,
        api_base_url: str,
        api_key: str,
        secret_key: str,
        brandname: str,
        timeout_s: float,
        callback_url: str | None = None,
        send_path: str = SEND_PATH,
    ) -> None:
        super().__init__(timeout_s)
        self._url = api_base_url.rstrip("/") + "/" + send_path.lstrip("/")
        self._api_key = api_key
        self._secret_key = secret_key
        self._brandname = check_brandname(brandname)
        self._callback_url = callback_url
        self._session: aiohttp.ClientSession | None = None

    async def _send(self, message: OutgoingMessage) -> str:
        answer = await self._post(self._payload(message))
        return self._provider_ref(answer, message.reference)

    def _payload(self, message: OutgoingMessage) -> dict[str, str]:
        payload = {
            "ApiKey": self._api_key,
            "SecretKey": self._secret_key,
            "Brandname": self._brandname,
            "Phone": national_number(message.to),
            "Content": message.body,
            "SmsType": CUSTOMER_CARE,
            "IsUnicode": "0",
            "RequestId": message.reference,
        }
        if self._callback_url:
            payload["CallbackUrl"] = self._callback_url
        return payload

    async def _post(self, payload: dict[str, str]) -> dict[str, Any]:
        try:
            async with self._client().post(self._url, json=payload) as response:
                if response.status in RETRYABLE_HTTP or response.status >= 500:
                    raise RetryableError(f"brandname gateway answered HTTP {response.status}")
                if response.status >= 400:
                    raise PermanentError(f"brandname gateway refused HTTP {response.status}")
                answer = await response.json(content_type=None)
        except aiohttp.ClientError as e:
            raise RetryableError(f"brandname gateway unreachable: {e!r}") from e
        except ValueError as e:  # not JSON
            raise RetryableError("brandname gateway answered something other than JSON") from e
        if not isinstance(answer, dict):
            raise RetryableError("brandname gateway answered something other than an object")
        return answer

    @staticmethod
    def _provider_ref(answer: dict[str, Any], reference: str) -> str:
        code = str(answer.get("CodeResult", ""))
        if code in (ACCEPTED, DUPLICATE_REQUEST):
            # A repeat is not answered with the first SMSID; the gateway knows it by RequestId.
            return str(answer.get("SMSID") or f"RequestId:{reference}")
        detail = f"CodeResult {code or 'missing'}: {str(answer.get('ErrorMessage', ''))[:100]}"
        if code in PERMANENT_CODES:
            raise PermanentError(f"brandname gateway refused: {PERMANENT_CODES[code]} ({detail})")
        raise RetryableError(f"brandname gateway did not accept ({detail})")

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running event loop, and reused for every send.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout_s)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
