"""Both slices through the real processes, over HTTP only.

1. A resident's question: web chat (our service) or Rasa's REST channel -> Rasa NLU -> action
   server -> knowledge base -> a Vietnamese answer.
2. A dossier step event: signed POST to our service -> stored and queued -> sent through the real
   `twilio` library to a local Twilio stand-in -> delivery recorded.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from actions.answers import CHAT_MAX_CHARS, chat_answer
from knowledge.records import load_procedures
from notifier.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from service.api import EMPTY_MESSAGE
from tests.e2e.conftest import EVENTS_SECRET, Bot, Service
from tests.fakes.twilio_api import FakeTwilio

pytestmark = pytest.mark.e2e

RECORDS = {r.code: r for r in load_procedures()}
QUESTION = "làm lý lịch tư pháp cần giấy tờ gì"


def say(url: str, message: str, sender: str | None) -> list[dict[str, Any]]:
    body = {"sender": sender or uuid.uuid4().hex, "message": message}
    response = requests.post(url, json=body, timeout=60)
    assert response.status_code == 200, response.text
    replies: list[dict[str, Any]] = response.json()
    return replies


def chat(service: Service, message: str, sender: str | None = None) -> list[dict[str, Any]]:
    """Through our service's web chat endpoint."""
    return say(f"{service.url}/api/v1/chat", message, sender)


def rasa_rest(bot: Bot, message: str, sender: str | None = None) -> list[dict[str, Any]]:
    """Straight to Rasa's REST channel."""
    return say(f"{bot.rasa_url}/webhooks/rest/webhook", message, sender)


def assert_lists_documents(replies: list[dict[str, Any]], code: str) -> None:
    """The short answer about the documents, the rest behind buttons of the same procedure."""
    record = RECORDS[code]
    [reply] = replies
    assert reply["text"] == chat_answer(record, "documents")
    assert reply["text"].startswith(record.name) and len(reply["text"]) <= CHAT_MAX_CHARS
    assert record.documents[0].name in reply["text"]
    titles = {b["title"] for b in reply["buttons"]}
    assert {"Xem đủ giấy tờ", "Lệ phí", "Thời gian", "Nơi nộp"} <= titles
    assert {"title": f"Nguồn: {urlsplit(str(record.source)).hostname.removeprefix('www.')}",
            "type": "web_url", "url": str(record.source)} in reply["buttons"]
    assert all(record.code in b["payload"] for b in reply["buttons"]
               if b.get("payload", "").startswith("/ask_procedure"))


def test_rasa_classifies_the_question(bot: Bot) -> None:
    url = f"{bot.rasa_url}/model/parse"
    parsed = requests.post(url, json={"text": QUESTION}, timeout=30).json()
    assert parsed["intent"]["name"] == "ask_procedure"
    aspects = [e["value"] for e in parsed["entities"] if e["entity"] == "aspect"]
    assert aspects == ["documents"]


def test_web_chat_answers_with_the_documents(service: Service) -> None:
    assert_lists_documents(chat(service, QUESTION), "cap-phieu-ly-lich-tu-phap")


def test_rasa_rest_channel_answers_with_the_documents(bot: Bot) -> None:
    assert_lists_documents(rasa_rest(bot, QUESTION), "cap-phieu-ly-lich-tu-phap")
    unaccented = rasa_rest(bot, "lam ly lich tu phap can giay to gi")
    assert_lists_documents(unaccented, "cap-phieu-ly-lich-tu-phap")


def test_a_follow_up_answers_for_the_same_procedure(bot: Bot) -> None:
    sender = uuid.uuid4().hex
    first = rasa_rest(bot, "đăng ký khai sinh cần giấy tờ gì", sender)
    assert_lists_documents(first, "dang-ky-khai-sinh")
    [fee] = rasa_rest(bot, "còn lệ phí thì sao?", sender)
    record = RECORDS["dang-ky-khai-sinh"]
    assert fee["text"] == chat_answer(record, "fee")


def test_empty_and_huge_messages_get_a_clear_answer(bot: Bot, service: Service) -> None:
    assert chat(service, "") == [{"recipient_id": "", "text": EMPTY_MESSAGE}]
    [too_long] = chat(service, "lý lịch tư pháp " * 1250)  # 20,000 characters
    assert "dài quá" in too_long["text"]
    # Straight to Rasa, bypassing our checks: still an answer, and no crash.
    for message in ("", "a" * 20_000, "<script>alert('x')</script>", "🙂🙂🙂",
                    "\x00\x07\x1b[31m", "how do I get a birth certificate khai sinh?"):
        replies = rasa_rest(bot, message)
        assert replies and all(r.get("text") for r in replies)
        assert all("<script>" not in r["text"] for r in replies)


