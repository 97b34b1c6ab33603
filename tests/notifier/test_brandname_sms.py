"""The SMS Brandname provider against a local gateway that speaks eSMS.vn's JSON API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from notifier.providers.base import OutgoingMessage, PermanentError, RetryableError
from notifier.providers.brandname_sms import BrandnameSmsProvider
from tests.fakes.brandname_api import FakeBrandname

BODY = (
    "TTPVHCC Ha Noi: Ho so 000.00.12.H26-251120-0001 (Dang ky khai sinh) da duoc tiep nhan. "
    "Tra cuu tai dichvucong.hanoi.gov.vn hoac goi 1900 1009."
)
REFERENCE = "5f0c2a9e-7d1b-4c3e-9a8f-0b1c2d3e4f50"


def message(
    to: str = "+84912345678", body: str = BODY, reference: str = REFERENCE
) -> OutgoingMessage:
    return OutgoingMessage(reference=reference, to=to, body=body)


@pytest.fixture
async def gateway(aiohttp_server: Any) -> tuple[FakeBrandname, str]:
    fake = FakeBrandname()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("")).rstrip("/")


def provider_for(url: str, fake: FakeBrandname, **changes: Any) -> BrandnameSmsProvider:
    values: dict[str, Any] = {
        "api_base_url": url, "api_key": fake.api_key, "secret_key": fake.secret_key,
        "brandname": "UBNDHANOI", "timeout_s": 2.0,
    }
    values.update(changes)
    return BrandnameSmsProvider(**values)


@pytest.fixture
async def provider(gateway: tuple[FakeBrandname, str]) -> AsyncIterator[BrandnameSmsProvider]:
    fake, url = gateway
    provider = provider_for(url, fake)
    yield provider
    await provider.close()


async def wait_until(condition: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_a_message_reaches_the_gateway_in_its_format(
    gateway: tuple[FakeBrandname, str], provider: BrandnameSmsProvider
) -> None:
    fake, _ = gateway
    provider_ref = await provider.send(message())

    [sms] = fake.sent_to("0912345678")
    assert sms["Brandname"] == "UBNDHANOI"
    assert sms["Content"] == BODY
    assert (sms["SmsType"], sms["IsUnicode"]) == ("2", "0")
    assert sms["RequestId"] == REFERENCE
    assert "CallbackUrl" not in sms
    assert provider_ref == sms["SMSID"]


async def test_the_callback_url_is_passed_when_configured(
    gateway: tuple[FakeBrandname, str],
) -> None:
    fake, url = gateway
    provider = provider_for(url, fake, callback_url="https://dvc.example/v1/brandname/status")
    try:
        await provider.send(message())
    finally:
        await provider.close()
    [sms] = fake.messages
    assert sms["CallbackUrl"] == "https://dvc.example/v1/brandname/status"


async def test_a_repeated_reference_is_sent_once(
    gateway: tuple[FakeBrandname, str], provider: BrandnameSmsProvider
) -> None:
    fake, _ = gateway
    first = await provider.send(message())
    again = await provider.send(message())  # eSMS answers 124: already accepted

    assert len(fake.messages) == 1
    assert fake.duplicates == [REFERENCE]
    assert first == fake.messages[0]["SMSID"]
    assert again == f"RequestId:{REFERENCE}"


async def test_a_gateway_that_echoes_the_first_smsid_gives_the_same_ref(
    gateway: tuple[FakeBrandname, str], provider: BrandnameSmsProvider
) -> None:
    fake, _ = gateway
    fake.echo_smsid_on_duplicate = True
    first = await provider.send(message())
    again = await provider.send(message())

    assert len(fake.messages) == 1
    assert fake.duplicates == [REFERENCE]
    assert again == first


async def test_a_retry_after_a_timeout_that_did_arrive_does_not_send_twice(
    gateway: tuple[FakeBrandname, str],
) -> None:
    fake, url = gateway
    fake.delay_s = 0.5
    provider = provider_for(url, fake, timeout_s=0.1)
    try:
        with pytest.raises(RetryableError, match="did not answer"):
            await provider.send(message())
        await wait_until(lambda: len(fake.messages) == 1)  # the gateway went on and sent it
        fake.delay_s = 0
        provider_ref = await provider.send(message())
    finally:
        await provider.close()
    assert len(fake.sent_to("0912345678")) == 1
    assert provider_ref == f"RequestId:{REFERENCE}"


async def test_a_different_reference_is_a_different_message(
    gateway: tuple[FakeBrandname, str], provider: BrandnameSmsProvider
) -> None:
    fake, _ = gateway
    first = await provider.send(message())
    second = await provider.send(message(reference="another-notification"))
    assert first != second
    assert len(fake.sent_to("0912345678")) == 2


async def test_a_wrong_secret_is_permanent(gateway: tuple[FakeBrandname, str]) -> None:
    fake, url = gateway
    provider = provider_for(url, fake, secret_key="not-the-secret")
    try:
        with pytest.raises(PermanentError, match="CodeResult 101"):
            await provider.send(message())
    finally:
        await provider.close()
    assert fake.messages == []


async def test_an_unregistered_brandname_is_permanent(gateway: tuple[FakeBrandname, str]) -> None:
    fake, url = gateway
    provider = provider_for(url, fake, brandname="UBNDHCM")
    try:
        with pytest.raises(PermanentError, match="CodeResult 104"):
            await provider.send(message())
    finally:
        await provider.close()
    assert fake.messages == []


@pytest.mark.parametrize(
    "body",
    [
        "Ho so 000.00.12.H26-251120-0001 da duoc tiep nhan.",  # no registered template
        "TTPVHCC Hà Nội: Hồ sơ đã được tiếp nhận.",  # accented
        "TTPVHCC Ha Noi: " + "x" * 300,  # three segments
    ],
    ids=["no-template", "accented", "too-long"],
)
async def test_content_the_carriers_would_refuse_is_permanent(
    gateway: tuple[FakeBrandname, str], provider: BrandnameSmsProvider, body: str
) -> None:
    fake, _ = gateway
    with pytest.raises(PermanentError, match="CodeResult 146"):
        await provider.send(message(body=body))
    assert fake.messages == []


async def test_a_foreign_number_is_permanent_and_not_sent(
    gateway: tuple[FakeBrandname, str], provider: BrandnameSmsProvider
) -> None:
    fake, _ = gateway
    with pytest.raises(PermanentError, match="Vietnamese mobile numbers only"):
        await provider.send(message(to="+14155550100"))
    assert fake.messages == []


@pytest.mark.parametrize("failure", [500, 503, 429, "99", "103"])
async def test_gateway_failures_are_retryable_and_a_retry_sends_once(
    gateway: tuple[FakeBrandname, str], provider: BrandnameSmsProvider, failure: int | str
) -> None:
    fake, _ = gateway
    fake.fail_next.append(failure)
    with pytest.raises(RetryableError):
        await provider.send(message())
    assert fake.messages == []

    await provider.send(message())
    assert len(fake.messages) == 1


@pytest.mark.parametrize("code", ["104", "108", "146", "177"])
async def test_refusal_codes_are_permanent(
    gateway: tuple[FakeBrandname, str], provider: BrandnameSmsProvider, code: str
) -> None:
    fake, _ = gateway
    fake.fail_next.append(code)
    with pytest.raises(PermanentError, match=f"CodeResult {code}"):
        await provider.send(message())


async def test_a_slow_gateway_is_a_retryable_timeout(gateway: tuple[FakeBrandname, str]) -> None:
    fake, url = gateway
    fake.delay_s = 1.0
    provider = provider_for(url, fake, timeout_s=0.1)
    try:
        with pytest.raises(RetryableError, match=r"did not answer in 0\.1 s"):
            await provider.send(message())
    finally:
        await provider.close()


async def test_an_unreachable_gateway_is_retryable(unused_tcp_port: int) -> None:
    fake = FakeBrandname()
    provider = provider_for(f"http://127.0.0.1:{unused_tcp_port}", fake)
    try:
        with pytest.raises(RetryableError, match="unreachable"):
            await provider.send(message())
    finally:
        await provider.close()


async def test_a_wrong_path_is_permanent(gateway: tuple[FakeBrandname, str]) -> None:
    fake, url = gateway
    provider = provider_for(url, fake, send_path="/MainService.svc/json/NoSuchMethod/")
    try:
        with pytest.raises(PermanentError, match="HTTP 404"):
            await provider.send(message())
    finally:
        await provider.close()


async def test_the_path_is_configurable(aiohttp_server: Any) -> None:
    fake = FakeBrandname(path="/api/v2/brandname/send")
    server = await aiohttp_server(fake.app())
    provider = provider_for(
        str(server.make_url("")), fake, send_path="api/v2/brandname/send"
    )
    try:
        await provider.send(message())
    finally:
        await provider.close()
    assert len(fake.messages) == 1


async def test_close_without_a_send_and_twice_is_harmless() -> None:
    provider = provider_for("http://127.0.0.1:9", FakeBrandname())
    await provider.close()
    await provider.close()


@pytest.mark.parametrize("brandname", ["UBNDHANOI123", "", "   ", "UBND Hà Nội", "UBND/HN"])
def test_an_invalid_brandname_is_refused_at_construction(brandname: str) -> None:
    with pytest.raises(ValueError, match="brandname"):
        provider_for("http://127.0.0.1:9", FakeBrandname(), brandname=brandname)


@pytest.mark.parametrize("brandname", ["UBNDHANOI", "TTPVHCC.HN", "HN Public-1", "A"])
def test_valid_brandnames_are_accepted(brandname: str) -> None:
    provider_for("http://127.0.0.1:9", FakeBrandname(), brandname=brandname)
