"""Answering questions about procedures from the knowledge base.

One decision per turn (`knowledge.resolve`): answer the procedure settled by the evidence, ask
which one when two are close or none was named, or say plainly that the assistant has no
information and record the question as a knowledge gap. The procedure under discussion changes
only when a new one is settled.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

import aiohttp
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import our_service
from actions.answers import chat_answer, chat_buttons, sms_answer, voice_answer
from knowledge.records import load_procedures
from knowledge.resolve import Decision, Evidence, ProcedureResolver, Resolution
from knowledge.search import Hit, ProcedureSearch
from nlu.normalise import fold
from notifier.gsm7 import to_gsm7

logger = logging.getLogger(__name__)

NOT_FOUND = (
    "Xin lỗi, tôi chưa có thông tin về thủ tục này nên không muốn trả lời sai. Bạn có thể tra "
    "cứu trên Cổng Dịch vụ công quốc gia (https://dichvucong.gov.vn) hoặc gọi tổng đài "
    "1900 1009 để được hướng dẫn."
)
WHICH_ONE = "Bạn muốn hỏi thủ tục nào dưới đây?"
WHICH_PROCEDURE = (
    "Bạn muốn hỏi về thủ tục nào? Bạn nói rõ tên giúp tôi, ví dụ: \"làm lại căn cước\", "
    "\"đăng ký khai sinh\", \"lý lịch tư pháp\"."
)
NONE_OF_THESE = {"title": "Thủ tục khác", "payload": "/deny"}
# Input channels that are not a chat screen (the IVR and SMS connectors register these names).
VOICE_CHANNELS = frozenset({"ivr", "voice"})
SMS_CHANNELS = frozenset({"sms"})
GAPS_TIMEOUT_S = 3.0
# A message the NLU took as out of scope or booking is still answered when the knowledge base
# names a procedure this surely (on the blind tuning utterances: 124 of 200 procedure questions,
# 0 of 90 out of scope, 0 of 13 booking requests).
NAMED_BEYOND_DOUBT = 0.9
# Words that ask for an appointment or a queue number (folded).
_BOOKING_CUE = re.compile(
    r"\b(?:dat (?:lich|hen|truoc|gio|cho)|lay so|so thu tu|hen (?:lich|gio|ngay|truoc)|"
    r"lich hen|book|slot|giu (?:cho|lich))\b"
)


@functools.cache
def procedure_search() -> ProcedureSearch:
    """The index over the shipped records, built on first use and kept for the process."""
    return ProcedureSearch(load_procedures())


@functools.cache
def procedure_resolver() -> ProcedureResolver:
    return ProcedureResolver(procedure_search())


class ActionAnswerProcedure(Action):
    """Settle the procedure asked about and answer one aspect of it in the form the resident's
    channel needs; or ask which one; or say the assistant does not know."""

    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        resolution = procedure_resolver().resolve(_evidence(tracker))
        aspect = _aspect(tracker)
        channel = tracker.get_latest_input_channel()
        decided = SlotSet("decision", resolution.decision.value)
        if resolution.decision == Decision.ANSWER:
            detail = next(tracker.get_latest_entity_values("detail"), None) == "full"
            return _answer(dispatcher, str(resolution.code), aspect, channel, detail)
        if resolution.decision == Decision.CLARIFY:
            _ask_which(dispatcher, list(resolution.candidates), aspect, channel)
            choices = [hit.code for hit in resolution.candidates] or None
            return [decided, SlotSet("aspect", aspect), SlotSet("procedure_choices", choices)]
        dispatcher.utter_message(text=NOT_FOUND)
        await _record_gap(tracker, resolution)
        return [decided, SlotSet("procedure_code", None), SlotSet("aspect", None),
                SlotSet("procedure_choices", None)]


class ActionOutOfScope(Action):
    """Decline politely what is outside public services; but a long procedure question that the
    NLU took for small talk ("mua lại xe máy cũ, giờ muốn sang tên thì làm sao") is answered
    when the knowledge base names one procedure beyond doubt."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return answer_if_named(dispatcher, tracker) or _utter(dispatcher, "utter_out_of_scope")


class ActionBookAppointment(Action):
    """Booking (in conversation from issue 15; for now, where to take a number). A procedure
    question that the NLU took for booking because it names a procedure but asks nothing of an
    appointment ("tên trên sổ đỏ sai, giờ đính chính thế nào") is answered instead."""

    def name(self) -> str:
        return "action_book_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        pressed = (tracker.latest_message.get("text") or "").startswith("/")  # "Đặt lịch"
        if not pressed and not _BOOKING_CUE.search(fold(_resident_text(tracker))):
            events = answer_if_named(dispatcher, tracker)
            if events:
                return events
        return _utter(dispatcher, "utter_book_appointment")


