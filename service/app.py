"""The application factory: routes, and every pool or worker opened and closed in one place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from knowledge.records import load_procedures
from knowledge.search import ProcedureSearch
from notifier import http as notifier_http
from notifier.ingest import Ingestor
from notifier.providers.base import Provider
from notifier.providers.outbox import OutboxSmsProvider
from notifier.providers.twilio_sms import TwilioSmsProvider
from notifier.sender import Sender
from notifier.store import NotificationStore
from notifier.templates import SmsTemplates
from notifier.work_queue import MemoryQueue, RedisStreamQueue, WorkQueue
from service import api
from service.errors import json_errors
from service.keys import INGESTOR, RASA_SESSION, SEARCH, SETTINGS, STORE
from service.settings import Settings

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"


def sms_provider(settings: Settings) -> Provider:
    if settings.sms_provider == "twilio":
        assert settings.twilio_account_sid and settings.twilio_auth_token  # checked by Settings
        return TwilioSmsProvider(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            settings.sms_sender,
            settings.twilio_messaging_service_sid,
            settings.twilio_api_base_url,
            settings.provider_timeout_s,
        )
    logger.warning("SMS_PROVIDER=outbox: messages are recorded but not delivered to any phone")
    return OutboxSmsProvider(settings.provider_timeout_s)


async def work_queue(settings: Settings) -> WorkQueue:
    if settings.redis_url:
        return await RedisStreamQueue.connect(settings.redis_url, settings.notifier_stream)
    return MemoryQueue()


async def _knowledge(app: web.Application) -> AsyncIterator[None]:
    app[SEARCH] = ProcedureSearch(load_procedures())
    yield


async def _rasa_session(app: web.Application) -> AsyncIterator[None]:
    timeout = aiohttp.ClientTimeout(total=app[SETTINGS].rasa_timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        app[RASA_SESSION] = session
        yield


async def _notifier(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = NotificationStore.from_url(settings.sqlalchemy_url, settings.database_schema)
    await store.create_schema()
    queue = await work_queue(settings)
    provider = sms_provider(settings)
    app[STORE] = store
    app[INGESTOR] = Ingestor(store, queue, SmsTemplates())
    sender = asyncio.create_task(Sender(store, queue, provider).run())
    yield
    sender.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sender
    await provider.close()
    await queue.close()
    await store.close()


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[json_errors], client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([_knowledge, _rasa_session, _notifier])
    app.add_routes(api.routes)
    app.add_routes(notifier_http.routes)
    app.router.add_get("/", _index)
    app.router.add_static("/static", STATIC_DIR)
    return app
