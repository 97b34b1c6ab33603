"""Answers composed from a procedure record, one part of it at a time.

Every answer names its source and the date it was checked, and says so when the part it answers
is marked uncertain in the record: a resident must never take a doubtful fee or deadline as sure.
"""

from __future__ import annotations

from collections.abc import Callable

from knowledge.schema import Document, OnlineLevel, Procedure

ASPECTS = ("documents", "fee", "duration", "place", "online", "result", "general")

# (button title, aspect) shown under each chat answer.
CHAT_BUTTONS = (
    ("Giấy tờ", "documents"),
    ("Lệ phí", "fee"),
    ("Thời gian", "duration"),
    ("Nơi nộp", "place"),
    ("Nộp trực tuyến", "online"),
)

UNCERTAIN_NOTE = (
    "Lưu ý: thông tin này chưa được xác minh chắc chắn; bạn vui lòng xác nhận lại tại nơi "
    "nộp hồ sơ hoặc qua tổng đài 1900 1009."
)

ONLINE_LEVELS = {
    OnlineLevel.FULL: "Thủ tục này làm được trực tuyến toàn trình (nộp, nhận kết quả qua mạng).",
    OnlineLevel.PARTIAL: (
        "Thủ tục này nộp trực tuyến được một phần; một số bước vẫn cần đến trực tiếp."
    ),
    OnlineLevel.NONE: (
        "Thủ tục này hiện chưa nộp trực tuyến được; bạn nộp trực tiếp hoặc qua bưu chính."
    ),
}


def _document_line(doc: Document) -> str:
    details = ", ".join(
        part for part in (doc.form, f"{doc.copies} bản" if doc.copies else None) if part
    )
    line = f"• {doc.name}" + (f" ({details})" if details else "")
    return line + (f" – {doc.note}" if doc.note else "")


def _documents(p: Procedure) -> str:
    return "Hồ sơ gồm:\n" + "\n".join(_document_line(d) for d in p.documents)


def _fee(p: Procedure) -> str:
    lines = [f"Lệ phí: {p.fee.summary}"]
    if p.fee.exemptions:
        lines.append("Miễn, giảm: " + "; ".join(p.fee.exemptions) + ".")
    return "\n".join(lines)


def _duration(p: Procedure) -> str:
    return f"Thời gian giải quyết: {p.processing_time}"


def _place(p: Procedure) -> str:
    lines = [f"Cơ quan giải quyết: {p.authority}", "Nơi nộp: " + "; ".join(p.where_to_file) + "."]
    if p.anywhere_in_city:
        lines.append(
            "Ở Hà Nội bạn nộp được tại bất kỳ chi nhánh hoặc điểm phục vụ hành chính công nào, "
            "không phụ thuộc nơi cư trú."
        )
    return "\n".join(lines)


def _online(p: Procedure) -> str:
    text = ONLINE_LEVELS[p.online.level]
    if p.online.portal_url:
        text += f" Cổng nộp: {p.online.portal_url}"
    return text + (f"\n{p.online.note}" if p.online.note else "")


def _result(p: Procedure) -> str:
    return f"Kết quả: {p.result}"


def _general(p: Procedure) -> str:
    return "\n".join((_documents(p), _fee(p), _duration(p), _online(p)))


_PARTS: dict[str, Callable[[Procedure], str]] = {
    "documents": _documents,
    "fee": _fee,
    "duration": _duration,
    "place": _place,
    "online": _online,
    "result": _result,
    "general": _general,
}


def _is_uncertain(p: Procedure, aspect: str) -> bool:
    if aspect == "general":
        return bool({"documents", "fee", "duration", "online"} & set(p.uncertain))
    return aspect in p.uncertain


def chat_answer(p: Procedure, aspect: str) -> str:
    """The chat answer about one `aspect` of `p` (unknown aspects answer generally)."""
    aspect = aspect if aspect in _PARTS else "general"
    parts = [p.name, _PARTS[aspect](p)]
    if _is_uncertain(p, aspect):
        parts.append(UNCERTAIN_NOTE)
    parts.append(f"Nguồn: {p.source} (kiểm tra ngày {p.verified:%d/%m/%Y}).")
    return "\n\n".join(parts)


def chat_buttons(aspect: str) -> list[dict[str, str]]:
    """Buttons for the other parts of the same procedure, as ask_procedure intents."""
    return [
        {"title": title, "payload": f'/ask_procedure{{"aspect": "{value}"}}'}
        for title, value in CHAT_BUTTONS
        if value != aspect
    ]
