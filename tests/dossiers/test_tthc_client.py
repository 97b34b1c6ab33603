"""TthcDossierSource against FakeTthc, a local server speaking docs/tthc-contract.md."""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from dossiers.breaker import BreakerState, CircuitBreaker
from dossiers.model import Dossier, DossierStatus, PaymentState, SourceUnavailable
from dossiers.tthc_client import TthcDossierSource, retry_after_s
from tests.fakes.tthc_api import FakeTthc

CODE = "000.00.12.H26-250721-0001"
ICT = datetime.timezone(datetime.timedelta(hours=7))


def record(code: str = CODE, **changes: Any) -> dict[str, Any]:
    """A dossier as the TTHC system answers it, every field set."""
    answer: dict[str, Any] = {
        "code": code,
        "procedure_name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "status": "supplement_required",
        "applicant_phone": "0912 345 678",
        "handling_body": "UBND phường Ba Đình",
        "received_at": "2025-07-21T09:15:00+07:00",
        "due_date": "2025-08-04",
        "new_due_date": "2025-08-11",
        "missing_documents": ["Bản vẽ thiết kế", "Giấy chứng nhận quyền sử dụng đất"],
        "supplement_deadline": "2025-07-28",
        "result_url": "https://dichvucong.hanoi.gov.vn/ket-qua/abc.pdf",
        "rejection_reason": "Thiếu bản vẽ",
        "payment_state": "paid",
        "receipt_url": "https://dichvucong.hanoi.gov.vn/bien-lai/abc.pdf",
        "updated_at": "2025-07-22T14:30:00+07:00",
    }
    answer.update(changes)
    return answer


@dataclass
class Tthc:
    fake: FakeTthc
    url: str
    sources: list[TthcDossierSource] = field(default_factory=list)

    def source(self, url: str | None = None, **options: Any) -> TthcDossierSource:
        options.setdefault("backoff_s", 0.01)
        source = TthcDossierSource(url or self.url, self.fake.api_key, **options)
        self.sources.append(source)
        return source


@pytest.fixture
async def tthc(aiohttp_server: Any) -> AsyncIterator[Tthc]:
    fake = FakeTthc(dossiers={CODE: record()})
    server = await aiohttp_server(fake.app())
    setup = Tthc(fake, str(server.make_url("")).rstrip("/"))
    yield setup
    for source in setup.sources:
        await source.close()


async def test_found_dossier_maps_every_field(tthc: Tthc) -> None:
    dossier = await tthc.source().get(CODE)

    assert dossier == Dossier(
        code=CODE,
        procedure="Cấp giấy phép xây dựng nhà ở riêng lẻ",
        status=DossierStatus.SUPPLEMENT_REQUIRED,
        applicant_phone="+84912345678",
        updated_at=datetime.datetime(2025, 7, 22, 14, 30, tzinfo=ICT),
        handling_body="UBND phường Ba Đình",
        due_date=datetime.date(2025, 8, 4),
        new_due_date=datetime.date(2025, 8, 11),
        missing_documents=("Bản vẽ thiết kế", "Giấy chứng nhận quyền sử dụng đất"),
        supplement_deadline=datetime.date(2025, 7, 28),
        result_url="https://dichvucong.hanoi.gov.vn/ket-qua/abc.pdf",
        rejection_reason="Thiếu bản vẽ",
        payment=PaymentState.PAID,
        receipt_url="https://dichvucong.hanoi.gov.vn/bien-lai/abc.pdf",
    )
    assert dossier.updated_at.utcoffset() == datetime.timedelta(hours=7)
    assert tthc.fake.paths == [f"/api/v1/dossiers/{CODE}"]


async def test_null_fields_map_to_the_defaults(tthc: Tthc) -> None:
    tthc.fake.dossiers[CODE] = record(
        status="in_progress", applicant_phone="+84 912 345 678", handling_body=None,
        due_date=None, new_due_date=None, missing_documents=[], supplement_deadline=None,
        result_url=None, rejection_reason=None, payment_state="not_required", receipt_url=None,
    )

    dossier = await tthc.source().get(CODE)

    assert dossier is not None
    assert dossier.status is DossierStatus.IN_PROGRESS
    assert dossier.applicant_phone == "+84912345678"
    assert (dossier.handling_body, dossier.due_date, dossier.new_due_date) == (None, None, None)
    assert (dossier.missing_documents, dossier.supplement_deadline) == ((), None)
    assert (dossier.result_url, dossier.rejection_reason, dossier.receipt_url) == (None,) * 3
    assert dossier.payment is PaymentState.NOT_REQUIRED


