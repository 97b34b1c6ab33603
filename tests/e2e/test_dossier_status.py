"""Dossier status end to end: web chat → our service → Rasa → action server → our lookup →
the mirror kept by signed step events. Every status, with and without the code in the first
message, with a wrong verification and a malformed code."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from dossiers.lookup import ANSWERS, EXPECTED_FORMAT, Outcome
from service.dossier_api import SUBSCRIBED
from tests.e2e.conftest import API_KEY, Service
from tests.e2e.test_slices import chat, post_event

pytestmark = pytest.mark.e2e

PHONE = "0912 345 678"
# What each step's answer must say, in the residents' words (dossiers/wording.py).
STATUS_WORDS = {
    "received": ("mới được tiếp nhận", {"due_date": "2026-12-15"}, "15/12/2026"),
    "in_progress": ("đang được xử lý tại UBND phường Ba Đình",
                    {"handling_body": "UBND phường Ba Đình", "due_date": "2026-12-18"},
                    "18/12/2026"),
    "paused": ("tạm dừng", {}, "1900 1009"),
    "rejected": ("không được giải quyết", {"rejection_reason": "Hồ sơ thiếu chữ ký"},
                 "Hồ sơ thiếu chữ ký"),
    "supplement_required": ("cần bổ sung", {"missing_documents": ["Tờ khai có chữ ký"],
                                            "supplement_deadline": "2026-12-09"}, "09/12/2026"),
    "result_ready": ("đã có kết quả, đang chờ trả", {}, "nơi đã nộp"),
    "returned": ("đã trả kết quả", {"result_url": "https://dichvucong.hanoi.gov.vn/kq/9"},
                 "https://dichvucong.hanoi.gov.vn/kq/9"),
    "late": ("thành thật xin lỗi", {"new_due_date": "2026-12-20"}, "20/12/2026"),
}


def step(service: Service, code: str, name: str, details: dict[str, Any], hour: int = 9) -> Any:
    event = {
        "event_id": uuid.uuid4().hex, "dossier_code": code, "procedure": "Đăng ký khai sinh",
        "step": name, "phone": PHONE, "occurred_at": f"2026-12-02T{hour:02d}:00:00+07:00",
        "details": details,
    }
    response = post_event(service, event)
    assert response.status_code == 202, response.text
    return response.json()


def new_dossier(service: Service, name: str, details: dict[str, Any]) -> str:
    code = f"000.00.12.H26-251202-{uuid.uuid4().int % 10_000:04d}"
    step(service, code, name, details)
    return code


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


@pytest.mark.parametrize("step", list(STATUS_WORDS))
def test_code_in_the_first_message(dossier_service: Service, step: str) -> None:
    words, details, detail = STATUS_WORDS[step]
    code = new_dossier(dossier_service, step, details)
    sender = uuid.uuid4().hex
    asked = texts(chat(dossier_service, f"tra cứu hồ sơ {code}", sender))
    assert "4 số cuối" in asked
    answer = texts(chat(dossier_service, "5678", sender))
    assert code in answer and words in answer and detail in answer
    assert "912345678" not in answer


def test_code_asked_for_and_typed_loosely(dossier_service: Service) -> None:
    code = new_dossier(dossier_service, "received", {"due_date": "2026-12-15"})
    sender = uuid.uuid4().hex
    assert "mã hồ sơ" in texts(chat(dossier_service, "hồ sơ của tôi đến đâu rồi", sender))
    loose = code.lower().replace("-", " - ")
    assert "4 số cuối" in texts(chat(dossier_service, loose, sender))
    assert "mới được tiếp nhận" in texts(chat(dossier_service, "4 số cuối là 5678", sender))


def test_a_wrong_verification_reveals_nothing(dossier_service: Service) -> None:
    code = new_dossier(dossier_service, "result_ready", {})
    sender = uuid.uuid4().hex
    chat(dossier_service, f"kiểm tra hồ sơ {code}", sender)
    answer = texts(chat(dossier_service, "1111", sender))
    assert ANSWERS[Outcome.NO_MATCH] in answer
    assert "kết quả" not in answer.replace(ANSWERS[Outcome.NO_MATCH], "")


def test_a_malformed_code_gets_the_expected_format(dossier_service: Service) -> None:
    sender = uuid.uuid4().hex
    chat(dossier_service, "tra cứu tình trạng hồ sơ", sender)
    answer = texts(chat(dossier_service, "12345", sender))
    assert EXPECTED_FORMAT in answer


def test_subscribing_after_a_lookup_turns_sms_back_on(dossier_service: Service) -> None:
    secret = API_KEY.split(":", 2)[2]
    opted_out = requests.put(
        f"{dossier_service.url}/v1/recipients/{PHONE.replace(' ', '')}",
        json={"sms_opt_out": True}, headers={"Authorization": f"Bearer {secret}"}, timeout=10,
    )
    assert opted_out.status_code == 200
    code = new_dossier(dossier_service, "received", {})
    sender = uuid.uuid4().hex
    chat(dossier_service, f"tra cứu hồ sơ {code}", sender)
    replies = chat(dossier_service, "5678", sender)
    offer = [b["payload"] for r in replies for b in r.get("buttons", [])]
    assert "/subscribe_dossier" in offer
    assert SUBSCRIBED in texts(chat(dossier_service, "/subscribe_dossier", sender))
    later = step(dossier_service, code, "result_ready", {}, hour=10)
    assert len(later["notifications"]) == 1  # the opt-out is lifted for the next step
