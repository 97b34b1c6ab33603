"""Answering questions about procedures from the knowledge base."""

from __future__ import annotations

import functools
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import chat_answer, chat_buttons
from knowledge.records import load_procedures
from knowledge.search import ProcedureSearch

NOT_FOUND = (
    "Xin lỗi, tôi chưa tìm thấy thủ tục bạn hỏi. Bạn có thể nói rõ tên thủ tục, ví dụ: "
    "\"đăng ký khai sinh\", \"lý lịch tư pháp\", \"đăng ký tạm trú\", hoặc gọi tổng đài 1900 1009."
)


@functools.cache
def procedure_search() -> ProcedureSearch:
    """The index over the shipped records, built on first use and kept for the process."""
    return ProcedureSearch(load_procedures())


class ActionAnswerProcedure(Action):
    """Find the procedure asked about (or keep the one being discussed) and answer one aspect."""

    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        aspect = next(tracker.get_latest_entity_values("aspect"), None) or "general"
        search = procedure_search()
        code = self._procedure_code(search, tracker)
        procedure = search.get(code) if code else None
        if procedure is None:
            dispatcher.utter_message(text=NOT_FOUND)
            return [SlotSet("aspect", None)]
        dispatcher.utter_message(
            text=chat_answer(procedure, aspect), buttons=chat_buttons(aspect)
        )
        return [SlotSet("procedure_code", procedure.code), SlotSet("aspect", aspect)]

    @staticmethod
    def _procedure_code(search: ProcedureSearch, tracker: Tracker) -> str | None:
        """The named procedure; else the one already discussed (a follow-up); else the best
        match for the whole message."""
        named = next(tracker.get_latest_entity_values("procedure"), None)
        if named:
            hits = search.search(named, k=1)
            if hits:
                return hits[0].code
        current = tracker.get_slot("procedure_code")
        if current:
            return str(current)
        hits = search.search(_resident_text(tracker), k=1)
        return hits[0].code if hits else None


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
