"""Dossier step events sent by the city's TTHC system to POST /v1/events."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from notifier.phone import to_e164


class Step(str, Enum):
    """The steps the TTHC system reports; each has a template in templates/messages.yaml and a
    status of the same name in dossiers.model.DossierStatus."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUIRED = "supplement_required"
    PAUSED = "paused"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    LATE = "late"
    REJECTED = "rejected"


class StepDetails(BaseModel):
    """What the resident needs to know at this step, all optional; kept by the dossier mirror."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    handling_body: str | None = Field(default=None, max_length=300)
    due_date: datetime.date | None = None
    new_due_date: datetime.date | None = None
    missing_documents: list[str] = Field(default=[], max_length=30)
    supplement_deadline: datetime.date | None = None
    result_url: HttpUrl | None = None
    rejection_reason: str | None = Field(default=None, max_length=1000)
    payment_state: Literal["not_required", "unpaid", "paid"] | None = None
    receipt_url: HttpUrl | None = None


class StepEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    event_id: str = Field(min_length=1, max_length=100)
    dossier_code: str = Field(min_length=5, max_length=64)
    procedure: str = Field(min_length=3, max_length=300)
    step: Step
    phone: str
    occurred_at: datetime.datetime
    details: StepDetails | None = None

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        return to_e164(value)

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime.datetime) -> datetime.datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-11-23T09:30:00+07:00")
        return value
