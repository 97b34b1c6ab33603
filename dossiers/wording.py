"""What a resident is told about their dossier: plain Vietnamese, with the next step and the date
to expect. Only called after verification: these texts carry the dossier's details."""

from __future__ import annotations

import datetime

from dossiers.model import Dossier, DossierStatus, PaymentState

HOTLINE = "1900 1009"
APOLOGY = (
    "Trung tâm Phục vụ hành chính công thành phố Hà Nội thành thật xin lỗi ông/bà vì hồ sơ đã "
    "quá hạn giải quyết."
)


def _date(day: datetime.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "chưa xác định"


def _in_progress(d: Dossier) -> str:
    body = f" tại {d.handling_body}" if d.handling_body else ""
    return (f"Hồ sơ đang được xử lý{body}. Ngày hẹn trả kết quả: {_date(d.due_date)}. "
            "Ông/bà chưa cần làm gì thêm; trợ lý sẽ báo khi có kết quả.")


def _supplement(d: Dossier) -> str:
    missing = "; ".join(d.missing_documents) or "xem chi tiết trên Cổng dịch vụ công"
    return (f"Hồ sơ cần bổ sung: {missing}. Hạn bổ sung: {_date(d.supplement_deadline)}. "
            "Ông/bà có thể bổ sung trực tuyến trên Cổng dịch vụ công Hà Nội hoặc tại nơi đã nộp.")


def _result_ready(d: Dossier) -> str:
    return ("Hồ sơ đã có kết quả, đang chờ trả. Ông/bà nhận bản giấy tại nơi đã nộp"
            + (f"; bản điện tử: {d.result_url}" if d.result_url else "") + ".")


def _returned(d: Dossier) -> str:
    link = f" Bản điện tử của kết quả: {d.result_url}." if d.result_url else ""
    return "Hồ sơ đã trả kết quả." + link


def _late(d: Dossier) -> str:
    return f"{APOLOGY} Ngày hẹn mới: {_date(d.new_due_date)}."


_STATUS_TEXT = {
    DossierStatus.RECEIVED: lambda d: (
        f"Hồ sơ mới được tiếp nhận. Ngày hẹn trả kết quả: {_date(d.due_date)}."
    ),
    DossierStatus.IN_PROGRESS: _in_progress,
    DossierStatus.SUPPLEMENT_REQUIRED: _supplement,
    DossierStatus.PAUSED: lambda d: (
        f"Hồ sơ đang tạm dừng xử lý. Vui lòng gọi {HOTLINE} để biết lý do và bước tiếp theo."
    ),
    DossierStatus.RESULT_READY: _result_ready,
    DossierStatus.RETURNED: _returned,
    DossierStatus.LATE: _late,
    DossierStatus.REJECTED: lambda d: (
        f"Hồ sơ không được giải quyết. Lý do: {d.rejection_reason or 'xem văn bản trả lời'}. "
        f"Ông/bà có thể gọi {HOTLINE} để được hướng dẫn."
    ),
}


def _payment(d: Dossier) -> str:
    if d.payment is PaymentState.PAID:
        receipt = f" (biên lai điện tử: {d.receipt_url})" if d.receipt_url else ""
        return f"Đã thanh toán phí, lệ phí{receipt}."
    if d.payment is PaymentState.UNPAID:
        return "Chưa thanh toán phí, lệ phí: ông/bà thanh toán được trên Cổng dịch vụ công."
    return ""


def status_answer(d: Dossier) -> str:
    """The answer for a verified resident: what, where, next step, date, payment."""
    lines = [f"Hồ sơ {d.code} ({d.procedure}):", _STATUS_TEXT[d.status](d), _payment(d)]
    return "\n".join(line for line in lines if line)
