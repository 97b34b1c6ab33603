"""Dossier status in conversation: a form for the code and the verification, then the lookup.

The lookup itself runs in our service (`POST /api/v1/dossiers/lookup`), which holds the
dossier source, the attempt limits and the audit; this module only collects and checks what the
resident typed. The code is taken from the first message when it is there ("tra cứu hồ sơ
000.00.12.H26-250721-0001"), with spaces or in lower case.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import aiohttp
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dossiers.lookup import ANSWERS, CODE, HANOI, Outcome, canonical_code

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Internal-Token"
LOOKUP_TIMEOUT_S = 15.0  # the service's own source calls give up well before this
DIGITS_ONLY = "Bạn vui lòng nhập đúng 4 chữ số cuối của số điện thoại đã khai khi nộp hồ sơ."
AFTER_FOUND = (
    "Bạn sẽ nhận tin nhắn ở mỗi bước xử lý tiếp theo của hồ sơ này; cài ứng dụng iHanoi để "
    "nhận thông báo ngay trên điện thoại."
)
_CODE_LIKE = re.compile(r"[0-9A-Za-z.\-\s]*\d[0-9A-Za-z.\-\s]*")
_DIGIT_GROUP = re.compile(r"\d[\d .]*\d|\d")


def service_url() -> str:
    """Our service, where the lookup runs (DVC_SERVICE_URL; set by the Makefile)."""
    return os.environ.get("DVC_SERVICE_URL", "http://127.0.0.1:8000")


class ValidateDossierStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_status_form"

    async def extract_dossier_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = next(tracker.get_latest_entity_values("dossier_code"), None)
        if found:
            return {"dossier_code": found}
        text = (tracker.latest_message.get("text") or "").strip()
        # What was typed in answer to "your code?", when the extractor saw no valid code in it.
        if tracker.get_slot("requested_slot") == "dossier_code" and _CODE_LIKE.fullmatch(text):
            return {"dossier_code": text[:100]}
        return {}

    def validate_dossier_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        match = CODE.match(canonical_code(str(value)))
        if match is None:
            dispatcher.utter_message(text=ANSWERS[Outcome.MALFORMED])
            return {"dossier_code": None}
        if match.group(2) != HANOI:
            dispatcher.utter_message(text=ANSWERS[Outcome.OTHER_PROVINCE])
            return {"dossier_code": None}
        return {"dossier_code": canonical_code(str(value))}

    async def extract_phone_last4(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "phone_last4":
            return {}
        # "4 số cuối là 5678", "5678 ạ", "0912 345 678": the last group of 4 or more digits.
        groups = [re.sub(r"\D", "", g) for g in _DIGIT_GROUP.findall(
            tracker.latest_message.get("text") or "")]
        longest = [g for g in groups if len(g) >= 4]
        return {"phone_last4": longest[-1][-4:] if longest else "invalid"}

    def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not re.fullmatch(r"\d{4}", str(value)):
            dispatcher.utter_message(text=DIGITS_ONLY)
            return {"phone_last4": None}
        return {"phone_last4": value}


class ActionCheckDossierStatus(Action):
    """Ask our service, tell the answer, and forget the code and digits for the next question."""

    def name(self) -> str:
        return "action_check_dossier_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        metadata = tracker.latest_message.get("metadata") or {}
        request = {
            "code": tracker.get_slot("dossier_code") or "",
            "last_digits": tracker.get_slot("phone_last4") or "",
            "conversation": tracker.sender_id,
            "source_address": metadata.get("source_address"),
        }
        outcome, answer = await _lookup(request)
        dispatcher.utter_message(text=answer)
        if outcome == Outcome.FOUND.value:
            dispatcher.utter_message(text=AFTER_FOUND)
        return [SlotSet("dossier_code", None), SlotSet("phone_last4", None)]


async def _lookup(request: dict[str, Any]) -> tuple[str, str]:
    headers = {TOKEN_HEADER: os.environ.get("INTERNAL_API_TOKEN", "")}
    timeout = aiohttp.ClientTimeout(total=LOOKUP_TIMEOUT_S)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.post(
            f"{service_url()}/api/v1/dossiers/lookup", json=request, headers=headers
        ) as response:
            response.raise_for_status()
            body = await response.json()
            return str(body["outcome"]), str(body["answer"])
    except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as e:
        logger.warning("dossier lookup failed: %r", e)
        return Outcome.UNAVAILABLE.value, ANSWERS[Outcome.UNAVAILABLE]
