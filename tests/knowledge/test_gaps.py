"""Knowledge gaps stored and listed, on the embedded SQLite database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from knowledge.gaps import GapLog, masked


def test_long_numbers_are_masked() -> None:
    assert masked(" số 0912345678, mã 12 ") == "số **********, mã 12"


async def test_gaps_are_listed_most_asked_first(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'gaps.sqlite3'}")
    log = GapLog(engine)
    await log.create_schema()
    await log.record("xin visa đi Mỹ", ["cap-ho-chieu-pho-thong"])
    await log.record("Xin visa di My", [])
    await log.record("đăng ký nhãn hiệu", [])
    gaps = await log.most_asked()
    await engine.dispose()
    assert [(g.count, g.question.casefold()) for g in gaps] == [
        (2, "xin visa di my"), (1, "đăng ký nhãn hiệu")
    ]
