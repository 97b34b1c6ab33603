"""Dossier status end to end: web chat → our service → Rasa → action server → our lookup →
the mirror kept by signed step events. Every status, with and without the code in the first
message, with a wrong verification and a malformed code."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from dossiers.lookup import ANSWERS, EXPECTED_FORMAT, Outcome
from tests.e2e.conftest import Service
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


def new_dossier(service: Service, step: str, details: dict[str, Any]) -> str:
    code = f"000.00.12.H26-251202-{uuid.uuid4().int % 10_000:04d}"
    event = {
        "event_id": uuid.uuid4().hex, "dossier_code": code, "procedure": "Đăng ký khai sinh",
        "step": step, "phone": PHONE, "occurred_at": "2026-12-02T09:00:00+07:00",
        "details": details,
    }
    assert post_event(service, event).status_code == 202
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
