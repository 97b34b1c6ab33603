"""Answers composed from a procedure record, one part of it at a time.

Every answer names its source and the date it was checked, and says so when the part it answers
is marked uncertain in the record: a resident must never take a doubtful fee or deadline as sure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from knowledge.schema import Document, OnlineLevel, Procedure
from notifier.gsm7 import fit, septets, to_gsm7

ASPECTS = ("documents", "fee", "duration", "place", "online", "result", "general")

# (button title, aspect) shown under each chat answer.
CHAT_BUTTONS = (
    ("Giấy tờ", "documents"),
    ("Lệ phí", "fee"),
    ("Thời gian", "duration"),
    ("Nơi nộp", "place"),
    ("Nộp trực tuyến", "online"),
)
# Booking is its own intent; the procedure under discussion stays in the conversation for it.
BOOKING_BUTTON = {"title": "Đặt lịch", "payload": "/book_appointment"}
SMS_MAX_SEGMENTS = 2
VOICE_SMS_OFFER = "Bạn có muốn nhận chi tiết qua tin nhắn SMS không?"

CHAT_MAX_CHARS = 400
SHORT_UNCERTAIN_NOTE = "Lưu ý: thông tin này cần xác nhận lại tại nơi nộp hoặc qua 1900 1009."
DETAIL_TITLES = {
    "documents": "Xem đủ giấy tờ",
    "fee": "Chi tiết lệ phí",
    "duration": "Chi tiết thời gian",
    "place": "Chi tiết nơi nộp",
    "online": "Cách nộp trực tuyến",
    "result": "Chi tiết kết quả",
    "general": "Xem chi tiết",
}
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


def chat_answer(p: Procedure, aspect: str, detail: bool = False) -> str:
    """The chat answer about one `aspect` of `p` (unknown aspects answer generally): short by
    default (at most `CHAT_MAX_CHARS`, the rest behind buttons), in full when `detail`."""
    aspect = aspect if aspect in _PARTS else "general"
    facts = _PARTS[aspect](p) if detail else _SHORT[aspect](p)
    note = UNCERTAIN_NOTE if detail else SHORT_UNCERTAIN_NOTE
    footer = (f"\n{note}" if _is_uncertain(p, aspect) else "") + (
        f"\nNguồn: {_source_name(p)}, kiểm tra {p.verified:%d/%m/%Y}."
    )
    text = f"{_short_name(p)}\n{facts}"
    if not detail and len(text) + len(footer) > CHAT_MAX_CHARS:
        text = text[: CHAT_MAX_CHARS - len(footer) - 1].rsplit(" ", 1)[0] + "…"
    return text + footer


def chat_buttons(p: Procedure, aspect: str, detail: bool = False) -> list[dict[str, str]]:
    """Buttons for the rest: the full text of this part, the other parts of the same procedure
    (each carrying the procedure's code, so an old answer's button answers for its own
    procedure), booking, and the source page."""
    aspect = aspect if aspect in _PARTS else "general"
    buttons = [] if detail else [{"title": DETAIL_TITLES[aspect], "payload": _payload(
        p, aspect, detail=True)}]
    buttons += [
        {"title": title, "payload": _payload(p, value)}
        for title, value in CHAT_BUTTONS
        if value != aspect
    ]
    return [*buttons, BOOKING_BUTTON,
            {"title": f"Nguồn: {_source_name(p)}", "type": "web_url", "url": str(p.source)}]


def _payload(p: Procedure, aspect: str, detail: bool = False) -> str:
    extra = ', "detail": "full"' if detail else ""
    return f'/ask_procedure{{"procedure_code": "{p.code}", "aspect": "{aspect}"{extra}}}'


def _short_name(p: Procedure, max_chars: int = 90) -> str:
    """The record's name, or its longest short alias when the name is too long to head a reply."""
    if len(p.name) <= max_chars:
        return p.name
    return _spoken_name(p)


