"""Looking up a dossier for a resident: check the code, limit attempts, verify, audit, answer.

A dossier is shown only to whoever gives its code and the last 4 digits of the applicant's phone.
A wrong pair gets exactly the answer an unknown code gets. Failed attempts are counted per
conversation, source address and caller phone, and per dossier code, so that neither guessing
codes nor guessing the digits of one code gets far. Every lookup is audited, phones masked.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from dossiers.limits import AttemptLimiter
from dossiers.model import Dossier, DossierSource, SourceUnavailable
from dossiers.wording import HOTLINE, status_answer
from notifier.phone import mask

logger = logging.getLogger(__name__)

# 000.00.12.H26-250721-0001: agency code, province (H26 is Hanoi), date received, number.
CODE = re.compile(r"^(\d{3}\.\d{2}\.\d{2}\.)?H(\d{2})-(\d{6})-(\d{4})$")
HANOI = "26"
EXPECTED_FORMAT = "000.00.12.H26-250721-0001"


class Outcome(str, Enum):
    FOUND = "found"
    NO_MATCH = "no_match"  # unknown code or wrong digits: the same to the resident
    MALFORMED = "malformed"
    OTHER_PROVINCE = "other_province"
    LIMITED = "limited"
    UNAVAILABLE = "unavailable"


ANSWERS = {
    Outcome.NO_MATCH: (
        "Không tìm thấy hồ sơ khớp với mã hồ sơ và 4 số cuối điện thoại bạn nhập. Bạn vui lòng "
        "kiểm tra lại mã trên giấy tiếp nhận và số điện thoại đã khai khi nộp."
    ),
    Outcome.MALFORMED: (
        f"Mã hồ sơ chưa đúng định dạng. Mã có dạng {EXPECTED_FORMAT}, in trên giấy tiếp nhận "
        "hồ sơ và hẹn trả kết quả."
    ),
    Outcome.OTHER_PROVINCE: (
        "Mã này là hồ sơ của tỉnh, thành phố khác. Bạn tra cứu trên Cổng Dịch vụ công quốc gia "
        "(dichvucong.gov.vn) hoặc tại nơi đã nộp hồ sơ."
    ),
    Outcome.LIMITED: (
        "Bạn đã nhập sai quá số lần cho phép. Vui lòng thử lại sau 15 phút hoặc gọi "
        f"{HOTLINE} để được hỗ trợ."
    ),
    Outcome.UNAVAILABLE: (
        f"Hiện chưa tra cứu được hồ sơ, vui lòng thử lại sau ít phút hoặc gọi {HOTLINE}."
    ),
}

audit = sa.Table(
    "dossier_lookups",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("conversation", sa.String(200), nullable=False),
    sa.Column("source_address", sa.String(64), nullable=True),
    sa.Column("asker_phone", sa.String(20), nullable=True),  # masked
    sa.Column("action", sa.String(20), nullable=False),  # lookup, subscribe
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("applicant_phone", sa.String(20), nullable=True),  # masked
)


@dataclass(frozen=True)
class Asker:
    """Who asks: the conversation, and where the channel knows them, the address they come from
    and their phone (an IVR caller id). Failed attempts are counted for each."""

    conversation: str
    source_address: str | None = None
    phone: str | None = None

    def limit_keys(self) -> list[str]:
        keys = [f"conversation:{self.conversation}"]
        keys += [f"address:{self.source_address}"] if self.source_address else []
        if self.phone:  # hashed: the limiter's keys must not be a list of residents' numbers
            keys.append(f"phone:{hashlib.sha256(self.phone.encode()).hexdigest()[:24]}")
        return keys


@dataclass(frozen=True)
class Lookup:
    outcome: Outcome
    answer: str


def canonical_code(raw: str) -> str:
    """What a resident typed, as the system writes it: no spaces, upper case."""
    return re.sub(r"\s+", "", raw).upper()


class DossierLookup:
    def __init__(self, source: DossierSource, limiter: AttemptLimiter, engine: AsyncEngine) -> None:
        self._source = source
        self._limiter = limiter
        self._engine = engine

    async def create_schema(self) -> None:
        async with self._engine.begin() as conn:
            await conn.run_sync(audit.metadata.create_all)

    async def lookup(self, raw_code: str, last_digits: str, asker: Asker) -> Lookup:
        """The answer to show: the status for a verified asker, else a polite refusal."""
        result, dossier = await self.verify(raw_code, last_digits, asker, action="lookup")
        return Lookup(Outcome.FOUND, status_answer(dossier)) if dossier else result

    async def verify(
        self, raw_code: str, last_digits: str, asker: Asker, action: str
    ) -> tuple[Lookup, Dossier | None]:
        """The dossier if the code and digits match, within the attempt limits; audited."""
        code = canonical_code(raw_code)
        match = CODE.match(code)
        if not match:
            return await self._done(Outcome.MALFORMED, code, asker, action), None
        if match.group(2) != HANOI:
            return await self._done(Outcome.OTHER_PROVINCE, code, asker, action), None
        keys = [*asker.limit_keys(), f"code:{code}"]
        if not await self._limiter.allowed(keys):
            return await self._done(Outcome.LIMITED, code, asker, action), None
        try:
            dossier = await self._source.get(code)
        except SourceUnavailable:
            logger.warning("dossier source unavailable for code=%s", code)
            return await self._done(Outcome.UNAVAILABLE, code, asker, action), None
        digits = re.sub(r"\D", "", last_digits)
        # Compared even when the code is unknown, so that both failures take the same path.
        expected = dossier.applicant_phone[-4:] if dossier else "----"
        if dossier is None or len(digits) != 4 or not hmac.compare_digest(digits, expected):
            await self._limiter.failed(keys)
            return await self._done(Outcome.NO_MATCH, code, asker, action), None
        found = await self._done(Outcome.FOUND, code, asker, action, dossier.applicant_phone)
        return found, dossier

    async def _done(
        self, outcome: Outcome, code: str, asker: Asker, action: str, phone: str | None = None
    ) -> Lookup:
        async with self._engine.begin() as conn:
            await conn.execute(audit.insert().values(
                at=datetime.datetime.now(datetime.timezone.utc),
                conversation=asker.conversation[:200], source_address=asker.source_address,
                asker_phone=mask(asker.phone) if asker.phone else None, action=action,
                code=code[:64], outcome=outcome.value,
                applicant_phone=mask(phone) if phone else None,
            ))
        return Lookup(outcome, ANSWERS.get(outcome, ""))