async def test_unknown_code_is_none_without_retry(tthc: Tthc) -> None:
    assert await tthc.source().get("000.00.12.H26-250721-9999") is None
    assert tthc.fake.requests == 1


async def test_the_code_is_url_encoded_in_the_path(tthc: Tthc) -> None:
    odd = "000.00.12.h26 250721/0001?x#y"
    tthc.fake.dossiers[odd] = record(code=odd)

    dossier = await tthc.source().get(odd)

    assert dossier is not None and dossier.code == odd
    assert tthc.fake.paths == ["/api/v1/dossiers/000.00.12.h26%20250721%2F0001%3Fx%23y"]


async def test_slow_answers_are_retried_then_unavailable(tthc: Tthc) -> None:
    tthc.fake.delay_s = 1.0
    source = tthc.source(timeout_s=0.1, retries=2)

    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match="time-out"):
        await source.get(CODE)

    assert tthc.fake.requests == 3
    assert time.monotonic() - started < 1.0  # gave up on each attempt, did not wait the answers


async def test_a_slow_answer_then_a_quick_one_succeeds(tthc: Tthc) -> None:
    tthc.fake.delay_s = 0.5
    source = tthc.source(timeout_s=0.2, retries=1)
    attempt = asyncio.create_task(source.get(CODE))
    await asyncio.wait_for(tthc.fake.arrived.wait(), 1.0)
    tthc.fake.delay_s = 0.0

    assert await attempt is not None
    assert tthc.fake.requests == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
async def test_a_server_error_then_success_after_one_retry(tthc: Tthc, status: int) -> None:
    tthc.fake.fail_next = [status]

    dossier = await tthc.source().get(CODE)

    assert dossier is not None and dossier.code == CODE
    assert tthc.fake.requests == 2


async def test_server_errors_beyond_the_retries_are_unavailable(tthc: Tthc) -> None:
    tthc.fake.fail_next = [500, 503, 500, 500]

    with pytest.raises(SourceUnavailable, match="HTTP 500"):
        await tthc.source(retries=2).get(CODE)

    assert tthc.fake.requests == 3
    assert tthc.fake.fail_next == [500]


async def test_connection_refused_is_unavailable(tthc: Tthc, unused_tcp_port: int) -> None:
    source = tthc.source(url=f"http://127.0.0.1:{unused_tcp_port}", retries=1)

    with pytest.raises(SourceUnavailable, match="connection error"):
        await source.get(CODE)


async def test_429_waits_for_retry_after_then_retries(tthc: Tthc) -> None:
    tthc.fake.fail_next = [429]
    tthc.fake.retry_after = "1"

    started = time.monotonic()
    dossier = await tthc.source().get(CODE)

    assert dossier is not None
    assert tthc.fake.requests == 2
    assert time.monotonic() - started >= 1.0


async def test_429_asking_for_a_long_wait_gives_up_at_once(tthc: Tthc) -> None:
    tthc.fake.fail_next = [429]
    tthc.fake.retry_after = "120"

    with pytest.raises(SourceUnavailable, match="rate limited"):
        await tthc.source().get(CODE)

    assert tthc.fake.requests == 1


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime.datetime(2025, 7, 21, 8, 0, tzinfo=datetime.timezone.utc)
    assert retry_after_s("3", now) == 3.0
    assert retry_after_s("Mon, 21 Jul 2025 08:00:02 GMT", now) == 2.0
    assert retry_after_s("Mon, 21 Jul 2025 07:00:00 GMT", now) == 0.0
    assert retry_after_s(None, now) is None
    assert retry_after_s("soon", now) is None