def answer_if_named(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Answer when the message names a procedure beyond doubt, or asks about an aspect of the one
    under discussion ("mức đóng một năm bao nhiêu" after a question on health insurance),
    whatever intent the NLU gave it; no events when it does neither."""
    resolution = procedure_resolver().resolve(Evidence(
        _resident_text(tracker), current=tracker.get_slot("procedure_code")
    ))
    asks_aspect = next(tracker.get_latest_entity_values("aspect"), None) is not None
    if resolution.decision != Decision.ANSWER or not (
        resolution.probability >= NAMED_BEYOND_DOUBT or (resolution.follow_up and asks_aspect)
    ):
        return []
    return _answer(dispatcher, str(resolution.code), _aspect(tracker),
                   tracker.get_latest_input_channel(), detail=False)


def _utter(dispatcher: CollectingDispatcher, response: str) -> list[EventType]:
    dispatcher.utter_message(response=response)
    return []


def _evidence(tracker: Tracker) -> Evidence:
    choices = tracker.get_slot("procedure_choices") or []
    return Evidence(
        text=_resident_text(tracker),
        chosen=next(tracker.get_latest_entity_values("procedure_code"), None),
        current=tracker.get_slot("procedure_code"),
        # "Which procedure?" asked without candidates leaves none: the next message is resolved
        # afresh, with the aspect of the question that was asked (`_aspect`).
        choices=tuple(choices),
    )


def _aspect(tracker: Tracker) -> str:
    """The aspect this message asks about; an answer to "which one?" keeps the question's."""
    named = next(tracker.get_latest_entity_values("aspect"), None)
    if named:
        return str(named)
    if tracker.get_slot("decision") == Decision.CLARIFY.value:
        return str(tracker.get_slot("aspect") or "general")
    return "general"


def _answer(
    dispatcher: CollectingDispatcher, code: str, aspect: str, channel: str | None, detail: bool
) -> list[EventType]:
    """Answer `aspect` of the procedure `code` in the channel's form; it is now the one under
    discussion."""
    procedure = procedure_search().get(code)
    assert procedure is not None  # the resolver answers only known codes
    if channel in VOICE_CHANNELS:
        dispatcher.utter_message(text=voice_answer(procedure, aspect))
    elif channel in SMS_CHANNELS:
        dispatcher.utter_message(text=sms_answer(procedure, aspect))
    else:
        dispatcher.utter_message(
            text=chat_answer(procedure, aspect, detail=detail),
            buttons=chat_buttons(procedure, aspect, detail=detail),
        )
    return [SlotSet("decision", Decision.ANSWER.value), SlotSet("procedure_code", code),
            SlotSet("aspect", aspect), SlotSet("procedure_choices", None)]


def _ask_which(
    dispatcher: CollectingDispatcher, hits: list[Hit], aspect: str, channel: str | None
) -> None:
    if not hits:
        text = WHICH_PROCEDURE
        dispatcher.utter_message(text=to_gsm7(text) if channel in SMS_CHANNELS else text)
        return
    if channel in VOICE_CHANNELS or channel in SMS_CHANNELS:
        question = "Bạn muốn hỏi về " + ", hay ".join(hit.name for hit in hits) + "?"
        dispatcher.utter_message(text=to_gsm7(question) if channel in SMS_CHANNELS else question)
        return
    buttons = [
        {
            "title": hit.name,
            "payload": f'/ask_procedure{{"procedure_code": "{hit.code}", "aspect": "{aspect}"}}',
        }
        for hit in hits
    ]
    dispatcher.utter_message(text=WHICH_ONE, buttons=[*buttons, NONE_OF_THESE])


async def _record_gap(tracker: Tracker, resolution: Resolution) -> None:
    """Tell our service what the assistant could not answer (`python -m knowledge gaps`). A
    failure is logged and forgotten: the resident has had their answer."""
    body = {
        "question": _resident_text(tracker)[:500],
        "conversation": tracker.sender_id,
        "candidates": [hit.code for hit in resolution.candidates[:3]],
    }
    try:
        await our_service.post("/api/v1/knowledge/gaps", body, GAPS_TIMEOUT_S)
    except (aiohttp.ClientError, TimeoutError, ValueError) as e:
        logger.warning("knowledge gap not recorded: %r", e)


def _resident_text(tracker: Tracker) -> str:
    """The latest message the resident typed: a button payload ("/ask_procedure", e.g. when the
    fallback's question was confirmed) stands for the message before it."""
    latest = tracker.latest_message.get("text") or ""
    if not latest.startswith("/"):
        return latest
    for event in reversed(tracker.events):
        text = event.get("text") or ""
        if event.get("event") == "user" and not text.startswith("/"):
            return str(text)
    return ""
