"""A dossier as the status lookup needs it, whichever source it comes from."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class DossierStatus(str, Enum):
    RECEIVED = "received"  # mới tiếp nhận
    IN_PROGRESS = "in_progress"  # đang xử lý
    SUPPLEMENT_REQUIRED = "supplement_required"  # yêu cầu bổ sung
    PAUSED = "paused"  # tạm dừng
    RESULT_READY = "result_ready"  # có kết quả, chờ trả
    RETURNED = "returned"  # đã trả kết quả
    LATE = "late"  # quá hạn
    REJECTED = "rejected"  # từ chối


class PaymentState(str, Enum):
    NOT_REQUIRED = "not_required"
    UNPAID = "unpaid"
    PAID = "paid"


@dataclass(frozen=True)
class Dossier:
    code: str
    procedure: str
    status: DossierStatus
    applicant_phone: str  # E.164; used to verify, never shown
    updated_at: datetime.datetime
    handling_body: str | None = None
    due_date: datetime.date | None = None
    new_due_date: datetime.date | None = None  # when late
    missing_documents: tuple[str, ...] = ()
    supplement_deadline: datetime.date | None = None
    result_url: str | None = None  # the electronic copy
    rejection_reason: str | None = None
    payment: PaymentState = PaymentState.NOT_REQUIRED
    receipt_url: str | None = None  # the e-receipt


class SourceUnavailable(Exception):
    """The source did not answer usably (time-out, error, garbage, circuit open): the resident
    is told to try again or call, never that the dossier does not exist."""


class DossierSource(Protocol):
    async def get(self, code: str) -> Dossier | None:
        """The dossier, None if the source has no such code; SourceUnavailable otherwise."""
        ...

    async def close(self) -> None: ...
