"""The FCM push provider against a local server that speaks FCM's HTTP v1 API and Google's OAuth
2.0 token endpoint: the real `google-auth` library signs and fetches the tokens."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from notifier.providers.base import OutgoingMessage, PermanentError, ProviderError, RetryableError
from notifier.providers.fcm_push import FcmPushProvider
from tests.fakes.fcm_api import FakeFcm, new_private_key_pem

DEVICE = "fcm-device-token-0001"


def push(**changes: Any) -> OutgoingMessage:
    fields: dict[str, Any] = {
        "reference": "ntf-0001",
        "to": DEVICE,
        "title": "Dịch vụ công Hà Nội",
        "body": "Hồ sơ 000.00.12.H26-251120-0001 đã có kết quả.",
        "link": "ihanoi://dossiers/000.00.12.H26-251120-0001",
    }
    fields.update(changes)
    return OutgoingMessage(**fields)


@pytest.fixture
async def fcm(aiohttp_server: Any) -> tuple[FakeFcm, str]:
    fake = FakeFcm()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("")).rstrip("/")


@pytest.fixture
async def provider(fcm: tuple[FakeFcm, str]) -> AsyncIterator[FcmPushProvider]:
    fake, url = fcm
    provider = FcmPushProvider(fake.service_account(url), api_base_url=url, timeout_s=5.0)
    yield provider
    await provider.close()


def unused_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_a_push_reaches_the_device(provider: FcmPushProvider, fcm: tuple[FakeFcm, str]):
    fake, _ = fcm
    name = await provider.send(push())

    assert name.startswith("projects/ihanoi-test/messages/")
    [sent] = fake.sent_to(DEVICE)
    assert sent["notification"] == {
        "title": "Dịch vụ công Hà Nội",
        "body": "Hồ sơ 000.00.12.H26-251120-0001 đã có kết quả.",
    }
    assert sent["data"] == {
        "link": "ihanoi://dossiers/000.00.12.H26-251120-0001", "reference": "ntf-0001",
    }
    assert sent["android"] == {"priority": "high"}


async def test_title_and_link_are_optional(provider: FcmPushProvider, fcm: tuple[FakeFcm, str]):
    fake, _ = fcm
    await provider.send(push(title=None, link=None))
    [sent] = fake.sent_to(DEVICE)
    assert sent["notification"] == {"body": "Hồ sơ 000.00.12.H26-251120-0001 đã có kết quả."}
    assert sent["data"] == {"reference": "ntf-0001"}


async def test_one_token_serves_many_sends(provider: FcmPushProvider, fcm: tuple[FakeFcm, str]):
    fake, _ = fcm
    await asyncio.gather(*(provider.send(push(reference=f"ntf-{i}")) for i in range(5)))
    await provider.send(push(reference="ntf-later"))

    assert len(fake.tokens_issued) == 1
    assert len(fake.sent_to(DEVICE)) == 6


async def test_a_token_close_to_expiry_is_renewed(fcm: tuple[FakeFcm, str]):
    fake, url = fcm
    fake.token_lifetime_s = 120  # inside google-auth's margin: stale as soon as it arrives
    provider = FcmPushProvider(fake.service_account(url), api_base_url=url, timeout_s=5.0)
    try:
        for i in range(3):
            await provider.send(push(reference=f"ntf-{i}"))
    finally:
        await provider.close()
    assert len(fake.tokens_issued) == 3
    assert fake.unauthenticated == 0


async def test_a_revoked_token_is_refreshed_and_the_send_retried(
    provider: FcmPushProvider, fcm: tuple[FakeFcm, str]
):
    fake, _ = fcm
    await provider.send(push(reference="ntf-1"))
    fake.revoke_tokens()

    await provider.send(push(reference="ntf-2"))

    assert fake.unauthenticated == 1
    assert len(fake.tokens_issued) == 2
    assert [m["data"]["reference"] for m in fake.sent_to(DEVICE)] == ["ntf-1", "ntf-2"]


async def test_a_second_401_is_retryable(provider: FcmPushProvider, fcm: tuple[FakeFcm, str]):
    fake, _ = fcm
    fake.fail_next.extend([401, 401])
    with pytest.raises(RetryableError, match="401 UNAUTHENTICATED"):
        await provider.send(push())
    assert len(fake.tokens_issued) == 2
    assert fake.sent_to(DEVICE) == []


async def test_an_unregistered_device_is_permanent(
    provider: FcmPushProvider, fcm: tuple[FakeFcm, str]
):
    fake, _ = fcm
    fake.unregistered.add(DEVICE)
    with pytest.raises(PermanentError, match="404 NOT_FOUND UNREGISTERED"):
        await provider.send(push())
    assert fake.sent_to(DEVICE) == []


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, RetryableError),
        (503, RetryableError),
        (429, RetryableError),
        (400, PermanentError),
        (403, PermanentError),
    ],
)
async def test_fcm_errors_are_classified(
    provider: FcmPushProvider, fcm: tuple[FakeFcm, str], status: int, error: type[ProviderError]
):
    fake, _ = fcm
    fake.fail_next.append(status)
    with pytest.raises(error, match=f"fcm answered {status}"):
        await provider.send(push(reference="ntf-1"))

    await provider.send(push(reference="ntf-2"))  # the failure was for that request only
    assert [m["data"]["reference"] for m in fake.sent_to(DEVICE)] == ["ntf-2"]


async def test_a_slow_fcm_is_a_retryable_timeout(fcm: tuple[FakeFcm, str]):
    fake, url = fcm
    fake.delay_s = 1.0
    provider = FcmPushProvider(fake.service_account(url), api_base_url=url, timeout_s=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(RetryableError, match="did not answer"):
            await provider.send(push())
    finally:
        await provider.close()
    assert time.monotonic() - started < 0.9


async def test_an_unreachable_fcm_is_retryable(fcm: tuple[FakeFcm, str]):
    fake, url = fcm
    provider = FcmPushProvider(
        fake.service_account(url), api_base_url=unused_port_url(), timeout_s=5.0
    )
    try:
        with pytest.raises(RetryableError, match="fcm unreachable"):
            await provider.send(push())
    finally:
        await provider.close()
    assert len(fake.tokens_issued) == 1


async def test_an_unreachable_token_endpoint_is_retryable(fcm: tuple[FakeFcm, str]):
    fake, url = fcm
    account = fake.service_account(url)
    account["token_uri"] = f"{unused_port_url()}/token"
    provider = FcmPushProvider(account, api_base_url=url, timeout_s=5.0)
    try:
        with pytest.raises(RetryableError, match="token endpoint unreachable"):
            await provider.send(push())
    finally:
        await provider.close()
    assert fake.sent_to(DEVICE) == []


async def test_a_key_the_fake_does_not_trust_gets_no_token(fcm: tuple[FakeFcm, str]):
    fake, url = fcm
    account = fake.service_account(url)
    account["private_key"] = new_private_key_pem()  # same key id, another key: bad signature
    provider = FcmPushProvider(account, api_base_url=url, timeout_s=5.0)
    try:
        with pytest.raises(ProviderError, match="Invalid JWT Signature") as refused:
            await provider.send(push())
    finally:
        await provider.close()
    assert isinstance(refused.value, PermanentError)
    assert fake.tokens_issued == []
    assert fake.sent_to(DEVICE) == []


async def test_a_slow_token_endpoint_is_asked_once(fcm: tuple[FakeFcm, str]):
    """Sends that time out while a token is on its way do not start a refresh each: the first
    refresh goes on in its thread, and the token it brings serves the sends after it."""
    fake, url = fcm
    fake.token_delay_s = 0.8
    provider = FcmPushProvider(fake.service_account(url), api_base_url=url, timeout_s=0.3)
    try:
        for reference in ("ntf-1", "ntf-2"):
            with pytest.raises(RetryableError, match="did not answer"):
                await provider.send(push(reference=reference))
        await asyncio.sleep(fake.token_delay_s)  # the first refresh lands meanwhile
        await provider.send(push(reference="ntf-3"))
    finally:
        await provider.close()
    assert fake.token_requests == 1
    assert [m["data"]["reference"] for m in fake.sent_to(DEVICE)] == ["ntf-3"]
