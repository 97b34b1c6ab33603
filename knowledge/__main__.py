"""The team's command line for the knowledge base.

    python -m knowledge validate          check every record; exit 1 naming the first bad file
    python -m knowledge search "câu hỏi"  the best matches, as the bot would find them
    python -m knowledge stats             counts by field, level, online level, uncertainty
    python -m knowledge gaps              questions the bot declined to answer, most asked first
                                          (the database of DATABASE_URL, else SQLite in DATA_DIR)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter

from knowledge.gaps import Gap, GapLog
from knowledge.records import RecordError, load_procedures
from knowledge.schema import Procedure
from knowledge.search import ProcedureSearch


def validate() -> int:
    try:
        records = load_procedures()
    except RecordError as e:
        print(e, file=sys.stderr)
        return 1
    print(f"{len(records)} records valid")
    return 0


def search(query: str, k: int) -> int:
    for hit in ProcedureSearch(load_procedures()).search(query, k):
        print(f"{hit.score:8.3f}  {hit.code:<55} {hit.name}")
    return 0


def _counts(title: str, counter: Counter[str]) -> None:
    print(title)
    for value, n in counter.most_common():
        print(f"  {n:4d}  {value}")


def stats() -> int:
    records: list[Procedure] = load_procedures()
    print(f"{len(records)} records, {sum(r.national_code is not None for r in records)} "
          "with a national code")
    _counts("by field", Counter(r.field for r in records))
    _counts("by level", Counter(r.level.value for r in records))
    _counts("by online level", Counter(r.online.level.value for r in records))
    _counts("parts marked uncertain", Counter(part for r in records for part in r.uncertain))
    return 0


async def _most_asked(limit: int) -> list[Gap]:
    # The CLI reads the service's own configuration: the same database, however it is set.
    from sqlalchemy.ext.asyncio import create_async_engine

    from service.settings import Settings

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(settings.sqlalchemy_url)
    log = GapLog(engine)
    try:
        await log.create_schema()  # as the service does at start-up: a fresh database is empty
        return await log.most_asked(limit)
    finally:
        await engine.dispose()


def gaps(limit: int) -> int:
    found = asyncio.run(_most_asked(limit))
    for gap in found:
        print(f"{gap.count:5d}  {gap.last_at:%Y-%m-%d}  {gap.question}  [{gap.candidates}]")
    if not found:
        print("no knowledge gaps recorded")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate")
    query = commands.add_parser("search")
    query.add_argument("query")
    query.add_argument("-k", type=int, default=5)
    commands.add_parser("stats")
    listing = commands.add_parser("gaps")
    listing.add_argument("-n", type=int, default=50)
    args = parser.parse_args(argv)
    if args.command == "validate":
        return validate()
    if args.command == "search":
        return search(args.query, args.k)
    if args.command == "gaps":
        return gaps(args.n)
    return stats()


if __name__ == "__main__":
    sys.exit(main())