def _sentences(text: str, count: int, max_chars: int = 220) -> str:
    """The first `count` sentences of `text`, cut at a word to at most `max_chars`."""
    parts = _SENTENCE_END.split(text.strip())
    out = " ".join(part.strip() for part in parts[:count] if part.strip()).rstrip(";,:")
    if len(out) > max_chars:
        out = out[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return out


def _short_documents(p: Procedure) -> str:
    shown = p.documents[:3]
    lines = [f"• {_sentences(d.name, 1, 90)}" for d in shown]
    more = len(p.documents) - len(shown)
    tail = f"\n…và {more} giấy tờ khác (bấm \"Xem đủ giấy tờ\")." if more else ""
    return "Hồ sơ chính gồm:\n" + "\n".join(lines) + tail


def _short_place(p: Procedure) -> str:
    if p.anywhere_in_city:
        return ("Ở Hà Nội bạn nộp được tại bất kỳ chi nhánh hoặc điểm phục vụ hành chính công "
                "nào, không phụ thuộc nơi cư trú; hoặc nộp trực tuyến nếu thủ tục cho phép.")
    return f"Nơi nộp: {_sentences(p.where_to_file[0], 1, 200)}"


def _short_general(p: Procedure) -> str:
    return "\n".join((
        f"Hồ sơ: {len(p.documents)} loại giấy tờ.",
        f"Lệ phí: {_sentences(p.fee.summary, 1, 110)}",
        f"Thời gian: {_sentences(p.processing_time, 1, 90)}",
        _sentences(ONLINE_LEVELS[p.online.level], 1, 90),
    ))


_SHORT: dict[str, Callable[[Procedure], str]] = {
    "documents": _short_documents,
    "fee": lambda p: f"Lệ phí: {_sentences(p.fee.summary, 2)}",
    "duration": lambda p: f"Thời gian giải quyết: {_sentences(p.processing_time, 2)}",
    "place": _short_place,
    "online": lambda p: _sentences(ONLINE_LEVELS[p.online.level], 1),
    "result": lambda p: f"Kết quả: {_sentences(p.result, 2)}",
    "general": _short_general,
}


def _source_name(p: Procedure) -> str:
    """The source's site, which can be read aloud or fit in an SMS: "dichvucong.gov.vn"."""
    host = urlsplit(str(p.source)).hostname or str(p.source)
    return host.removeprefix("www.")


_SENTENCE_END = re.compile(r"(?<=[.;!?])\s|\n")


def _first_sentence(text: str, max_words: int = 30) -> str:
    """The first sentence of `text`, without list bullets, at most `max_words` words."""
    sentence = _SENTENCE_END.split(text.replace("• ", "").strip(), maxsplit=1)[0]
    words = sentence.rstrip(" .;").split()
    return " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")


def _spoken_documents(p: Procedure) -> str:
    names = [_first_sentence(d.name, 10) for d in p.documents[:2]]
    more = f", và {len(p.documents) - 2} giấy tờ khác" if len(p.documents) > 2 else ""
    return f"hồ sơ gồm {' và '.join(names)}{more}"


_SPOKEN: dict[str, Callable[[Procedure], str]] = {
    "documents": _spoken_documents,
    "fee": lambda p: f"lệ phí: {_first_sentence(p.fee.summary)}",
    "duration": lambda p: f"thời gian giải quyết: {_first_sentence(p.processing_time)}",
    "place": lambda p: (
        "bạn nộp được tại bất kỳ điểm phục vụ hành chính công nào ở Hà Nội"
        if p.anywhere_in_city else f"nơi nộp: {_first_sentence(p.where_to_file[0])}"
    ),
    "online": lambda p: _first_sentence(ONLINE_LEVELS[p.online.level]).lower(),
    "result": lambda p: f"kết quả: {_first_sentence(p.result)}",
    "general": lambda p: (
        f"hồ sơ gồm {len(p.documents)} loại giấy tờ; "
        f"thời gian giải quyết: {_first_sentence(p.processing_time, 12)}"
    ),
}


def _spoken_name(p: Procedure, max_words: int = 12) -> str:
    """A name short enough to say: the official one, else the longest alias that is short."""
    if len(p.name.split()) <= max_words:
        return p.name
    short = [alias for alias in p.aliases if len(alias.split()) <= max_words]
    return max(short, key=len) if short else " ".join(p.name.split()[:max_words])


def voice_answer(p: Procedure, aspect: str) -> str:
    """For the hotline: two short sentences (the fact, then its source and date, with a warning
    when it is uncertain), then the offer to send the details by SMS."""
    aspect = aspect if aspect in _SPOKEN else "general"
    fact = f"Về thủ tục {_spoken_name(p)}, {_SPOKEN[aspect](p)}."
    checked = f"ngày {p.verified.day} tháng {p.verified.month} năm {p.verified.year}"
    source = f"Thông tin theo {_source_name(p)}, cập nhật {checked}"
    if _is_uncertain(p, aspect):
        source += ", và cần được xác nhận lại tại nơi nộp hồ sơ"
    return f"{fact} {source}. {VOICE_SMS_OFFER}"


def sms_answer(p: Procedure, aspect: str) -> str:
    """An unaccented SMS of at most two segments: the name, the part asked about, then the
    source and date, which are never the part cut to fit."""
    aspect = aspect if aspect in _PARTS else "general"
    lines = [line.removeprefix("• ").strip() for line in _PARTS[aspect](p).splitlines()]
    details = "; ".join(line for line in lines if line).replace(":;", ":")
    uncertain = "(can xac nhan lai) " if _is_uncertain(p, aspect) else ""
    footer = " " + to_gsm7(f"{uncertain}Nguon: {_source_name(p)} {p.verified:%d/%m/%Y}.")
    body = fit(to_gsm7(f"{p.name}: {details}"), SMS_MAX_SEGMENTS, reserve=septets(footer))
    return body + footer