async def test_garbage_is_unavailable_without_retry(tthc: Tthc) -> None:
    tthc.fake.fail_next = ["garbage"]

    with pytest.raises(SourceUnavailable, match=r"^garbage$"):
        await tthc.source().get(CODE)

    assert tthc.fake.requests == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "archived"},  # not a DossierStatus
        {"payment_state": "half_paid"},
        {"applicant_phone": "024 3825 3536"},  # a landline: nothing to verify against
        {"applicant_phone": 912345678},  # a number, not a string
        {"due_date": "04/08/2025"},
        {"updated_at": "2025-07-22T14:30:00"},  # no offset
        {"missing_documents": "Bản vẽ thiết kế"},
        {"result_url": "javascript:alert(1)"},
        {"code": "000.00.12.H26-250721-0002"},  # someone else's dossier
    ],
    ids=lambda changes: next(iter(changes)),
)
async def test_invalid_records_are_garbage(tthc: Tthc, changes: dict[str, Any]) -> None:
    tthc.fake.dossiers[CODE] = record(**changes)

    with pytest.raises(SourceUnavailable, match=r"^garbage$"):
        await tthc.source().get(CODE)


@pytest.mark.parametrize("missing", ["procedure_name", "status", "due_date", "updated_at"])
async def test_a_missing_field_is_garbage(tthc: Tthc, missing: str) -> None:
    answer = record()
    del answer[missing]
    tthc.fake.dossiers[CODE] = answer

    with pytest.raises(SourceUnavailable, match=r"^garbage$"):
        await tthc.source().get(CODE)


async def test_unknown_extra_fields_are_ignored(tthc: Tthc) -> None:
    tthc.fake.dossiers[CODE] = record(fee_vnd=500000)
    assert await tthc.source().get(CODE) is not None


@pytest.mark.parametrize(
    ("changes", "logged"),
    [
        ({"applicant_phone": 912345678}, "applicant_phone: string_type"),
        ({"applicant_phone": "0912 345 678 9"}, "not a Vietnamese mobile"),
        ({"status": "archived"}, "status: enum"),
    ],
)
async def test_the_phone_never_reaches_logs_or_exceptions(
    tthc: Tthc, caplog: pytest.LogCaptureFixture, changes: dict[str, Any], logged: str
) -> None:
    caplog.set_level(logging.DEBUG)
    tthc.fake.dossiers[CODE] = record(**changes)
    source = tthc.source()

    with pytest.raises(SourceUnavailable) as raised:
        await source.get(CODE)
    tthc.fake.dossiers[CODE] = record()
    await source.get(CODE)

    assert logged in caplog.text
    shown = caplog.text + "".join(traceback.format_exception(raised.value))
    for form in ("345 678", "345678"):
        assert form not in shown


async def test_a_bad_key_is_unavailable_without_retries(
    tthc: Tthc, caplog: pytest.LogCaptureFixture
) -> None:
    source = TthcDossierSource(tthc.url, "wrong-key", backoff_s=0.01)
    tthc.sources.append(source)

    with pytest.raises(SourceUnavailable, match="API key"):
        await source.get(CODE)

    assert tthc.fake.requests == 1
    assert any(
        r.levelno == logging.ERROR and "configuration error" in r.getMessage()
        for r in caplog.records
    )


async def test_forbidden_is_unavailable_without_retries(tthc: Tthc) -> None:
    tthc.fake.fail_next = [403]

    with pytest.raises(SourceUnavailable, match="HTTP 403"):
        await tthc.source().get(CODE)

    assert tthc.fake.requests == 1


@pytest.mark.parametrize("status", [301, 400, 409])
async def test_other_statuses_are_unavailable_without_retries(tthc: Tthc, status: int) -> None:
    tthc.fake.fail_next = [status]

    with pytest.raises(SourceUnavailable, match=f"unexpected HTTP {status}"):
        await tthc.source().get(CODE)

    assert tthc.fake.requests == 1


async def test_a_404_without_the_contract_body_is_not_an_unknown_code(tthc: Tthc) -> None:
    tthc.fake.fail_next = [404]
    with pytest.raises(SourceUnavailable, match="unexpected 404"):
        await tthc.source().get(CODE)
    assert tthc.fake.requests == 1

    # A wrong base URL: the server's own 404 page, not the contract's answer.
    with pytest.raises(SourceUnavailable, match="unexpected 404"):
        await tthc.source(url=tthc.url + "/wrong").get(CODE)


