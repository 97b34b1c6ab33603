"""Faults on the real PostgreSQL and Redis, with sender workers as real processes: a worker killed
with SIGKILL mid-batch, and Redis restarted mid-run. Nothing may be lost and no message may reach
the provider twice. The provider is a local brandname gateway that, like the real one, accepts a
request id once: a repeat is answered "already received" and counted in `fake.duplicates`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dossiers.mirror import MirrorDossierSource
from notifier.events import StepEvent
from notifier.store import NotificationStore
from notifier.work_queue import RedisStreamQueue
from service.app import ingestor
from service.settings import Settings
from tests.conftest import Backend, settings_for
from tests.fakes.brandname_api import FakeBrandname
from tests.fakes.threaded_server import ThreadedServer
from tests.notifier.test_pipeline import step_event

ROOT = Path(__file__).resolve().parents[2]
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]


@pytest.fixture
def gateway() -> Iterator[tuple[FakeBrandname, str]]:
    fake = FakeBrandname(delay_s=0.01)
    server = ThreadedServer(fake.app())
    yield fake, server.start()
    server.stop()


@pytest.fixture
def settings(backend: Backend, tmp_path: Path, gateway: tuple[FakeBrandname, str]) -> Settings:
    if backend.redis_url is None:
        pytest.skip("separate workers need the shared Redis queue")
    fake, url = gateway
    return settings_for(
        backend, tmp_path, sms_providers="brandname", brandname_api_base_url=url,
        brandname_api_key=fake.api_key, brandname_secret_key=fake.secret_key,
        notifier_sender_in_service=False,
        notifier_reclaim_idle_s=1.0, notifier_stalled_after_s=3.0, notifier_lost_after_s=2.0,
    )


def redis_answers() -> bool:
    ping = ["redis-cli", "-p", "6379", "ping"]
    return subprocess.run(ping, capture_output=True, timeout=5).stdout.strip() == b"PONG"


def restart_redis() -> None:
    """A restart of this machine's Redis, which keeps nothing on disk: the stream is gone."""
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False, timeout=10)
    wait_for(lambda: not redis_answers(), "Redis to stop")
    os.makedirs("/var/lib/redis", exist_ok=True)
    os.makedirs("/var/log/redis", exist_ok=True)
    subprocess.run(REDIS_START, check=True, timeout=10)
    wait_for(redis_answers, "Redis to start again")


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout_s} s for {what}"
        time.sleep(0.1)


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "PYTHONPATH": str(ROOT),
        **{name.upper(): str(value) for name, value in settings.model_dump().items()
           if value is not None and name.startswith(("database", "redis", "notifier", "brandname",
                                                      "sms_", "quiet", "data_dir"))},
        "BRANDNAME_SECRET_KEY": settings.brandname_secret_key.get_secret_value(),  # type: ignore[union-attr]
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "notifier.worker"], cwd=ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT,
        )


async def ingest(settings: Settings, count: int, first: int = 0) -> list[str]:
    store = NotificationStore.from_url(settings.sqlalchemy_url, settings.database_schema)
    await store.create_schema()
    assert settings.redis_url
    queue = await RedisStreamQueue.connect(settings.redis_url, settings.notifier_stream)
    mirror = MirrorDossierSource(store.engine)
    await mirror.create_schema()
    intake = ingestor(settings, store, queue, mirror)
    ids = []
    for n in range(first, first + count):
        event = StepEvent(**step_event(  # type: ignore[arg-type]
            event_id=f"evt-{n}", dossier_code=f"000.00.12.H26-251202-{n:04d}",
            phone=f"09{n:08d}", step="result_ready",
        ))
        ids += (await intake.ingest(event)).notification_ids
    await queue.close()
    await store.close()
    return ids


async def wait_until_sent(settings: Settings, ids: list[str], timeout_s: float) -> set[str]:
    store = NotificationStore.from_url(settings.sqlalchemy_url, settings.database_schema)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            statuses = {(await store.get(i)).status for i in ids}  # type: ignore[union-attr]
            if statuses == {"sent"} or time.monotonic() > deadline:
                return statuses
            await asyncio.sleep(0.25)
    finally:
        await store.close()


async def wait_for_messages(fake: FakeBrandname, count: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while len(fake.messages) < count:
        assert time.monotonic() < deadline, f"only {len(fake.messages)} messages arrived"
        await asyncio.sleep(0.02)


def assert_each_once(fake: FakeBrandname, ids: list[str]) -> None:
    request_ids = [m["RequestId"] for m in fake.messages]
    assert len(request_ids) == len(set(request_ids)) == len(ids)
    assert set(request_ids) == set(ids)


async def test_a_worker_killed_mid_batch_loses_nothing(
    settings: Settings, gateway: tuple[FakeBrandname, str], tmp_path: Path
) -> None:
    fake, _ = gateway
    ids = await ingest(settings, 300)
    doomed = start_worker(settings, tmp_path / "worker-a.log")
    await wait_for_messages(fake, 40)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    assert len(fake.messages) < len(ids), "the worker finished before it could be killed"
    survivor = start_worker(settings, tmp_path / "worker-b.log")
    try:
        statuses = await wait_until_sent(settings, ids, timeout_s=90)
    finally:
        survivor.terminate()
        survivor.wait(timeout=10)
    assert statuses == {"sent"}, (tmp_path / "worker-b.log").read_text()[-3000:]
    assert survivor.returncode == 0, "a worker told to stop finishes its batch and exits"
    assert_each_once(fake, ids)
    print(f"repeats absorbed by the gateway: {len(fake.duplicates)}")


async def test_a_redis_restart_mid_run_loses_nothing(
    settings: Settings, gateway: tuple[FakeBrandname, str], tmp_path: Path
) -> None:
    fake, _ = gateway
    ids = await ingest(settings, 200)
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        await wait_for_messages(fake, 30)
        await asyncio.to_thread(restart_redis)
        ids += await ingest(settings, 50, first=200)  # and work keeps coming in
        statuses = await wait_until_sent(settings, ids, timeout_s=90)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert statuses == {"sent"}, (tmp_path / "worker.log").read_text()[-3000:]
    assert_each_once(fake, ids)
    print(f"repeats absorbed by the gateway: {len(fake.duplicates)}")
