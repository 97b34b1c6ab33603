"""The team's command line, run as a real process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from knowledge.gaps import GapLog

ROOT = Path(__file__).parents[2]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "knowledge", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_validate_counts_the_records() -> None:
    result = cli("validate")
    assert result.returncode == 0
    assert result.stdout.strip().endswith("records valid")
    assert int(result.stdout.split()[0]) >= 120


def test_search_prints_the_best_match_first() -> None:
    result = cli("search", "lam ly lich tu phap", "-k", "2")
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "cap-phieu-ly-lich-tu-phap" in lines[0]


def test_stats_reports_fields_and_uncertainty() -> None:
    result = cli("stats")
    assert result.returncode == 0
    assert "by field" in result.stdout and "parts marked uncertain" in result.stdout


def test_an_unknown_command_is_refused() -> None:
    result = cli("delete-everything")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_gaps_lists_what_the_service_recorded(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    assert cli("gaps", env=env).stdout.strip() == "no knowledge gaps recorded"
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'dvc.sqlite3'}")
    asyncio.run(_record(engine, "xin visa đi Mỹ gọi 0912345678"))
    [line] = cli("gaps", env=env).stdout.strip().splitlines()
    assert line.split()[0] == "1" and "xin visa đi Mỹ gọi **********" in line


async def _record(engine: AsyncEngine, question: str) -> None:
    await GapLog(engine).record(question, [])
    await engine.dispose()
