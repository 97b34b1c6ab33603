"""Dossier step events sent by the city's TTHC system to POST /v1/events."""

from __future__ import annotations

import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from notifier.phone import to_e164


class Step(str, Enum):
    RECEIVED = "received"
    SUPPLEMENT_REQUIRED = "supplement_required"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    LATE = "late"


class StepEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    event_id: str = Field(min_length=1, max_length=100)
    dossier_code: str = Field(min_length=5, max_length=64)
    procedure: str = Field(min_length=3, max_length=300)
    step: Step
    phone: str
    occurred_at: datetime.datetime

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
