"""Shared fixtures. Integration tests run on both persistence paths: the embedded default
(SQLite, in-process queue) and the real servers named by DATABASE_URL and REDIS_URL
(defaults: the PostgreSQL and Redis of this machine, which `.ci/run` makes sure are up)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
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
    engine = create_async_engine(Settings(database_url=database_url).sqlalchemy_url)
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await engine.dispose()


def settings_for(backend: Backend, data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: explicit values only, so the caller's environment cannot leak in."""
    values: dict[str, object] = {
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
