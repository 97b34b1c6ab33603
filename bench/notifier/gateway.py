"""The benchmark's provider: the local brandname gateway in a process of its own, plus GET /stats
with what it accepted and when (monotonic clock of this machine)."""

from __future__ import annotations

import sys
import time
from typing import Any

import uvloop
from aiohttp import web

from tests.fakes.brandname_api import FakeBrandname


def main(port: int) -> None:
    fake = FakeBrandname()
    arrivals: dict[str, float] = {}

    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        if request.path != "/stats":
            for message in fake.messages[len(arrivals):]:
                arrivals.setdefault(message["RequestId"], time.monotonic())
        return response

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"accepted": len(fake.messages), "repeats": len(fake.duplicates),
                                  "arrivals": arrivals})

    app = fake.app()
    app.middlewares.append(web.middleware(record))
    app.router.add_get("/stats", stats)
    web.run_app(
        app, host="127.0.0.1", port=port, print=None, access_log=None,
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
