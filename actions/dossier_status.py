"""Dossier status in conversation: a form for the code and the verification, the lookup, and
the offer to subscribe to the dossier's notifications.

The lookup itself runs in our service (`POST /api/v1/dossiers/lookup`), which holds the
dossier source, the attempt limits and the audit; this module only collects and checks what the
resident typed. The code is taken from the first message when it is there ("tra cứu hồ sơ
000.00.12.H26-250721-0001"), with spaces or in lower case.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import aiohttp
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import our_service
from dossiers.lookup import ANSWERS, CODE, HANOI, Outcome, canonical_code
from nlu.normalise import fold

logger = logging.getLogger(__name__)

LOOKUP_TIMEOUT_S = 15.0  # the service's own source calls give up well before this
DIGITS_ONLY = "Bạn vui lòng nhập đúng 4 chữ số cuối của số điện thoại đã khai khi nộp hồ sơ."
SUBSCRIBE_OFFER = "Bạn có muốn nhận tin nhắn ở mỗi bước xử lý tiếp theo của hồ sơ này không?"
SUBSCRIBE_BUTTONS = [
    {"title": "Nhận thông báo", "payload": "/subscribe_dossier"},
    {"title": "Không cần", "payload": "/deny"},
]
LOOK_UP_FIRST = (
    "Để đăng ký nhận thông báo, bạn tra cứu hồ sơ trước: cho tôi mã hồ sơ và 4 số cuối số điện "
    "thoại đã khai khi nộp."
)
# Intents that leave the form: it extracts nothing from them, so Rasa rejects the form's turn and
# the rules for leaving it (bot/data/rules.yml) serve the request instead.
LEAVE_INTENTS = frozenset(
    {"stop", "deny", "request_human", "ask_procedure", "book_appointment", "insult", "goodbye",
     "complaint"}
)
_CODE_LIKE = re.compile(r"[0-9A-Za-z.\-\s]*\d[0-9A-Za-z.\-\s]*")
_DIGIT_GROUP = re.compile(r"\d[\d .]*\d|\d")
# The 4 digits said with the code: "(số điện thoại) đuôi 4321", "4 số cuối là 4321".
_DIGITS_GIVEN = re.compile(r"(?:duoi|so cuoi|cuoi la)\D{0,12}?(\d{4})(?!\d)")


class ValidateDossierStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_status_form"

    async def extract_dossier_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = next(tracker.get_latest_entity_values("dossier_code"), None)
        if found:
            return {"dossier_code": found}
        if _leaving(tracker):
            return {}
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
        text = tracker.latest_message.get("text") or ""
        if tracker.get_slot("requested_slot") != "phone_last4":
            # "tra cứu hồ sơ 000.00.12.H26-…, số điện thoại đuôi 4321": given with the code.
            given = _DIGITS_GIVEN.search(fold(text))
            return {"phone_last4": given.group(1)} if given else {}
        if _leaving(tracker) or not re.search(r"\d", text):
            # "cảm ơn", "không nhớ": not an answer; Rasa's rules reply, then the form asks again.
            return {}
        # "4 số cuối là 5678", "5678 ạ", "0912 345 678": the last group of 4 or more digits.
        groups = [re.sub(r"\D", "", g) for g in _DIGIT_GROUP.findall(text)]
        long_enough = [g for g in groups if len(g) >= 4]
        return {"phone_last4": long_enough[-1][-4:] if long_enough else "invalid"}

    def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not re.fullmatch(r"\d{4}", str(value)):
            dispatcher.utter_message(text=DIGITS_ONLY)
            return {"phone_last4": None}
        return {"phone_last4": value}


class ActionCheckDossierStatus(Action):
    """Ask our service and tell the answer. The form's code and digits are cleared for the next
    question; after a verified answer they are kept aside for the subscription offer."""

    def name(self) -> str:
        return "action_check_dossier_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        code, digits = tracker.get_slot("dossier_code"), tracker.get_slot("phone_last4")
        outcome, answer = await _call("lookup", _request(tracker, code, digits))
        dispatcher.utter_message(text=answer)
        events: list[EventType] = [SlotSet("dossier_code", None), SlotSet("phone_last4", None)]
        if outcome == Outcome.FOUND.value:
            dispatcher.utter_message(text=SUBSCRIBE_OFFER, buttons=SUBSCRIBE_BUTTONS)
            events += [SlotSet("subscription_code", code), SlotSet("subscription_digits", digits)]
        return events


class ActionSubscribeDossier(Action):
    """Turn on SMS for the dossier just looked up (our service verifies the pair again)."""

    def name(self) -> str:
        return "action_subscribe_dossier"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        code = tracker.get_slot("subscription_code")
        digits = tracker.get_slot("subscription_digits")
        if not (code and digits):
            dispatcher.utter_message(text=LOOK_UP_FIRST)
            return []
        _, answer = await _call("subscribe", _request(tracker, code, digits))
        dispatcher.utter_message(text=answer)
        return [SlotSet("subscription_code", None), SlotSet("subscription_digits", None)]


def _leaving(tracker: Tracker) -> bool:
    """The message asks for something else, and has no digits that could answer the form."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    text = tracker.latest_message.get("text") or ""
    return intent in LEAVE_INTENTS and not re.search(r"\d{4}", text)


def _request(tracker: Tracker, code: Any, digits: Any) -> dict[str, Any]:
    metadata = tracker.latest_message.get("metadata") or {}
    return {
        "code": code or "", "last_digits": digits or "", "conversation": tracker.sender_id,
        "source_address": metadata.get("source_address"),
        "asker_phone": metadata.get("caller_phone"),
    }


async def _call(endpoint: str, request: dict[str, Any]) -> tuple[str, str]:
    try:
        body = await our_service.post(f"/api/v1/dossiers/{endpoint}", request, LOOKUP_TIMEOUT_S)
        return str(body["outcome"]), str(body["answer"])
    except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as e:
        logger.warning("dossier %s failed: %r", endpoint, e)
        return Outcome.UNAVAILABLE.value, ANSWERS[Outcome.UNAVAILABLE]
