"""The gateway's behaviour over HTTP, on both backends: direct sends with live and test keys, push
first with SMS where it must reach, failover between SMS providers, and recovery of work a lost
queue dropped. Real providers' libraries talk to local fakes of Twilio and a brandname gateway."""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from dossiers.mirror import MirrorDossierSource
from notifier.events import StepEvent
from notifier.redis_client import redis_client
from notifier.sender import Housekeeping, Sender
from notifier.store import NotificationStore
from notifier.work_queue import RedisStreamQueue
from service.app import create_app, ingestor
from service.providers import build_channels
from tests.conftest import Backend, settings_for
from tests.fakes.brandname_api import FakeBrandname
from tests.fakes.twilio_api import FakeTwilio
from tests.notifier.test_pipeline import post_event, step_event, wait_for_status

LIVE_KEY = "ihanoi:live:live-secret-0123456789"
TEST_KEY = "qa:test:test-secret-0123456789"
PHONE = "+84912345678"


def bearer(spec: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {spec.split(':', 2)[2]}"}


@pytest.fixture
async def fakes(aiohttp_server: Any) -> tuple[FakeTwilio, str, FakeBrandname, str]:
    twilio, brandname = FakeTwilio(), FakeBrandname()
    twilio_server = await aiohttp_server(twilio.app())
    brandname_server = await aiohttp_server(brandname.app())
    return (twilio, str(twilio_server.make_url("")).rstrip("/"),
            brandname, str(brandname_server.make_url("")).rstrip("/"))


def gateway_settings(backend: Backend, tmp_path: Path, fakes: Any, **overrides: Any) -> Any:
    twilio, twilio_url, brandname, brandname_url = fakes
    values = dict(
        sms_providers="twilio", twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token, twilio_api_base_url=twilio_url,
        brandname_api_base_url=brandname_url, brandname_api_key=brandname.api_key,
        brandname_secret_key=brandname.secret_key, push_provider="outbox",
        notifier_api_keys=f"{LIVE_KEY},{TEST_KEY}",
    )
    values.update(overrides)
    return settings_for(backend, tmp_path, **values)


@pytest.fixture
async def client(backend: Backend, tmp_path: Path, fakes: Any, aiohttp_client: Any) -> TestClient:
    app = create_app(gateway_settings(backend, tmp_path, fakes))
    result: TestClient = await aiohttp_client(app)
    return result


def direct(reference: str, template: str = "booking_confirmed") -> dict[str, Any]:
    return {
        "template": template, "phone": "0912 345 678", "reference": reference,
        "personalisation": {"ticket": "A012", "time": "09:30 ngày 03/12",
                            "service_point": "Chi nhánh số 1"},
    }


async def test_a_live_key_sends_once_per_reference(client: TestClient, fakes: Any) -> None:
    twilio = fakes[0]
    first = await client.post("/v1/notifications", json=direct("bk-1"), headers=bearer(LIVE_KEY))
    assert first.status == 201
    [notification_id] = (await first.json())["notifications"]
    await wait_for_status(client, notification_id, "sent")
    again = await client.post("/v1/notifications", json=direct("bk-1"), headers=bearer(LIVE_KEY))
    assert again.status == 200
    assert (await again.json())["notifications"] == [notification_id]
    await asyncio.sleep(0.2)
    [sms] = twilio.sent_to(PHONE)
    assert "Lich hen so A012" in sms["body"] and "Chi nhanh so 1" in sms["body"]


async def test_a_test_key_goes_through_the_pipeline_but_not_to_a_provider(
    client: TestClient, fakes: Any
) -> None:
    response = await client.post(
        "/v1/notifications", json=direct("bk-2"), headers=bearer(TEST_KEY)
    )
    [notification_id] = (await response.json())["notifications"]
    record = await wait_for_status(client, notification_id, "sent")
    assert record["provider"] == "test" and record["test"] is True
    assert fakes[0].sent_to(PHONE) == []


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({}, direct("x"), 401, "invalid_api_key"),
        (bearer(LIVE_KEY), {**direct("x"), "phone": "12345"}, 422, "invalid_notification"),
        (bearer(LIVE_KEY), direct("x", template="nope"), 422, "unrenderable"),
        (bearer(LIVE_KEY), {"template": "late"}, 422, "invalid_notification"),
    ],
)
async def test_bad_direct_sends_are_refused(
    client: TestClient, headers: dict[str, str], body: Any, status: int, code: str
) -> None:
    response = await client.post("/v1/notifications", json=body, headers=headers)
    assert response.status == status
    assert (await response.json())["error"]["code"] == code


