"""Knowledge gaps: questions the assistant declined to answer, for the team that writes records.

Each abstention is stored with the best candidates it rejected, so that `python -m knowledge
gaps` can show what residents ask that the knowledge base lacks, most frequent first. Digits are
masked before anything is stored: a question may carry a phone number or an ID.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from nlu.normalise import fold

metadata = sa.MetaData()
gaps = sa.Table(
    "knowledge_gaps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("question", sa.String(500), nullable=False),
    sa.Column("folded", sa.String(500), nullable=False, index=True),
    sa.Column("candidates", sa.String(300), nullable=False, server_default=""),
)
_LONG_NUMBER = re.compile(r"\d{4,}")


@dataclass(frozen=True)
class Gap:
    question: str
    count: int
    last_at: datetime.datetime
    candidates: str


def masked(question: str) -> str:
    """The question with every run of 4 or more digits replaced by asterisks."""
    return _LONG_NUMBER.sub(lambda m: "*" * len(m.group(0)), question.strip())[:500]


class GapLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create_schema(self) -> None:
        async with self._engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def record(self, question: str, candidates: list[str]) -> None:
        text = masked(question)
        async with self._engine.begin() as conn:
            await conn.execute(gaps.insert().values(
                at=datetime.datetime.now(datetime.timezone.utc), question=text,
                folded=fold(text)[:500], candidates=",".join(candidates)[:300],
            ))

    async def most_asked(self, limit: int = 50) -> list[Gap]:
        """Questions by how often they were asked (folded the same way), most first."""
        count = sa.func.count().label("n")
        query = (
            sa.select(sa.func.min(gaps.c.question), count, sa.func.max(gaps.c.at),
                      sa.func.max(gaps.c.candidates))
            .group_by(gaps.c.folded)
            .order_by(count.desc(), sa.func.max(gaps.c.at).desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Gap(q, n, at, c) for q, n, at, c in rows]
