"""The application factory: routes, and every pool or worker opened and closed in one place."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from dossiers.limits import AttemptLimiter, MemoryAttemptLimiter, RedisAttemptLimiter
from dossiers.lookup import DossierLookup
from dossiers.mirror import MirrorDossierSource
from dossiers.model import DossierSource
from dossiers.tthc_client import TthcDossierSource
from knowledge.gaps import GapLog
from knowledge.records import load_procedures
from knowledge.resolve import ProcedureResolver
from knowledge.search import ProcedureSearch
from notifier import http as notifier_http
from notifier.api_keys import parse_keys
from notifier.ingest import Ingestor, Limits
from notifier.policy import QuietHours
from notifier.redis_client import redis_client
from notifier.replay import MemoryReplayGuard, RedisReplayGuard, ReplayGuard
from notifier.sender import Housekeeping, Sender
from notifier.store import NotificationStore
from notifier.templates import Templates
from notifier.work_queue import MemoryQueue, RedisStreamQueue, WorkQueue
from service import api, dossier_api, gaps_api
from service.errors import json_errors
from service.keys import (
    API_KEYS,
    DOSSIER_LOOKUP,
    GAPS,
    INGESTOR,
    MIRROR,
    RASA_SESSION,
    REPLAY_GUARD,
    RESOLVER,
    SEARCH,
    SETTINGS,
    STORE,
)
from service.providers import build_channels
from service.settings import Settings

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
# How long a shutdown waits for the in-service sender to finish the batch in hand (a batch's
# sends run concurrently, each bounded by its provider's timeout).
SENDER_STOP_GRACE_S = 15.0


async def work_queue(settings: Settings) -> WorkQueue:
    if settings.redis_url:
        return await RedisStreamQueue.connect(
            settings.redis_url, settings.notifier_stream, settings.notifier_reclaim_idle_s
        )
    return MemoryQueue()


def sender(
    settings: Settings, store: NotificationStore, queue: WorkQueue, brandname: str
) -> Sender:
    housekeeping = Housekeeping(
        stalled_after=datetime.timedelta(seconds=settings.notifier_stalled_after_s),
        lost_after=datetime.timedelta(seconds=settings.notifier_lost_after_s),
        retention=datetime.timedelta(days=settings.retention_days),
    )
    return Sender(store, queue, build_channels(settings, brandname), housekeeping=housekeeping)


def replay_guard(settings: Settings) -> ReplayGuard:
    if settings.redis_url:
        client = redis_client(settings.redis_url)
        return RedisReplayGuard(client, f"{settings.notifier_stream}:seen")
    return MemoryReplayGuard()


def ingestor(
    settings: Settings, store: NotificationStore, queue: WorkQueue, mirror: MirrorDossierSource
) -> Ingestor:
    """Step events are stored with the dossier states they carry, in one transaction."""
    return Ingestor(
        store, queue, Templates(),
        QuietHours(settings.quiet_hours_start, settings.quiet_hours_end),
        Limits(per_recipient=settings.recipient_limit_per_hour),
        push_enabled=settings.push_provider != "none",
        record_also=mirror.record,
    )


async def _knowledge(app: web.Application) -> AsyncIterator[None]:
    app[SEARCH] = ProcedureSearch(load_procedures())
    app[RESOLVER] = ProcedureResolver(app[SEARCH])
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
    app[STORE] = store
    app[MIRROR] = MirrorDossierSource(store.engine)
    await app[MIRROR].create_schema()
    app[GAPS] = GapLog(store.engine)
    await app[GAPS].create_schema()
    app[INGESTOR] = ingestor(settings, store, queue, app[MIRROR])
    app[API_KEYS] = parse_keys(
        settings.notifier_api_keys.get_secret_value() if settings.notifier_api_keys else ""
    )
    app[REPLAY_GUARD] = replay_guard(settings)
    worker = sender(settings, store, queue, app[INGESTOR].templates.registry.brandname)
    running = (
        asyncio.create_task(worker.run(), name="sender")
        if settings.notifier_sender_in_service else None
    )
    yield
    if running:
        worker.stop()
        await _finish(running, SENDER_STOP_GRACE_S)
    await worker.close()
    await app[REPLAY_GUARD].close()
    await queue.close()
    await store.close()


async def _finish(task: asyncio.Task[None], grace_s: float) -> None:
    """Wait for a task told to stop; cancel it if it has not stopped within `grace_s`."""
    done, _ = await asyncio.wait({task}, timeout=grace_s)
    if not done:
        logger.warning("%s did not stop within %.0f s: cancelled", task.get_name(), grace_s)
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def dossier_source(settings: Settings, mirror: MirrorDossierSource) -> DossierSource:
    if settings.dossier_source == "tthc":
        assert settings.tthc_base_url and settings.tthc_api_key  # checked by Settings
        return TthcDossierSource(
            settings.tthc_base_url, settings.tthc_api_key.get_secret_value(),
            timeout_s=settings.tthc_timeout_s,
        )
    return mirror


async def _dossiers(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    limiter: AttemptLimiter = MemoryAttemptLimiter()
    client = redis_client(settings.redis_url) if settings.redis_url else None
    if client is not None:
        limiter = RedisAttemptLimiter(client, f"{settings.notifier_stream}:lookups")
    source = dossier_source(settings, app[MIRROR])
    app[DOSSIER_LOOKUP] = DossierLookup(source, limiter, app[STORE].engine)
    await app[DOSSIER_LOOKUP].create_schema()
    yield
    await source.close()
    if client is not None:
        await client.aclose()


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[json_errors], client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([_knowledge, _rasa_session, _notifier, _dossiers])
    app.add_routes(api.routes)
    app.add_routes(dossier_api.routes)
    app.add_routes(gaps_api.routes)
    app.add_routes(notifier_http.routes)
    app.router.add_get("/", _index)
    app.router.add_static("/static", STATIC_DIR)
    return app
