"""`python -m service`: run our HTTP service with settings from the environment."""

from __future__ import annotations

import logging

import uvloop
from aiohttp import web

from service.app import create_app
from service.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    logging.getLogger(__name__).info(
        "chat page on http://%s:%d/", settings.service_host, settings.service_port
    )
    web.run_app(
        create_app(settings), host=settings.service_host, port=settings.service_port,
        print=None, access_log=None, loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