def post_event(
    service: Service, event: dict[str, Any], secret: str = EVENTS_SECRET, delivery: int = 0
) -> Any:
    """Each delivery is signed anew, `delivery` seconds on: a re-delivery, not a replay."""
    body = json.dumps(event).encode()
    timestamp = int(time.time()) + delivery
    return requests.post(
        f"{service.url}/v1/events",
        data=body,
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret.encode(), timestamp, body),
        },
        timeout=10,
    )


def test_a_step_event_is_sent_as_sms_and_recorded(
    service: Service, twilio: tuple[FakeTwilio, str]
) -> None:
    fake, _ = twilio
    dossier = f"000.00.12.H26-251123-{uuid.uuid4().int % 10_000:04d}"
    phone = f"+8491{uuid.uuid4().int % 10_000_000:07d}"
    event = {
        "event_id": uuid.uuid4().hex,
        "dossier_code": dossier,
        "procedure": "Cấp Phiếu lý lịch tư pháp",
        "step": "result_ready",
        "phone": phone,
        "occurred_at": "2026-11-23T10:00:00+07:00",
    }
    accepted = post_event(service, event)
    assert accepted.status_code == 202, accepted.text
    [notification_id] = accepted.json()["notifications"]

    deadline = time.monotonic() + 15
    while True:
        record = requests.get(f"{service.url}/v1/notifications/{notification_id}", timeout=5).json()
        if record["status"] == "sent" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert record["status"] == "sent"
    assert record["provider"] == "twilio"
    [sms] = fake.sent_to(phone)
    assert dossier in sms["body"] and "Cap Phieu ly lich tu phap" in sms["body"]

    repeated = post_event(service, event, delivery=1)
    assert repeated.status_code == 200 and repeated.json()["duplicate"] is True
    time.sleep(0.5)
    assert len(fake.sent_to(phone)) == 1


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{}", {}, 401),
        (b"not json", None, 422),
        (b'{"event_id": "x"}', None, 422),
    ],
)
def test_bad_events_get_a_json_error(
    service: Service, body: bytes, headers: dict[str, str] | None, status: int
) -> None:
    if headers is None:
        timestamp = int(time.time())
        headers = {
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(EVENTS_SECRET.encode(), timestamp, body),
        }
    response = requests.post(f"{service.url}/v1/events", data=body, headers=headers, timeout=10)
    assert response.status_code == status
    assert response.json()["error"]["message"]


def test_rule_based_entities_come_normalised_from_the_model(bot: Bot) -> None:
    text = "hồ sơ 000.00.12.h26 - 250721 - 0001 của tôi, sđt 0912 345 678, hẹn 9h sáng 15/12"
    url = f"{bot.rasa_url}/model/parse"
    parsed = requests.post(url, json={"text": text}, timeout=30).json()
    ours = [e for e in parsed["entities"] if e.get("extractor") == "VietnameseEntityExtractor"]
    values = {e["entity"]: e["value"] for e in ours}
    assert values["dossier_code"] == "000.00.12.H26-250721-0001"
    assert values["phone"] == "+84912345678"
    assert values["time"].endswith("-12-15T09:00:00+07:00")


def test_gibberish_is_asked_to_be_rephrased_then_offered_the_hotline(bot: Bot) -> None:
    """Never a guess such as "Có phải bạn muốn đồng ý?": a request to say it again, and after
    repeated misses the hotline and a button to a person."""
    sender = uuid.uuid4().hex
    replies: list[dict[str, Any]] = []
    for _ in range(4):
        replies = rasa_rest(bot, "qwzx plmk vbnj", sender)
        assert all("Có phải" not in r["text"] for r in replies)
        if any("1900 1009" in r["text"] for r in replies):
            break
        assert any("nói lại" in r["text"] for r in replies)
    [answer] = replies
    assert "1900 1009" in answer["text"]
    assert answer["buttons"] == [{"title": "Gặp nhân viên", "payload": "/request_human"}]


def test_a_question_the_records_do_not_cover_is_declined_not_answered(bot: Bot) -> None:
    [reply] = rasa_rest(bot, "xin visa đi Hàn Quốc du lịch cần giấy tờ gì")
    # The abstention, or the out-of-scope reply: both say there is no information, and where
    # to ask; neither is a record's answer.
    assert "có thông tin" in reply["text"] and "1900 1009" in reply["text"]
    assert not any(reply["text"].startswith(r.name) for r in RECORDS.values())
