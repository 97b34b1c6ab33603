"""A local stand-in for Twilio's Messages API (2010-04-01), enough for the real `twilio` library.

It checks HTTP Basic auth (account SID and auth token), the form fields Twilio requires, answers
with Twilio's JSON shapes (a message resource, or an error with `code` and `more_info`), and
records what it accepted. `fail_next` makes it answer the next requests with given statuses;
`slow_next` makes it accept the next messages but answer only after the given delays, as a
Twilio that a client times out on. It lists messages (newest first, filtered by `To`).
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "0" * 32
    auth_token: str = "test-auth-token"
    messages: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    slow_next: list[float] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)  # final status by phone; delivered
    _callbacks: set[asyncio.Task[None]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Messages.json", self._list_messages)
        return app

    def sent_to(self, phone: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages if m["to"] == phone]

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {"code": code, "message": message, "status": status,
             "more_info": f"https://www.twilio.com/docs/errors/{code}"},
            status=status,
        )

    def _authorised(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    async def _create_message(self, request: web.Request) -> web.Response:
        if not self._authorised(request) or request.match_info["sid"] != self.account_sid:
            return self._error(401, 20003, "Authenticate")
        with self._lock:
            if self.fail_next:
                return self._error(self.fail_next.pop(0), 20500, "Internal Server Error")
        form = await request.post()
        if not form.get("To"):
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body"):
            return self._error(400, 21602, "Message body is required.")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(400, 21603, "A 'From' phone number is required.")
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form["Body"],
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "price": None,
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages.json",
        }
        with self._lock:
            self.messages.append(message)
            delay = self.slow_next.pop(0) if self.slow_next else 0.0
        await asyncio.sleep(delay)
        callback = form.get("StatusCallback")
        if callback:
            task = asyncio.create_task(self._report(str(callback), message))
            self._callbacks.add(task)
            task.add_done_callback(self._callbacks.discard)
        return web.json_response(message, status=201)

    async def _list_messages(self, request: web.Request) -> web.Response:
        if not self._authorised(request) or request.match_info["sid"] != self.account_sid:
            return self._error(401, 20003, "Authenticate")
        to = request.query.get("To")
        page_size = int(request.query.get("PageSize", "50"))
        with self._lock:
            found = [m for m in reversed(self.messages) if to is None or m["to"] == to]
        uri = request.path_qs
        return web.json_response({
            "messages": found[:page_size], "page": 0, "page_size": page_size, "start": 0,
            "end": min(len(found), page_size) - 1, "uri": uri, "first_page_uri": uri,
            "next_page_uri": None, "previous_page_uri": None,
        })

    async def _report(self, url: str, message: dict[str, Any]) -> None:
        """What Twilio does next: POST the final status to the StatusCallback URL, signed with
        X-Twilio-Signature (HMAC-SHA1 of the URL and the sorted parameters, key = auth token)."""
        await asyncio.sleep(0.05)
        status = self.outcomes.get(message["to"], "delivered")
        params = {"MessageSid": message["sid"], "MessageStatus": status,
                  "AccountSid": self.account_sid, "To": message["to"]}
        if status in ("undelivered", "failed"):
            params["ErrorCode"] = "30003"
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        headers = {"X-Twilio-Signature": signature}
        async with aiohttp.ClientSession() as session, session.post(
            url, data=params, headers=headers
        ) as response:
            response.raise_for_status()
