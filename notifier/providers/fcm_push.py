"""Pushes to the iHanoi app through Firebase Cloud Messaging's HTTP v1 API.

FCM v1 authenticates with an OAuth 2.0 access token of a service account. The official
`google-auth` library makes it (it signs the JWT-bearer assertion and calls the token endpoint);
the send itself is one aiohttp request. google-auth's async support for service accounts is
internal and experimental, so its supported blocking transport runs in a thread instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import google.auth.exceptions
from google.auth.transport.requests import Request
from google.oauth2 import service_account

from notifier.providers.base import (
    OutgoingMessage,
    PermanentError,
    Provider,
    ProviderError,
    RetryableError,
)

FCM_API_BASE_URL = "https://fcm.googleapis.com"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"

# FCM's errorCode decides when there is one; otherwise the HTTP status does.
RETRYABLE_ERROR_CODES = frozenset({"UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED"})
FINAL_ERROR_CODES = frozenset(
    {"UNREGISTERED", "INVALID_ARGUMENT", "SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR"}
)
RETRYABLE_STATUSES = frozenset({401, 408, 429})  # and every 5xx


# A token refresh outlives the send that started it (see AccessTokens), so it has a time-out of
# its own, longer than a send's: a slow token endpoint still yields a token for the sends after.
REFRESH_TIMEOUT_S = 30.0


class _TimedRequest(Request):
    """google-auth's `requests` transport with our time-out on each call instead of its 120 s."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self._timeout_s = timeout_s

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        return super().__call__(
            url, method, body, headers, timeout=timeout or self._timeout_s, **kwargs
        )


class AccessTokens:
    """The service account's access token, cached until google-auth deems it close to expiry
    (3 min 45 s before), and refreshed once for all the sends that need it at the same time."""

    def __init__(self, service_account_info: dict[str, Any]) -> None:
        self._credentials = service_account.Credentials.from_service_account_info(
            service_account_info, scopes=[FCM_SCOPE]
        )
        self._request = _TimedRequest(REFRESH_TIMEOUT_S)
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Future[None] | None = None

    async def get(self, rejected: str | None = None) -> str:
        """A valid token; a new one if the current one is `rejected` (FCM answered 401)."""
        async with self._lock:
            token = self._credentials.token
            if not self._credentials.valid or (rejected is not None and token == rejected):
                await self._refreshed()
            return str(self._credentials.token)

    async def _refreshed(self) -> None:
        # A thread cannot be cancelled: a send that times out leaves its refresh running, and
        # the next caller waits for that one rather than starting a second (the shield keeps
        # the refresh alive when its caller is cancelled, and marks its outcome as seen).
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.ensure_future(
                asyncio.to_thread(self._credentials.refresh, self._request)
            )
        try:
            await asyncio.shield(self._refresh)
        except google.auth.exceptions.TransportError as e:
            raise RetryableError(f"fcm token endpoint unreachable: {e}") from e
        except google.auth.exceptions.RefreshError as e:
            if e.retryable:
                raise RetryableError(f"fcm token endpoint failed: {e}") from e
            # A deleted key or a wrong service account: no message can go until someone fixes it.
            email = self._credentials.service_account_email
            raise PermanentError(f"fcm token refused for {email}: {e}") from e

    def close(self) -> None:
        self._request.session.close()


def fcm_message(message: OutgoingMessage) -> dict[str, Any]:
    """The v1 send request body. `data` carries what the app needs to open the dossier."""
    notification = {"body": message.body}
    if message.title:
        notification["title"] = message.title
    data = {"reference": message.reference}
    if message.link:
        data["link"] = message.link
    return {
        "message": {
            "token": message.to,
            "notification": notification,
            "data": data,
            "android": {"priority": "high"},
            "apns": {"headers": {"apns-priority": "10"}},
        }
    }


def fcm_error_code(body: dict[str, Any]) -> str | None:
    """The FcmError errorCode of an error answer (UNREGISTERED, QUOTA_EXCEEDED, ...), if any."""
    error = body.get("error")
    details = error.get("details") if isinstance(error, dict) else None
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("@type") == FCM_ERROR_TYPE:
            return str(detail.get("errorCode"))
    return None


def error_for(status: int, body: dict[str, Any]) -> ProviderError:
    error = body.get("error")
    error = error if isinstance(error, dict) else {}
    code = fcm_error_code(body)
    reason = " ".join(str(part) for part in (error.get("status"), code) if part)
    text = f"fcm answered {status} {reason}: {error.get('message', '')}"
    retryable = code in RETRYABLE_ERROR_CODES or (
        code not in FINAL_ERROR_CODES and (status in RETRYABLE_STATUSES or status >= 500)
    )
    if retryable:
        return RetryableError(text[:300])
    return PermanentError(text[:300])


class FcmPushProvider(Provider):
    name = "fcm"
    channel = "push"

    def __init__(
        self,
        service_account_info: dict[str, Any],
        api_base_url: str,
        timeout_s: float,
    ) -> None:
        super().__init__(timeout_s)
        self._tokens = AccessTokens(service_account_info)
        project_id = service_account_info["project_id"]
        self._url = f"{api_base_url.rstrip('/')}/v1/projects/{project_id}/messages:send"
        self._session: aiohttp.ClientSession | None = None

    async def _send(self, message: OutgoingMessage) -> str:
        payload = fcm_message(message)
        token = await self._tokens.get()
        status, body = await self._post(payload, token)
        if status == 401 and fcm_error_code(body) != "THIRD_PARTY_AUTH_ERROR":
            # Our token expired early or was revoked: one new token, one more try.
            token = await self._tokens.get(rejected=token)
            status, body = await self._post(payload, token)
        if status != 200:
            raise error_for(status, body)
        name = body.get("name")
        if not isinstance(name, str):  # not FCM's answer (a proxy's page?): nothing was sent
            raise RetryableError("fcm answered 200 without a message name")
        return name

    async def _post(self, payload: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(
                self._url, json=payload, headers={"Authorization": f"Bearer {token}"}
            ) as response:
                return response.status, await _json_object(response)
        except aiohttp.ClientError as e:
            raise RetryableError(f"fcm unreachable: {e!r}") from e

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._tokens.close()


async def _json_object(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """The answer's JSON object, or {} for anything else (a proxy's HTML error page)."""
    try:
        body = await response.json(content_type=None)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
