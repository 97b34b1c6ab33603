"""The schema of one procedure record (`knowledge/procedures/*.yaml`).

Records are written by people from public sources, so the schema is strict: unknown keys are
errors, and every value a resident could act on (a fee, a deadline) either comes with its source or
is listed in `uncertain` so that answers can say it must be confirmed.
"""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

AnswerPart = Literal["documents", "fee", "duration", "place", "online", "result"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class OnlineLevel(str, Enum):
    """How far a procedure can be done online (the portal's own three levels)."""

    FULL = "toan_trinh"  # filed, paid and returned online
    PARTIAL = "mot_phan"  # filed online, something still done in person
    NONE = "truc_tiep"  # in person or by post only


class Level(str, Enum):
    """Who decides, after Hanoi's two-level government of 1 July 2025."""

    CENTRAL = "central"  # a ministry or its department
    CITY = "city"  # a city department (Sở) or the City People's Committee
    CITY_POLICE = "city_police"  # Công an thành phố Hà Nội
    COMMUNE = "commune"  # UBND xã/phường
    COMMUNE_POLICE = "commune_police"  # Công an xã/phường
    OTHER = "other"  # e.g. social insurance, tax office


class Document(_Strict):
    name: str = Field(min_length=3)
    form: str | None = None  # "bản chính", "bản sao có chứng thực", "bản điện tử", ...
    copies: int | None = Field(default=None, ge=1)
    note: str | None = None


class Fee(_Strict):
    summary: str = Field(min_length=3)  # one sentence a resident can read
    amount_vnd: int | None = Field(default=None, ge=0)  # in person, when a single amount applies
    online_amount_vnd: int | None = Field(default=None, ge=0)
    exemptions: list[str] = []


class Online(_Strict):
    level: OnlineLevel
    portal_url: HttpUrl | None = None
    note: str | None = None


class Question(_Strict):
    q: str = Field(min_length=3)
    a: str = Field(min_length=3)


class Procedure(_Strict):
    code: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")  # our stable key, the file's stem
    national_code: str | None = Field(default=None, pattern=r"^\d\.\d{6}$")
    name: str = Field(min_length=5)
    aliases: list[str] = []
    field: str
    authority: str
    level: Level
    where_to_file: list[str] = Field(min_length=1)
    anywhere_in_city: bool  # "phi địa giới": any service point of the city accepts it
    documents: list[Document] = Field(min_length=1)
    fee: Fee
    processing_time: str
    online: Online
    result: str
    legal_basis: list[str] = []
    faq: list[Question] = []
    uncertain: list[AnswerPart] = []  # parts whose facts must be confirmed before relying on them
    source: HttpUrl
    verified: datetime.date

    @field_validator("aliases")
    @classmethod
    def _no_duplicate_aliases(cls, aliases: list[str]) -> list[str]:
        seen = {a.casefold() for a in aliases}
        if len(seen) != len(aliases):
            raise ValueError("aliases repeat one another")
        return aliases
