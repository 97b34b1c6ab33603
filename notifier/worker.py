"""`python -m notifier.worker`: one sender process, for running senders apart from the service.

Start as many as the load needs, on as many machines, all with the same DATABASE_URL and
REDIS_URL: they share the Redis consumer group, so each notification goes to one of them, and
what a dead one held is reclaimed by the others. Set NOTIFIER_SENDER_IN_SERVICE=false on the
service then.
"""

from __future__ import annotations

import asyncio
import logging
import signal

import uvloop

from notifier.store import NotificationStore
from notifier.templates import BrandnameRegistry
from service.app import sender, work_queue
from service.settings import Settings

logger = logging.getLogger(__name__)


async def run(settings: Settings) -> None:
    store = NotificationStore.from_url(settings.sqlalchemy_url, settings.database_schema)
    await store.create_schema()
    queue = await work_queue(settings)
    worker = sender(settings, store, queue, BrandnameRegistry().brandname)
    for signum in (signal.SIGTERM, signal.SIGINT):  # finish the batch in hand, then exit
        asyncio.get_running_loop().add_signal_handler(signum, worker.stop)
    logger.info("sender worker started")
    try:
        await worker.run()
        logger.info("sender worker stopped")
    finally:
        await worker.close()
        await queue.close()
        await store.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    if not settings.redis_url:
        raise SystemExit("a separate worker needs REDIS_URL: the in-process queue is not shared")
    uvloop.run(run(settings))


if __name__ == "__main__":
    main()
