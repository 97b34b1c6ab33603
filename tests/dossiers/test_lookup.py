"""Dossier lookup on both backends: the mirror fed by step events, verification, limits, audit."""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from dossiers.limits import AttemptLimiter, MemoryAttemptLimiter, RedisAttemptLimiter
from dossiers.lookup import ANSWERS, Asker, DossierLookup, Outcome, audit
from dossiers.mirror import MirrorDossierSource
from dossiers.model import Dossier, SourceUnavailable
from notifier.events import StepEvent
from notifier.redis_client import redis_client
from tests.conftest import Backend, settings_for

CODE = "000.00.12.H26-251120-0001"


def event(step: str, minute: int, **details: Any) -> StepEvent:
    return StepEvent.model_validate({
        "event_id": uuid.uuid4().hex, "dossier_code": CODE, "procedure": "Đăng ký khai sinh",
        "step": step, "phone": "0912345678",
        "occurred_at": f"2026-11-20T09:{minute:02d}:00+07:00", "details": details or None,
    })


@pytest.fixture
async def engine(backend: Backend, tmp_path: Any) -> AsyncIterator[AsyncEngine]:
    settings = settings_for(backend, tmp_path)
    options: dict[str, Any] = {}
    if backend.database_schema:
        options["connect_args"] = {"server_settings": {"search_path": backend.database_schema}}
    engine = create_async_engine(settings.sqlalchemy_url, **options)
    if backend.database_schema:
        async with engine.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{backend.database_schema}"'))
    yield engine
    await engine.dispose()


@pytest.fixture
async def limiter(backend: Backend) -> AsyncIterator[AttemptLimiter]:
    if backend.redis_url is None:
        yield MemoryAttemptLimiter()
        return
    client = redis_client(backend.redis_url)
    yield RedisAttemptLimiter(client, f"test:{uuid.uuid4().hex}")
    await client.aclose()


@pytest.fixture
async def mirror(engine: AsyncEngine) -> MirrorDossierSource:
    source = MirrorDossierSource(engine)
    await source.create_schema()
    return source


@pytest.fixture
async def lookup(
    mirror: MirrorDossierSource, limiter: AttemptLimiter, engine: AsyncEngine
) -> DossierLookup:
    service = DossierLookup(mirror, limiter, engine)
    await service.create_schema()
    return service


async def test_the_mirror_moves_only_forward(mirror: MirrorDossierSource) -> None:
    ready = event("result_ready", 30, result_url="https://dichvucong.hanoi.gov.vn/kq/1")
    assert await mirror.apply(event("received", 0, due_date="2026-11-25"))
    assert await mirror.apply(ready)
    assert not await mirror.apply(event("received", 0))  # late and repeated
    assert not await mirror.apply(ready)  # twice
    dossier = await mirror.get(CODE)
    assert dossier is not None and dossier.status.value == "result_ready"
    assert dossier.result_url == "https://dichvucong.hanoi.gov.vn/kq/1"
    assert await mirror.get("000.00.12.H26-251120-9999") is None


async def test_events_recorded_together_keep_the_latest(
    mirror: MirrorDossierSource, engine: AsyncEngine
) -> None:
    """A batch of events is one statement: within it, the latest per dossier wins."""
    other = event("received", 1).model_copy(update={"dossier_code": "000.00.12.H26-251120-0002"})
    async with engine.begin() as conn:
        applied = await mirror.record(conn, [
            event("result_ready", 30), event("received", 0), event("in_progress", 10), other,
        ])
    assert applied == [True, False, False, True]
    dossier = await mirror.get(CODE)
    assert dossier is not None and dossier.status.value == "result_ready"
    assert not await mirror.apply(event("in_progress", 20))  # later, yet older than the row


async def test_a_verified_resident_gets_the_status(
    mirror: MirrorDossierSource, lookup: DossierLookup, engine: AsyncEngine
) -> None:
    await mirror.apply(event("supplement_required", 5, missing_documents=["Tờ khai (bản chính)"],
                             supplement_deadline="2026-11-27"))
    found = await lookup.lookup("000.00.12.h26-251120-0001 ", "5678", Asker("conv-1", "10.0.0.1"))
    assert found.outcome is Outcome.FOUND
    assert "Tờ khai (bản chính)" in found.answer and "27/11/2026" in found.answer
    assert "0912345678" not in found.answer
    async with engine.connect() as conn:
        [row] = (await conn.execute(sa.select(audit))).all()
    assert (row.code, row.outcome, row.applicant_phone) == (CODE, "found", "+84******678")


async def test_a_wrong_pair_and_an_unknown_code_get_the_same_answer(
    mirror: MirrorDossierSource, lookup: DossierLookup
) -> None:
    await mirror.apply(event("received", 0))
    wrong_digits = await lookup.lookup(CODE, "1234", Asker("conv-2", None))
    unknown = await lookup.lookup("000.00.12.H26-251120-0002", "5678", Asker("conv-3", None))
    assert wrong_digits == unknown
    assert wrong_digits.answer == ANSWERS[Outcome.NO_MATCH]


@pytest.mark.parametrize(
    ("code", "outcome"),
    [("12345", Outcome.MALFORMED), ("<script>", Outcome.MALFORMED), ("", Outcome.MALFORMED),
     ("000.00.12.H29-251120-0001", Outcome.OTHER_PROVINCE)],
)
async def test_malformed_and_other_province_codes_are_explained(
    lookup: DossierLookup, code: str, outcome: Outcome
) -> None:
    result = await lookup.lookup(code, "5678", Asker("conv-4", None))
    assert result.outcome is outcome
    assert ("000.00.12.H26-250721-0001" in result.answer) == (outcome is Outcome.MALFORMED)


class BrokenSource:
    async def get(self, code: str) -> Dossier | None:
        raise SourceUnavailable("time-out")

    async def close(self) -> None:
        return None


async def test_an_unavailable_source_is_an_honest_try_again(
    limiter: AttemptLimiter, engine: AsyncEngine
) -> None:
    service = DossierLookup(BrokenSource(), limiter, engine)
    await service.create_schema()
    result = await service.lookup(CODE, "5678", Asker("conv-5"))
    assert result.outcome is Outcome.UNAVAILABLE and "1900 1009" in result.answer


def random_code(rng: random.Random) -> str:
    day = datetime.date(2025, 7, 1) + datetime.timedelta(days=rng.randrange(500))
    return f"000.00.{rng.randrange(100):02d}.H26-{day:%y%m%d}-{rng.randrange(10_000):04d}"


@pytest.mark.parametrize("conversations", ["one", "many"])
async def test_enumerating_a_thousand_codes_reveals_nothing(
    mirror: MirrorDossierSource, lookup: DossierLookup, conversations: str
) -> None:
    rng = random.Random(7)
    codes = [random_code(rng) for _ in range(1000)]
    for code in codes[::100]:  # ten of them exist, with another applicant's phone
        await mirror.apply(event("received", 0).model_copy(update={"dossier_code": code}))
    answers = [
        await lookup.lookup(code, f"{rng.randrange(10_000):04d}",
                            Asker("bot" if conversations == "one" else f"conv-{n}", "203.0.113.9"))
        for n, code in enumerate(codes)
    ]
    outcomes = [a.outcome for a in answers]
    assert outcomes[:5] == [Outcome.NO_MATCH] * 5
    assert set(outcomes[5:]) == {Outcome.LIMITED}  # the conversation's or the address's limit
    assert {a.answer for a in answers} == {ANSWERS[Outcome.NO_MATCH], ANSWERS[Outcome.LIMITED]}
