"""Shared fixtures. Integration tests run on both persistence paths: the embedded default
(SQLite, in-process queue) and the real servers named by DATABASE_URL and REDIS_URL
(defaults: the PostgreSQL and Redis of this machine, which `.ci/run` makes sure are up)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import pytest_timeout
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from service.settings import Settings

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str | None
    redis_url: str | None
    database_schema: str | None = None


BACKENDS = [
    Backend("embedded", None, None),
    Backend("postgres+redis", DATABASE_URL, REDIS_URL),
]


@pytest.fixture(params=BACKENDS, ids=[b.name for b in BACKENDS])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """A persistence backend; on PostgreSQL, a schema of its own, dropped afterwards."""
    chosen: Backend = request.param
    if not chosen.database_url:
        yield chosen
        return
    schema = f"test_{uuid.uuid4().hex}"
    yield Backend(chosen.name, chosen.database_url, chosen.redis_url, schema)
    await drop_schema(chosen.database_url, schema)


async def drop_schema(database_url: str, schema: str) -> None:
    """A connection left open inside a transaction on the schema would make the drop wait for
    ever: it waits a few seconds, then fails naming the sessions in the way."""
    engine = create_async_engine(Settings(database_url=database_url).sqlalchemy_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
            await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    except sa.exc.OperationalError as e:
        async with engine.connect() as conn:
            sessions = (await conn.execute(sa.text(
                "SELECT pid, state, left(query, 200) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ))).all()
        raise AssertionError(f"schema {schema} is still in use by {sessions}") from e
    finally:
        await engine.dispose()


def settings_for(backend: Backend, data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: explicit values only, so the caller's environment cannot leak in.
    No quiet hours unless a test asks: a run at night in Hanoi must not hold its messages."""
    values: dict[str, object] = {
        "quiet_hours_start": "00:00",
        "quiet_hours_end": "00:00",
        "data_dir": data_dir,
        "database_url": backend.database_url,
        "redis_url": backend.redis_url,
        "database_schema": backend.database_schema,
        "notifier_stream": f"test:{uuid.uuid4().hex}",
        "notifier_events_secret": "test-events-secret",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]

# tests/rasa run with the Rasa runtime (Python 3.10); see tests/rasa/pytest.ini.
collect_ignore = ["rasa"]


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    """pytest-timeout's signal method, which first prints where every asyncio task waits: a
    stuck async test is a coroutine waiting for something, which the threads' stacks do not show."""
    if settings.method != "signal":
        return None

    def on_timeout(signum: int, frame: FrameType | None) -> None:
        __tracebackhide__ = True
        print_asyncio_tasks()
        pytest_timeout.timeout_sigalrm(item, settings)

    def cancel() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel  # type: ignore[attr-defined]  # pytest-timeout's protocol
    signal.signal(signal.SIGALRM, on_timeout)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True


def print_asyncio_tasks() -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # stuck outside an event loop: the threads' stacks tell it all
        return
    for task in asyncio.all_tasks(loop):
        print(f"~~~~~~~~ asyncio task {task!r} ~~~~~~~~", file=sys.stderr)
        for line in awaiting(task.get_coro()):
            print(f"  {line}", file=sys.stderr)


def awaiting(coro: Any) -> list[str]:
    """Where a coroutine waits, outermost first: the chain of awaits that a task's own stack
    (one frame) does not show."""
    lines = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            lines.append(f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return lines
