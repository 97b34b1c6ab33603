"""The dossier lookup endpoint, fed by real signed step events, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.dossier_api import TOKEN_HEADER
from tests.conftest import Backend, settings_for
from tests.notifier.test_pipeline import post_event, step_event

TOKEN = "internal-token-for-tests-0123456789"


@pytest.fixture
async def client(backend: Backend, tmp_path: Path, aiohttp_client: Any) -> TestClient:
    settings = settings_for(backend, tmp_path, internal_api_token=TOKEN)
    result: TestClient = await aiohttp_client(create_app(settings))
    return result


def asked(code: str, digits: str, conversation: str = "web-1") -> dict[str, str]:
    return {"code": code, "last_digits": digits, "conversation": conversation}


async def test_a_step_event_makes_the_dossier_answerable(client: TestClient) -> None:
    event = step_event(step="late", details={"new_due_date": "2026-12-10"})
    assert (await post_event(client, event)).status == 202
    response = await client.post(
        "/api/v1/dossiers/lookup", json=asked(event["dossier_code"].lower(), "5678"),
        headers={TOKEN_HEADER: TOKEN},
    )
    body = await response.json()
    assert body["outcome"] == "found"
    assert "xin lỗi" in body["answer"] and "10/12/2026" in body["answer"]
    wrong = await client.post(
        "/api/v1/dossiers/lookup", json=asked(event["dossier_code"], "0000"),
        headers={TOKEN_HEADER: TOKEN},
    )
    assert (await wrong.json())["outcome"] == "no_match"


async def test_only_the_action_server_may_ask(client: TestClient) -> None:
    for headers in ({}, {TOKEN_HEADER: "guess"}):
        response = await client.post(
            "/api/v1/dossiers/lookup", json=asked("x", "1234"), headers=headers
        )
        assert response.status == 401
    response = await client.post(
        "/api/v1/dossiers/lookup", json={"code": "x"}, headers={TOKEN_HEADER: TOKEN}
    )
    assert response.status == 422


async def test_subscribing_lifts_an_sms_opt_out(
    backend: Backend, tmp_path: Path, aiohttp_client: Any
) -> None:
    key = "ihanoi:live:live-secret-0123456789"
    settings = settings_for(backend, tmp_path, internal_api_token=TOKEN, notifier_api_keys=key)
    client: TestClient = await aiohttp_client(create_app(settings))
    await client.put("/v1/recipients/0912345678", json={"sms_opt_out": True},
                     headers={"Authorization": "Bearer live-secret-0123456789"})
    first = await post_event(client, step_event(step="received"))
    assert (await first.json())["notifications"] == []  # opted out: nothing sent
    code = step_event()["dossier_code"]
    wrong = await client.post("/api/v1/dossiers/subscribe", json=asked(code, "0000"),
                              headers={TOKEN_HEADER: TOKEN})
    assert (await wrong.json())["outcome"] == "no_match"
    done = await client.post("/api/v1/dossiers/subscribe", json=asked(code, "5678"),
                             headers={TOKEN_HEADER: TOKEN})
    assert (await done.json())["outcome"] == "found"
    later = await post_event(client, step_event(event_id="evt-2", step="result_ready"))
    assert len((await later.json())["notifications"]) == 1
