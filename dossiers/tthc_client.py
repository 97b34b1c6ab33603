"""The city's TTHC information system as a dossier source, over the HTTP contract of
docs/tthc-contract.md (our own design: the system publishes no specification).

    GET {base_url}/api/v1/dossiers/{code, URL-encoded}    X-API-Key: {api_key}
    200 the dossier (JSON) | 404 {"error": "not_found"} | 401/403 bad key | 429 | 5xx

A lookup is one call: up to 1 + `retries` attempts of at most `timeout_s` each, with exponential
backoff and full jitter between them, retried on time-outs, connection errors, 408, 429 (after
Retry-After, unless it asks for more than MAX_RETRY_AFTER_S) and 5xx. Anything that does not
tell us for certain whether the dossier exists raises SourceUnavailable, so that a resident is
never told that an existing dossier does not exist: a 404 counts as "no such code" only with
the contract's `{"error": "not_found"}` body (a 404 from a wrong base URL or a proxy has none).

Failed calls feed a circuit breaker (dossiers/breaker.py): after `breaker_threshold` of them
in a row, lookups fail at once for `breaker_reset_s`, then one trial call is let through.

The applicant's phone number never reaches the logs, nor the exceptions we raise: validation
errors are reported by field name and error type only, and raised `from None`.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import logging
import random
from urllib.parse import quote

import aiohttp
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from yarl import URL

from dossiers.breaker import CircuitBreaker
from dossiers.model import Dossier, DossierStatus, PaymentState, SourceUnavailable
from notifier.phone import InvalidPhone, to_e164

logger = logging.getLogger(__name__)

DOSSIER_PATH = "/api/v1/dossiers/"
# A 429 asking us to wait longer than this is not retried: the resident is waiting in a chat.
MAX_RETRY_AFTER_S = 2.0
RETRYABLE_STATUSES = frozenset({408, 429})  # and every 5xx
GARBAGE = "garbage"

_URL = r"^https?://\S+$"


class _DossierPayload(BaseModel):
    """The 200 answer. Strict: every field must be present (null where the contract allows
    it) and of its JSON type; fields we do not know are ignored, so that the system can add
    some without breaking us."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    code: str = Field(min_length=1)
    procedure_name: str = Field(min_length=1)
    status: DossierStatus
    applicant_phone: str
    handling_body: str | None
    received_at: AwareDatetime
    due_date: datetime.date | None
    new_due_date: datetime.date | None
    missing_documents: list[str]
    supplement_deadline: datetime.date | None
    result_url: str | None = Field(pattern=_URL)
    rejection_reason: str | None
    payment_state: PaymentState
    receipt_url: str | None = Field(pattern=_URL)
    updated_at: AwareDatetime

    def to_dossier(self, phone_e164: str) -> Dossier:
        # received_at is validated but not carried: Dossier has no field for it.
        return Dossier(
            code=self.code,
            procedure=self.procedure_name,
            status=self.status,
            applicant_phone=phone_e164,
            updated_at=self.updated_at,
            handling_body=self.handling_body,
            due_date=self.due_date,
            new_due_date=self.new_due_date,
            missing_documents=tuple(self.missing_documents),
            supplement_deadline=self.supplement_deadline,
            result_url=self.result_url,
            rejection_reason=self.rejection_reason,
            payment=self.payment_state,
            receipt_url=self.receipt_url,
        )


class _Retryable(Exception):
    """An attempt failed in a way another attempt may not."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


def retry_after_s(value: str | None, now: datetime.datetime | None = None) -> float | None:
    """Retry-After in seconds: delta-seconds ('3') or an HTTP date; None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, says RFC 5322
        when = when.replace(tzinfo=datetime.timezone.utc)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return max(0.0, (when - now).total_seconds())


