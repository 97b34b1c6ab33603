import datetime

import pytest

from dossiers.model import Dossier, DossierStatus, PaymentState
from dossiers.wording import APOLOGY, status_answer

EXPECTED = {
    DossierStatus.RECEIVED: "mới được tiếp nhận",
    DossierStatus.IN_PROGRESS: "đang được xử lý tại UBND phường Hoàn Kiếm",
    DossierStatus.SUPPLEMENT_REQUIRED: "cần bổ sung",
    DossierStatus.PAUSED: "tạm dừng",
    DossierStatus.RESULT_READY: "đã có kết quả, đang chờ trả",
    DossierStatus.RETURNED: "đã trả kết quả",
    DossierStatus.LATE: APOLOGY,
    DossierStatus.REJECTED: "Lý do: thiếu chữ ký",
}


@pytest.mark.parametrize("status", list(DossierStatus))
def test_every_status_is_told_in_plain_vietnamese(status: DossierStatus) -> None:
    dossier = Dossier(
        code="000.00.12.H26-251120-0001", procedure="Đăng ký khai sinh", status=status,
        applicant_phone="+84912345678", updated_at=datetime.datetime.now(datetime.timezone.utc),
        handling_body="UBND phường Hoàn Kiếm", due_date=datetime.date(2026, 11, 25),
        new_due_date=datetime.date(2026, 12, 1), rejection_reason="thiếu chữ ký",
        result_url="https://dichvucong.hanoi.gov.vn/kq/1", payment=PaymentState.PAID,
        receipt_url="https://dichvucong.hanoi.gov.vn/bl/1",
    )
    text = status_answer(dossier)
    assert EXPECTED[status] in text
    assert "biên lai điện tử" in text
    assert "912345678" not in text
