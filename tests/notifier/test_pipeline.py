"""A step event from ingestion to Twilio and back into the record, in process, on both backends.

The real `twilio` library talks to a local server that speaks Twilio's Messages API."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from notifier.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from service.app import create_app
from service.keys import STORE
from tests.conftest import Backend, settings_for
from tests.fakes.twilio_api import FakeTwilio

SECRET = "test-events-secret"


def step_event(**changes: Any) -> dict[str, Any]:
    event = {
        "event_id": "evt-0001",
        "dossier_code": "000.00.12.H26-251120-0001",
        "procedure": "Đăng ký khai sinh",
        "step": "received",
        "phone": "0912 345 678",
        "occurred_at": "2026-11-23T09:30:00+07:00",
    }
    event.update(changes)
    return event


def signed(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret.encode(), timestamp, body),
        "Content-Type": "application/json",
    }


async def post_event(client: TestClient, event: dict[str, Any], delivery: int = 0) -> Any:
    """POST the event as the TTHC system would: each delivery signed anew (`delivery` seconds
    later), so that a re-delivery is not a replay."""
    body = json.dumps(event).encode()
    return await client.post(
        "/v1/events", data=body, headers=signed(body, timestamp=int(time.time()) + delivery)
    )


async def wait_for_status(client: TestClient, notification_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        response = await client.get(f"/v1/notifications/{notification_id}")
        record = await response.json()
        if record["status"] == status:
            return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"notification {notification_id} still {record['status']}, not {status}")


@pytest.fixture
async def twilio(aiohttp_server: Any) -> tuple[FakeTwilio, str]:
    fake = FakeTwilio()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("")).rstrip("/")


@pytest.fixture
async def client(
    backend: Backend, tmp_path: Path, twilio: tuple[FakeTwilio, str], aiohttp_client: Any
) -> TestClient:
    fake, url = twilio
    settings = settings_for(
        backend, tmp_path,
        sms_providers="twilio", twilio_account_sid=fake.account_sid,
        twilio_auth_token=fake.auth_token, twilio_api_base_url=url,
    )
    client: TestClient = await aiohttp_client(create_app(settings))
    return client


async def test_a_step_event_becomes_one_sms(client: TestClient, twilio: tuple[FakeTwilio, str]):
    fake, _ = twilio
    response = await post_event(client, step_event())
    assert response.status == 202
    [notification_id] = (await response.json())["notifications"]

    record = await wait_for_status(client, notification_id, "sent")
    assert record["provider"] == "twilio"
    assert record["attempts"] == 1
    [sms] = fake.sent_to("+84912345678")
    assert sms["from"] == "UBNDHANOI"
    assert "000.00.12.H26-251120-0001" in sms["body"]
    assert "Dang ky khai sinh" in sms["body"]


async def test_the_same_event_twice_sends_once(client: TestClient, twilio: tuple[FakeTwilio, str]):
    fake, _ = twilio
    first = await post_event(client, step_event())
    [notification_id] = (await first.json())["notifications"]
    await wait_for_status(client, notification_id, "sent")

    again = await post_event(client, step_event(), delivery=1)
    new_id_same_step = await post_event(client, step_event(event_id="evt-0002"))
    for response in (again, new_id_same_step):
        assert response.status == 200
        assert await response.json() == {"duplicate": True, "notifications": [notification_id]}
    await asyncio.sleep(0.3)
    assert len(fake.sent_to("+84912345678")) == 1


async def test_a_provider_error_is_retried(client: TestClient, twilio: tuple[FakeTwilio, str]):
    fake, _ = twilio
    fake.fail_next.extend([503])
    response = await post_event(client, step_event(step="result_ready"))
    [notification_id] = (await response.json())["notifications"]
    record = await wait_for_status(client, notification_id, "sent")
    assert record["attempts"] == 2
    assert len(fake.sent_to("+84912345678")) == 1


async def test_a_message_twilio_accepted_after_a_time_out_is_not_sent_again(
    backend: Backend, tmp_path: Path, twilio: tuple[FakeTwilio, str], aiohttp_client: Any
) -> None:
    """Twilio takes no idempotency key: the retry first asks Twilio whether it has the message."""
    fake, url = twilio
    settings = settings_for(
        backend, tmp_path, sms_providers="twilio", twilio_account_sid=fake.account_sid,
        twilio_auth_token=fake.auth_token, twilio_api_base_url=url, provider_timeout_s=0.3,
    )
    client: TestClient = await aiohttp_client(create_app(settings))
    fake.slow_next.append(1.0)  # accepted, answered after the client gave up
    response = await post_event(client, step_event(step="result_ready"))
    [notification_id] = (await response.json())["notifications"]
    record = await wait_for_status(client, notification_id, "sent")
    [sms] = fake.sent_to("+84912345678")
    stored = await client.app[STORE].get(notification_id)
    assert record["attempts"] == 2 and stored.provider_ref == sms["sid"]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (lambda: {}, "missing"),
        (lambda: signed(b"{}", secret="wrong"), "does not match"),
        (lambda: signed(b"x", timestamp=int(time.time()) - 3600), "from now"),
    ],
)
async def test_unsigned_or_badly_signed_events_are_refused(
    client: TestClient, headers: Callable[[], dict[str, str]], reason: str
) -> None:
    # Signed when the test runs, not when it is collected: a slow run must not make them stale.
    response = await client.post("/v1/events", data=json.dumps(step_event()), headers=headers())
    assert response.status == 401
    error = (await response.json())["error"]
    assert error["code"] == "invalid_signature" and reason in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (json.dumps(step_event(step="teleported")).encode(), "step"),
        (json.dumps(step_event(phone="12345")).encode(), "phone"),
        (json.dumps({k: v for k, v in step_event().items() if k != "dossier_code"}).encode(),
         "dossier_code"),
    ],
)
async def test_malformed_events_are_refused_and_nothing_is_stored(
    client: TestClient, body: bytes, field: str
) -> None:
    response = await client.post("/v1/events", data=body, headers=signed(body))
    assert response.status == 422
    assert field in (await response.json())["error"]["message"]
    retry = await post_event(client, step_event())  # same event id, now valid: not a duplicate
    assert retry.status == 202


async def test_a_huge_body_is_refused_as_json(client: TestClient) -> None:
    body = b"x" * (10 * 1024 * 1024)
    response = await client.post("/v1/events", data=io.BytesIO(body), headers=signed(body))
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "request_entity_too_large"


async def test_a_replayed_request_is_refused_with_nothing_queued(
    client: TestClient, twilio: tuple[FakeTwilio, str]
) -> None:
    fake, _ = twilio
    body = json.dumps(step_event()).encode()
    headers = signed(body)
    first = await client.post("/v1/events", data=body, headers=headers)
    [notification_id] = (await first.json())["notifications"]
    await wait_for_status(client, notification_id, "sent")
    replay = await client.post("/v1/events", data=body, headers=headers)
    assert replay.status == 409
    assert (await replay.json())["error"]["code"] == "replayed"
    await asyncio.sleep(0.2)
    assert len(fake.sent_to("+84912345678")) == 1


async def test_concurrent_repeats_of_one_step_store_one_message(
    client: TestClient, twilio: tuple[FakeTwilio, str]
) -> None:
    """Repeats arriving together land in one batch (or racing batches): still one message."""
    fake, _ = twilio
    responses = await asyncio.gather(
        *(post_event(client, step_event(), delivery=n) for n in range(5)),
        *(post_event(client, step_event(event_id=f"evt-x{n}")) for n in range(5)),
    )
    bodies = [await r.json() for r in responses]
    assert sorted(r.status for r in responses) == [200] * 9 + [202]
    assert len({tuple(b["notifications"]) for b in bodies}) == 1
    [notification_id] = bodies[0]["notifications"]
    await wait_for_status(client, notification_id, "sent")
    await asyncio.sleep(0.2)
    assert len(fake.sent_to("+84912345678")) == 1