async def test_push_first_and_sms_only_where_the_step_must_reach(client: TestClient) -> None:
    saved = await client.put(
        "/v1/recipients/0912345678", json={"push_token": "device-token-1"},
        headers=bearer(LIVE_KEY),
    )
    assert saved.status == 200
    received = await post_event(client, step_event(step="received"))
    ready = await post_event(client, step_event(event_id="evt-2", step="result_ready"))
    received_ids = (await received.json())["notifications"]
    ready_ids = (await ready.json())["notifications"]
    channels = [
        [(await wait_for_status(client, i, "sent"))["channel"] for i in ids]
        for ids in (received_ids, ready_ids)
    ]
    assert channels == [["push"], ["push", "sms"]]


async def test_an_sms_opt_out_is_honoured(client: TestClient, fakes: Any) -> None:
    await client.put(
        "/v1/recipients/0912345678", json={"sms_opt_out": True}, headers=bearer(LIVE_KEY)
    )
    response = await post_event(client, step_event(step="result_ready"))
    assert (await response.json())["notifications"] == []
    await asyncio.sleep(0.2)
    assert fakes[0].sent_to(PHONE) == []


async def test_a_failing_provider_is_failed_over(
    backend: Backend, tmp_path: Path, fakes: Any, aiohttp_client: Any
) -> None:
    twilio, _, brandname, _ = fakes
    twilio.fail_next.extend([500] * 100)
    settings = gateway_settings(backend, tmp_path, fakes, sms_providers="twilio:1,brandname:1")
    client = await aiohttp_client(create_app(settings))
    ids = []
    for n in range(6):
        response = await post_event(
            client, step_event(event_id=f"evt-{n}", dossier_code=f"000.00.12.H26-251120-{n:04d}")
        )
        ids += (await response.json())["notifications"]
    records = [await wait_for_status(client, i, "sent") for i in ids]
    assert {r["provider"] for r in records} == {"brandname"}
    assert len(brandname.sent_to("0912345678")) == 6
    assert twilio.sent_to(PHONE) == []


async def test_work_dropped_by_a_restarted_redis_is_queued_again(
    backend: Backend, tmp_path: Path, fakes: Any
) -> None:
    if backend.redis_url is None:
        pytest.skip("the in-process queue lives and dies with its process")
    settings = gateway_settings(backend, tmp_path, fakes)
    store = NotificationStore.from_url(settings.sqlalchemy_url, settings.database_schema)
    await store.create_schema()
    queue = await RedisStreamQueue.connect(settings.redis_url, settings.notifier_stream)
    events = [
        step_event(event_id=f"evt-{n}", dossier_code=f"000.00.12.H26-251120-{n:04d}",
                   phone=f"09123456{n:02d}")
        for n in range(20)
    ]
    mirror = MirrorDossierSource(store.engine)
    await mirror.create_schema()
    intake = ingestor(settings, store, queue, mirror)
    ids = [i for e in events for i in (await intake.ingest(StepEvent(**e))).notification_ids]
    # What a Redis restart without persistence does: the stream and its group are gone.
    client = redis_client(settings.redis_url)
    await client.delete(settings.notifier_stream)
    await client.aclose()

    channels = build_channels(settings, intake.templates.registry.brandname)
    rules = Housekeeping(every_s=0.1, lost_after=datetime.timedelta(0))
    sender = asyncio.create_task(Sender(store, queue, channels, housekeeping=rules).run(wait_s=0.1))
    try:
        for _ in range(100):
            statuses = [(await store.get(i)).status for i in ids]  # type: ignore[union-attr]
            if set(statuses) == {"sent"}:
                break
            await asyncio.sleep(0.1)
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        for channel in channels.values():
            await channel.close()
        await queue.close()
        await store.close()
    assert set(statuses) == {"sent"}
    sent = [(m["to"], m["body"]) for m in fakes[0].messages]
    assert len(sent) == 20 == len(set(sent))  # each once


async def test_twilio_receipts_mark_messages_delivered_or_failed(
    backend: Backend, tmp_path: Path, fakes: Any, aiohttp_client: Any, unused_tcp_port: int
) -> None:
    twilio = fakes[0]
    port = unused_tcp_port
    callback = f"http://127.0.0.1:{port}/v1/callbacks/twilio"
    settings = gateway_settings(backend, tmp_path, fakes, twilio_status_callback_url=callback)
    client = await aiohttp_client(TestServer(create_app(settings), port=port))
    twilio.outcomes["+84912345679"] = "undelivered"
    delivered = await post_event(client, step_event(step="result_ready"))
    failed = await post_event(
        client, step_event(event_id="evt-2", step="result_ready", phone="0912345679",
                           dossier_code="000.00.12.H26-251120-0002"),
    )
    [delivered_id] = (await delivered.json())["notifications"]
    [failed_id] = (await failed.json())["notifications"]
    await wait_for_status(client, delivered_id, "delivered")
    await wait_for_status(client, failed_id, "permanent-failure")

    forged = await client.post(
        "/v1/callbacks/twilio", data={"MessageSid": "SM1", "MessageStatus": "delivered"},
        headers={"X-Twilio-Signature": "Zm9yZ2Vk"},
    )
    assert forged.status == 403