async def test_the_breaker_opens_then_closes_after_the_reset_time(tthc: Tthc) -> None:
    tthc.fake.fail_next = [500] * 4
    source = tthc.source(retries=1, breaker_threshold=2, breaker_reset_s=0.3)

    for _ in range(2):
        with pytest.raises(SourceUnavailable, match="HTTP 500"):
            await source.get(CODE)
    assert tthc.fake.requests == 4  # two calls of two attempts each

    for _ in range(3):
        with pytest.raises(SourceUnavailable, match="circuit open"):
            await source.get(CODE)
    assert tthc.fake.requests == 4  # failed fast, the fake was not asked

    await asyncio.sleep(0.35)
    assert await source.get(CODE) is not None  # the trial call
    assert await source.get(CODE) is not None  # closed again
    assert tthc.fake.requests == 6


async def test_a_found_or_unknown_code_resets_the_failure_count(tthc: Tthc) -> None:
    source = tthc.source(retries=0, breaker_threshold=2)
    tthc.fake.fail_next = [500]

    with pytest.raises(SourceUnavailable):
        await source.get(CODE)
    assert await source.get("000.00.12.H26-250721-9999") is None
    tthc.fake.fail_next = [500]
    with pytest.raises(SourceUnavailable, match="HTTP 500"):
        await source.get(CODE)

    assert await source.get(CODE) is not None  # one failure in a row: still closed
    assert tthc.fake.requests == 4


async def test_a_failed_trial_opens_the_circuit_again(tthc: Tthc) -> None:
    tthc.fake.fail_next = [500, 500]
    source = tthc.source(retries=0, breaker_threshold=1, breaker_reset_s=0.2)
    with pytest.raises(SourceUnavailable, match="HTTP 500"):
        await source.get(CODE)

    await asyncio.sleep(0.25)
    with pytest.raises(SourceUnavailable, match="HTTP 500"):
        await source.get(CODE)  # the trial
    with pytest.raises(SourceUnavailable, match="circuit open"):
        await source.get(CODE)
    assert tthc.fake.requests == 2

    await asyncio.sleep(0.25)
    assert await source.get(CODE) is not None
    assert tthc.fake.requests == 3


async def test_half_open_lets_one_trial_through(tthc: Tthc) -> None:
    tthc.fake.fail_next = [500]
    source = tthc.source(retries=0, breaker_threshold=1, breaker_reset_s=0.2)
    with pytest.raises(SourceUnavailable):
        await source.get(CODE)
    await asyncio.sleep(0.25)
    tthc.fake.delay_s = 0.2

    results = await asyncio.gather(*(source.get(CODE) for _ in range(3)), return_exceptions=True)

    assert sum(isinstance(r, Dossier) for r in results) == 1
    assert [str(r) for r in results if isinstance(r, SourceUnavailable)] == ["circuit open"] * 2
    assert tthc.fake.requests == 2


async def test_a_cancelled_trial_does_not_leave_the_circuit_half_open(tthc: Tthc) -> None:
    tthc.fake.fail_next = [500]
    source = tthc.source(retries=0, breaker_threshold=1, breaker_reset_s=0.1)
    with pytest.raises(SourceUnavailable):
        await source.get(CODE)
    await asyncio.sleep(0.15)
    tthc.fake.delay_s = 0.5

    tthc.fake.arrived.clear()
    trial = asyncio.create_task(source.get(CODE))
    await asyncio.wait_for(tthc.fake.arrived.wait(), 1.0)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    tthc.fake.delay_s = 0.0

    assert await source.get(CODE) is not None


def test_breaker_states_with_a_clock() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, reset_s=10.0, clock=lambda: now[0])

    breaker.failed()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.failed()
    assert breaker.state is BreakerState.OPEN and not breaker.allow()

    now[0] = 10.0
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow() and not breaker.allow()  # one trial only
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()


async def test_close_then_use_again(tthc: Tthc) -> None:
    source = tthc.source()
    assert await source.get(CODE) is not None
    await source.close()
    await source.close()
    assert await source.get(CODE) is not None


def test_the_base_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="base_url"):
        TthcDossierSource("tthc.hanoi.gov.vn", "key")
