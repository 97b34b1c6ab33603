"""A local stand-in for a Vietnamese SMS Brandname aggregator, in eSMS.vn's JSON shape.

It checks what the real gateway and the carriers check before accepting a customer-care message:
the ApiKey and SecretKey (101), a registered brandname (104), the phone number format (108), the
SMS type (300), and content that matches one of the registered templates, unaccented, in at most
two GSM-7 segments (146; eSMS documents no separate code for the last two). Accepted messages are
recorded. A RequestId seen before is answered as eSMS documents it, CodeResult 124 without an
SMSID and without sending again (`echo_smsid_on_duplicate` answers 100 with the first SMSID
instead, for a gateway that behaves so); unlike eSMS, which forgets RequestIds after a day, it never
forgets. `fail_next` answers the next requests with an HTTP status (500, 429) or a CodeResult
("99"); `delay_s` delays every answer but not the handling of the request, so that a client
that gives up waiting has still had its message sent, as happens with a real gateway.
"""

from __future__ import annotations

import asyncio
import re
import string
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"

_PHONE = re.compile(r"(?:0|84)[35789]\d{8}")
# Unaccented GSM-7: printable ASCII but the backtick; the extension characters take two septets.
_GSM7_ASCII = (set(string.printable) - set("`\t\x0b\x0c")) | {"\n", "\r"}
_GSM7_EXTENSION = set("{}[]~^|\\")
_MAX_SEPTETS = 2 * 153


def _within_two_unaccented_segments(content: str) -> bool:
    if any(ch not in _GSM7_ASCII for ch in content):
        return False
    return len(content) + sum(ch in _GSM7_EXTENSION for ch in content) <= _MAX_SEPTETS


@dataclass
class FakeBrandname:
    api_key: str = "test-api-key"
    secret_key: str = "test-secret-key"
    brandnames: list[str] = field(default_factory=lambda: ["UBNDHANOI"])
    templates: list[str] = field(default_factory=lambda: [r"TTPVHCC Ha Noi.*"])  # full match
    path: str = SEND_PATH
    messages: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # RequestIds answered as repeats
    fail_next: list[int | str] = field(default_factory=list)
    delay_s: float = 0.0
    echo_smsid_on_duplicate: bool = False
    _by_request_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(self.path, self._send)
        return app

    def sent_to(self, phone: str) -> list[dict[str, Any]]:
        """Accepted messages to a number in the gateway's format ('0912345678')."""
        with self._lock:
            return [m for m in self.messages if m["Phone"] == phone]

    @staticmethod
    def _answer(code: str, message: str | None = None, smsid: str | None = None) -> web.Response:
        body: dict[str, Any] = {"CodeResult": code, "CountRegenerate": 0}
        if smsid:
            body["SMSID"] = smsid
        if message:
            body["ErrorMessage"] = message
        return web.json_response(body)

    def _failure(self) -> web.Response | None:
        with self._lock:
            if not self.fail_next:
                return None
            failure = self.fail_next.pop(0)
        if isinstance(failure, int):
            return web.json_response({"error": "Internal error"}, status=failure)
        return self._answer(failure, "Simulated failure")

    def _refusal(self, request: dict[str, Any]) -> web.Response | None:
        """The answer to a request the gateway or the carriers refuse, or None."""
        content = str(request.get("Content", ""))
        if (request.get("ApiKey"), request.get("SecretKey")) != (self.api_key, self.secret_key):
            return self._answer("101", "Authorize Failed")
        if request.get("Brandname") not in self.brandnames:
            return self._answer("104", "Brand name code is not exist")
        if not _PHONE.fullmatch(str(request.get("Phone", ""))):
            return self._answer("108", "Phone number is not in correct format")
        if str(request.get("SmsType")) != "2":
            return self._answer("300", "Missing or unsupported SmsType")
        if not _within_two_unaccented_segments(content):
            return self._answer("146", "Content is not unaccented GSM-7 in two segments")
        if not any(re.fullmatch(t, content, re.DOTALL) for t in self.templates):
            return self._answer("146", "Sai template Brandname CSKH")
        return None

    async def _send(self, request: web.Request) -> web.Response:
        answer = await self._handle(request)
        # A slow gateway: the request is handled at once, its answer comes late (and is lost if
        # the client has given up by then; the test server then cancels this handler).
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return answer

    async def _handle(self, request: web.Request) -> web.Response:
        failure = self._failure()
        if failure is not None:
            return failure
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response({"error": "Invalid request"}, status=400)
        refusal = self._refusal(body)
        if refusal is not None:
            return refusal
        return self._accept(body)

    def _accept(self, body: dict[str, Any]) -> web.Response:
        request_id = str(body.get("RequestId") or "")
        with self._lock:
            first = self._by_request_id.get(request_id) if request_id else None
            if first is None:
                first = {k: v for k, v in body.items() if k not in ("ApiKey", "SecretKey")}
                first["SMSID"] = uuid.uuid4().hex
                self.messages.append(first)
                if request_id:
                    self._by_request_id[request_id] = first
                return self._answer("100", smsid=first["SMSID"])
            self.duplicates.append(request_id)
        if self.echo_smsid_on_duplicate:
            return self._answer("100", smsid=first["SMSID"])
        return web.json_response(
            {"CodeResult": "124", "CountRegenerate": 0, "ErrorMessage": "Request exist 1",
             "SendStatus": "5"}
        )
