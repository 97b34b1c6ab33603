"""Our service's own endpoints, in process (the chat forwarding to Rasa is covered end to end)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.api import EMPTY_MESSAGE, RASA_DOWN
from service.app import create_app
from tests.conftest import BACKENDS, settings_for


@pytest.fixture
async def client(tmp_path: Path, aiohttp_client: Any, unused_tcp_port: int) -> TestClient:
    # Nothing listens on the Rasa URL: the chat must say so politely.
    settings = settings_for(BACKENDS[0], tmp_path, rasa_url=f"http://127.0.0.1:{unused_tcp_port}")
    client: TestClient = await aiohttp_client(create_app(settings))
    return client


async def test_health(client: TestClient) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert (await response.json())["procedures"] >= 8


async def test_search_returns_codes_best_first(client: TestClient) -> None:
    response = await client.get("/api/v1/procedures/search", params={"q": "lam ly lich tu phap"})
    body = await response.json()
    hits = body["results"]
    assert response.status == 200
    assert hits[0]["code"] == "cap-phieu-ly-lich-tu-phap"
    assert set(hits[0]) == {"code", "name", "score"}
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert (body["decision"], body["code"]) == ("answer", "cap-phieu-ly-lich-tu-phap")


async def test_search_abstains_on_what_the_knowledge_base_lacks(client: TestClient) -> None:
    response = await client.get(
        "/api/v1/procedures/search", params={"q": "xin visa đi Nhật du lịch cần giấy tờ gì"}
    )
    body = await response.json()
    assert (body["decision"], body["code"]) == ("abstain", None)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "missing_query"),
        ({"q": "  "}, "missing_query"),
        ({"q": "x" * 5000}, "query_too_long"),
        ({"q": "khai sinh", "k": "abc"}, "invalid_k"),
        ({"q": "khai sinh", "k": "0"}, "invalid_k"),
        ({"q": "khai sinh", "k": "1000"}, "invalid_k"),
    ],
)
async def test_bad_searches_get_a_json_error(
    client: TestClient, params: dict[str, str], code: str
) -> None:
    response = await client.get("/api/v1/procedures/search", params=params)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == code


async def test_sql_or_html_in_a_query_is_just_text(client: TestClient) -> None:
    for q in ("'; DROP TABLE notifier_events; --", "<script>alert('x')</script>"):
        response = await client.get("/api/v1/procedures/search", params={"q": q})
        assert response.status == 200
        assert await response.json() == {"results": [], "decision": "abstain", "code": None}


async def test_a_procedure_by_code(client: TestClient) -> None:
    response = await client.get("/api/v1/procedures/dang-ky-khai-sinh")
    record = await response.json()
    assert record["code"] == "dang-ky-khai-sinh" and record["documents"]
    missing = await client.get("/api/v1/procedures/khong-co")
    assert missing.status == 404
    assert (await missing.json())["error"]["code"] == "unknown_procedure"


async def test_chat_answers_an_empty_message_without_asking_rasa(client: TestClient) -> None:
    response = await client.post("/api/v1/chat", json={"sender": "s1", "message": "   "})
    assert await response.json() == [{"recipient_id": "", "text": EMPTY_MESSAGE}]


async def test_chat_says_so_when_rasa_is_down(client: TestClient) -> None:
    response = await client.post("/api/v1/chat", json={"sender": "s1", "message": "xin chào"})
    assert await response.json() == [{"recipient_id": "", "text": RASA_DOWN}]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        ('{"message": "hi"}', "invalid_sender"),
    ],
)
async def test_chat_rejects_malformed_requests(client: TestClient, body: str, code: str) -> None:
    response = await client.post("/api/v1/chat", data=body)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == code


async def test_the_chat_page_is_served(client: TestClient) -> None:
    page = await client.get("/")
    assert page.status == 200
    assert "Trợ lý Dịch vụ công" in await page.text()
    script = await client.get("/static/chat.js")
    assert "textContent" in await script.text()