class TthcDossierSource:
    """DossierSource over the TTHC system's HTTP API."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout_s: float = 3.0,
        retries: int = 2,
        backoff_s: float = 0.2,
        breaker_threshold: int = 5,
        breaker_reset_s: float = 30.0,
    ) -> None:
        base = URL(base_url)
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError("base_url must be an absolute http(s) URL")
        if timeout_s <= 0 or retries < 0 or backoff_s < 0:
            raise ValueError("timeout_s must be positive, retries and backoff_s not negative")
        self._base = str(base).rstrip("/")
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._retries = retries
        self._backoff_s = backoff_s
        self._breaker = CircuitBreaker(breaker_threshold, breaker_reset_s, name="tthc")
        self._random = random.Random()
        self._session: aiohttp.ClientSession | None = None

    async def get(self, code: str) -> Dossier | None:
        if not self._breaker.allow():
            raise SourceUnavailable("circuit open")
        try:
            dossier = await self._get_with_retries(code)
        except SourceUnavailable:
            self._breaker.failed()
            raise
        except BaseException:
            self._breaker.abandoned()
            raise
        self._breaker.succeeded()
        return dossier

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _url(self, code: str) -> URL:
        # safe="": a '/' or '?' in a code must stay inside the path segment.
        return URL(self._base + DOSSIER_PATH + quote(code, safe=""), encoded=True)

    async def _get_with_retries(self, code: str) -> Dossier | None:
        url = self._url(code)
        for attempt in range(self._retries + 1):
            try:
                return await self._attempt(url, code)
            except _Retryable as e:
                failure = e
            if attempt < self._retries:
                delay = self._delay_s(attempt, failure.retry_after_s)
                logger.info("TTHC attempt %d for code=%s failed (%s), retry in %.2f s",
                            attempt + 1, code, failure, delay)
                await asyncio.sleep(delay)
        logger.warning("TTHC gave no usable answer for code=%s after %d attempts: %s",
                       code, self._retries + 1, failure)
        raise SourceUnavailable(str(failure))

    def _delay_s(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with full jitter, but never sooner than Retry-After."""
        jittered = self._random.uniform(0, self._backoff_s * 2**attempt)
        return max(jittered, retry_after or 0.0)

    async def _attempt(self, url: URL, code: str) -> Dossier | None:
        try:
            # No redirects: the API key must not follow one to another host.
            async with self._client().get(url, allow_redirects=False) as response:
                return await self._answer(response, code)
        except asyncio.TimeoutError:
            raise _Retryable(f"time-out after {self._timeout_s:g} s") from None
        except aiohttp.ClientError as e:
            raise _Retryable(f"connection error ({type(e).__name__})") from None

    async def _answer(self, response: aiohttp.ClientResponse, code: str) -> Dossier | None:
        status = response.status
        if status == 200:
            return _parse(await response.read(), code)
        if status == 404:
            _check_not_found(await response.read(), code)
            return None
        if status in (401, 403):
            logger.error("configuration error: TTHC refused our API key (HTTP %d)", status)
            raise SourceUnavailable(f"TTHC refused the API key (HTTP {status})")
        if status == 429:
            raise _rate_limited(response.headers.get("Retry-After"))
        if status in RETRYABLE_STATUSES or status >= 500:
            raise _Retryable(f"HTTP {status}")
        logger.error("TTHC answered HTTP %d for code=%s, which the contract does not allow",
                     status, code)
        raise SourceUnavailable(f"unexpected HTTP {status}")

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running event loop, and reused for every lookup.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout_s),
                headers={"X-API-Key": self._api_key, "Accept": "application/json"},
            )
        return self._session


def _parse(body: bytes, code: str) -> Dossier:
    try:
        payload = _DossierPayload.model_validate_json(body)
    except ValidationError as e:
        # Field names and error types only: the input values include the applicant's phone.
        problems = ", ".join(
            f"{'.'.join(map(str, err['loc'])) or 'body'}: {err['type']}" for err in e.errors()
        )
        logger.warning("TTHC answered garbage for code=%s: %s", code, problems)
        raise SourceUnavailable(GARBAGE) from None
    if payload.code != code:
        # Someone else's dossier (a cache or proxy mix-up) must never be shown.
        logger.error("TTHC answered for another code than code=%s", code)
        raise SourceUnavailable(GARBAGE)
    try:
        phone = to_e164(payload.applicant_phone)
    except InvalidPhone:
        logger.warning("TTHC dossier code=%s: applicant_phone is not a Vietnamese mobile", code)
        raise SourceUnavailable(GARBAGE) from None
    return payload.to_dossier(phone)


class _NotFound(BaseModel):
    model_config = ConfigDict(strict=True)

    error: str


def _check_not_found(body: bytes, code: str) -> None:
    """Accept the contract's 404; any other 404 (wrong base URL, a proxy) tells us nothing."""
    try:
        answer: _NotFound | None = _NotFound.model_validate_json(body)
    except ValidationError:
        answer = None
    if answer is None or answer.error != "not_found":
        logger.error("configuration error: TTHC answered a 404 without the not_found body for "
                     "code=%s; check base_url", code)
        raise SourceUnavailable("unexpected 404")


def _rate_limited(header: str | None) -> Exception:
    wait = retry_after_s(header)
    if wait is not None and wait > MAX_RETRY_AFTER_S:
        logger.warning("TTHC rate-limits us for %.0f s: not waiting", wait)
        return SourceUnavailable(f"rate limited for {wait:.0f} s")
    return _Retryable("HTTP 429", wait)
