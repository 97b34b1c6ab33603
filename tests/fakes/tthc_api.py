"""A local stand-in for the city's TTHC information system, serving docs/tthc-contract.md.

    GET /api/v1/dossiers/{code}    X-API-Key: {api_key}

It answers 401 to a missing or wrong key, 404 `{"error": "not_found"}` to a code it does not
hold, and 200 with the stored record as is (tests put invalid records in to see them refused).
`fail_next` answers the next requests with an HTTP status (a 429 carries `Retry-After:
{retry_after}`) or, for "garbage", a 200 maintenance page in HTML. `delay_s` delays every answer
(the failure to send is decided first, as a real server would). `requests` counts the requests
that reached it, `paths` keeps their raw, still URL-encoded paths, and `arrived` is set by each
(clear it, then wait for it, to act while a request is being answered).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DOSSIER_ROUTE = "/api/v1/dossiers/{code}"
GARBAGE = "garbage"


@dataclass
class FakeTthc:
    dossiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    api_key: str = "test-tthc-key"
    delay_s: float = 0.0
    fail_next: list[int | str] = field(default_factory=list)
    retry_after: str = "1"
    requests: int = 0
    paths: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set by every request

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(DOSSIER_ROUTE, self._get_dossier)
        return app

    async def _get_dossier(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.paths.append(request.raw_path)
        self.arrived.set()
        answer = self._answer(request)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return answer

    def _answer(self, request: web.Request) -> web.Response:
        if request.headers.get("X-API-Key") != self.api_key:
            return web.json_response({"error": "unauthorized"}, status=401)
        if self.fail_next:
            return self._failure(self.fail_next.pop(0))
        record = self.dossiers.get(request.match_info["code"])
        if record is None:
            return web.json_response({"error": "not_found"}, status=404)
        return web.json_response(record)

    def _failure(self, failure: int | str) -> web.Response:
        if failure == GARBAGE:
            return web.Response(
                text="<html><body>Hệ thống đang bảo trì</body></html>", content_type="text/html"
            )
        if not isinstance(failure, int):
            raise ValueError(f"fail_next takes HTTP statuses or {GARBAGE!r}, not {failure!r}")
        headers = {"Retry-After": self.retry_after} if failure == 429 else None
        return web.json_response({"error": "simulated"}, status=failure, headers=headers)
