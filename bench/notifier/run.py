"""Notifier benchmark: end-to-end throughput and latency, from the signed POST /v1/events to the
provider's acknowledgement, over the production path (PostgreSQL, Redis Streams, sender workers
as separate processes, a local brandname gateway as the provider).

    make bench-notifier      (or: python -m bench.notifier.run; needs PostgreSQL and Redis)

1. Throughput with 1 and with 2 workers: EVENTS events posted by CONCURRENCY clients as fast as
   the service takes them; events/s = EVENTS / (last provider arrival - first post); and the
   CPU time each of our processes spent per notification, which stays comparable when the
   machine's speed does not.
2. Latency at a steady RATE events/s for DURATION_S: per event, provider arrival - post time.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import uvloop

from notifier.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

ROOT = Path(__file__).resolve().parents[2]
SECRET = "bench-events-secret"
EVENTS = 10000
CONCURRENCY = 64
RATE = 200
DURATION_S = 15
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Stack:
    service: str
    gateway: str
    pids: dict[str, list[int]]  # by role: "service", "workers", "gateway"


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    ticks = 0
    for pid in pids:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(after_name[11]) + int(after_name[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


@contextmanager
def stack(workers: int) -> Iterator[Stack]:
    """The gateway, our service (ingestion only) and `workers` sender processes."""
    gateway_port, service_port = free_port(), free_port()
    run = uuid.uuid4().hex[:8]
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": DATABASE_URL,
        "DATABASE_SCHEMA": f"bench_{run}", "REDIS_URL": REDIS_URL,
        "NOTIFIER_STREAM": f"bench:{run}", "NOTIFIER_EVENTS_SECRET": SECRET,
        "SMS_PROVIDERS": "brandname", "BRANDNAME_API_BASE_URL": f"http://127.0.0.1:{gateway_port}",
        "BRANDNAME_API_KEY": "test-api-key", "BRANDNAME_SECRET_KEY": "test-secret-key",
        "QUIET_HOURS_START": "00:00", "QUIET_HOURS_END": "00:00",
        "NOTIFIER_SENDER_IN_SERVICE": "false", "SERVICE_PORT": str(service_port),
    }
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT, "env": env}
    roles = {
        "gateway": [subprocess.Popen(
            [sys.executable, "-m", "bench.notifier.gateway", str(gateway_port)], **quiet
        )],
        "service": [subprocess.Popen([sys.executable, "-m", "service"], **quiet)],
        "workers": [subprocess.Popen([sys.executable, "-m", "notifier.worker"], **quiet)
                    for _ in range(workers)],
    }
    processes = [process for group in roles.values() for process in group]
    try:
        yield Stack(
            f"http://127.0.0.1:{service_port}", f"http://127.0.0.1:{gateway_port}",
            {role: [process.pid for process in group] for role, group in roles.items()},
        )
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
        subprocess.run(["psql", "-h", "127.0.0.1", "-d", "test", "-qc",
                        f'DROP SCHEMA IF EXISTS "bench_{run}" CASCADE'], check=False)


async def wait_until_up(session: aiohttp.ClientSession, url: str) -> None:
    for _ in range(600):
        try:
            async with session.get(url) as response:
                if response.status < 500:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def event_bodies(count: int) -> list[bytes]:
    """The events, made before the clock starts: the load generator should spend its share of
    the machine's two cores on sending, not on building requests."""
    return [
        json.dumps({
            "event_id": uuid.uuid4().hex, "dossier_code": f"000.00.12.H26-251202-{n:06d}",
            "procedure": "Đăng ký khai sinh", "step": "result_ready",
            "phone": f"09{n % 100_000_000:08d}", "occurred_at": "2026-12-02T09:00:00+07:00",
        }).encode()
        for n in range(count)
    ]


async def post_event(
    session: aiohttp.ClientSession, service: str, body: bytes
) -> tuple[str, float]:
    timestamp = int(time.time())
    headers = {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(SECRET.encode(), timestamp, body),
        "Content-Type": "application/json",
    }
    posted = time.monotonic()
    async with session.post(f"{service}/v1/events", data=body, headers=headers) as response:
        if response.status != 202:
            raise RuntimeError(f"event refused: {response.status} {await response.text()}")
        [notification_id] = (await response.json())["notifications"]
    return notification_id, posted


async def arrivals(session: aiohttp.ClientSession, gateway: str, count: int) -> dict[str, float]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        async with session.get(f"{gateway}/stats") as response:
            stats = await response.json()
        if stats["accepted"] >= count:
            return dict(stats["arrivals"])
        await asyncio.sleep(0.2)
    raise RuntimeError(f"only {stats['accepted']} of {count} reached the gateway")


async def throughput(workers: int) -> None:
    with stack(workers) as running:
        service, gateway = running.service, running.gateway
        async with aiohttp.ClientSession() as session:
            await wait_until_up(session, f"{service}/health")
            await wait_until_up(session, f"{gateway}/stats")
            slots = asyncio.Semaphore(CONCURRENCY)

            async def one(body: bytes) -> tuple[str, float]:
                async with slots:
                    return await post_event(session, service, body)

            bodies = event_bodies(EVENTS)
            cpu_before = {r: cpu_seconds(p) for r, p in running.pids.items()}
            own_before = own_cpu_seconds()
            started = time.monotonic()
            posted = await asyncio.gather(*(one(body) for body in bodies))
            ingested = time.monotonic() - started
            arrived = await arrivals(session, gateway, EVENTS)
            cpu = {r: cpu_seconds(p) - cpu_before[r] for r, p in running.pids.items()}
            cpu["load generator"] = own_cpu_seconds() - own_before
    elapsed = max(arrived[i] for i, _ in posted) - started
    print(f"{workers} worker(s): {EVENTS} events, ingestion {EVENTS / ingested:7.0f} events/s, "
          f"end to end {EVENTS / elapsed:7.0f} notifications/s ({elapsed:.1f} s)", flush=True)
    # Comparable between runs on a machine whose speed varies: where the cores went.
    print("   CPU ms per notification: " + ", ".join(
        f"{role} {seconds * 1000 / EVENTS:.2f}" for role, seconds in cpu.items()
    ) + " (PostgreSQL and Redis not counted)", flush=True)


async def latency(workers: int) -> None:
    count = RATE * DURATION_S
    with stack(workers) as running:
        service, gateway = running.service, running.gateway
        async with aiohttp.ClientSession() as session:
            await wait_until_up(session, f"{service}/health")
            await wait_until_up(session, f"{gateway}/stats")
            bodies = event_bodies(count)
            start = time.monotonic()
            tasks = []
            for n, body in enumerate(bodies):
                await asyncio.sleep(max(0.0, start + n / RATE - time.monotonic()))
                tasks.append(asyncio.create_task(post_event(session, service, body)))
            posted = await asyncio.gather(*tasks)
            arrived = await arrivals(session, gateway, count)
    delays = sorted((arrived[i] - at) * 1000 for i, at in posted)
    p50, p95, p99 = (delays[int(len(delays) * q)] for q in (0.5, 0.95, 0.99))
    print(f"steady {RATE} events/s for {DURATION_S} s, {workers} worker(s): "
          f"p50 {p50:.0f} ms  p95 {p95:.0f} ms  p99 {p99:.0f} ms", flush=True)


async def main() -> None:
    for workers in (1, 2):
        await throughput(workers)
    await latency(2)


if __name__ == "__main__":
    uvloop.run(main())
