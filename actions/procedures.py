"""Answering questions about procedures from the knowledge base."""

from __future__ import annotations

import functools
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import chat_answer, chat_buttons, sms_answer, voice_answer
from knowledge.records import load_procedures
from knowledge.schema import Procedure
from knowledge.search import Hit, ProcedureSearch
from notifier.gsm7 import to_gsm7

NOT_FOUND = (
    "Xin lỗi, tôi chưa tìm thấy thủ tục bạn hỏi. Bạn có thể nói rõ tên thủ tục, ví dụ: "
    "\"đăng ký khai sinh\", \"lý lịch tư pháp\", \"đăng ký tạm trú\", hoặc gọi tổng đài 1900 1009."
)
WHICH_ONE = "Bạn muốn hỏi thủ tục nào dưới đây?"
NONE_OF_THESE = {"title": "Thủ tục khác", "payload": "/deny"}
# Input channels that are not a chat screen (the IVR and SMS connectors register these names).
VOICE_CHANNELS = frozenset({"ivr", "voice"})
SMS_CHANNELS = frozenset({"sms"})
MAX_CHOICES = 3


@functools.cache
def procedure_search() -> ProcedureSearch:
    """The index over the shipped records, built on first use and kept for the process."""
    return ProcedureSearch(load_procedures())


class ActionAnswerProcedure(Action):
    """Find the procedure asked about (or keep the one being discussed) and answer one aspect,
    in the form the resident's channel needs; ask which one when two are equally likely."""

    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        aspect = next(tracker.get_latest_entity_values("aspect"), None) or "general"
        search = procedure_search()
        hits = _candidates(search, tracker)
        if not hits:
            dispatcher.utter_message(text=NOT_FOUND)
            return [SlotSet("aspect", None)]
        if search.is_ambiguous(hits):
            _ask_which(dispatcher, hits[:MAX_CHOICES], aspect, tracker.get_latest_input_channel())
            return [SlotSet("aspect", aspect)]
        procedure = search.get(hits[0].code)
        assert procedure is not None  # hits come from the same index
        _answer(dispatcher, procedure, aspect, tracker.get_latest_input_channel())
        return [SlotSet("procedure_code", procedure.code), SlotSet("aspect", aspect)]


def _candidates(search: ProcedureSearch, tracker: Tracker) -> list[Hit]:
    """The procedure chosen by a button; else the one named; else the one already discussed (a
    follow-up); else the best matches for the whole message."""
    chosen = _known(search, next(tracker.get_latest_entity_values("procedure_code"), None))
    if chosen:
        return chosen
    named = next(tracker.get_latest_entity_values("procedure"), None)
    hits = search.search(named, k=MAX_CHOICES) if named else []
    return (
        hits
        or _known(search, tracker.get_slot("procedure_code"))
        or search.search(_resident_text(tracker), k=MAX_CHOICES)
    )


def _known(search: ProcedureSearch, code: Any) -> list[Hit]:
    procedure = search.get(str(code)) if code else None
    return [Hit(procedure.code, procedure.name, 1.0)] if procedure else []


def _answer(
    dispatcher: CollectingDispatcher, procedure: Procedure, aspect: str, channel: str | None
) -> None:
    if channel in VOICE_CHANNELS:
        dispatcher.utter_message(text=voice_answer(procedure, aspect))
    elif channel in SMS_CHANNELS:
        dispatcher.utter_message(text=sms_answer(procedure, aspect))
    else:
        dispatcher.utter_message(text=chat_answer(procedure, aspect), buttons=chat_buttons(aspect))


def _ask_which(
    dispatcher: CollectingDispatcher, hits: list[Hit], aspect: str, channel: str | None
) -> None:
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
