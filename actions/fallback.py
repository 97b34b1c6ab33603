"""The first stage of the two-stage fallback, in Vietnamese: "Có phải bạn muốn …?" with a
button for each likely meaning (unless the message names a procedure beyond doubt or follows up
on the one under discussion: then it is answered). Rasa runs it (by this name) when NLU
confidence is low; a second miss ends in utter_default, which offers the hotline and a human."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.procedures import answer_if_named

# What each intent means, as a resident would say it. Only requests worth confirming are offered:
# "Có phải bạn muốn đồng ý?" helps nobody, so a guess among small talk asks to rephrase instead.
INTENT_MEANINGS = {
    "ask_procedure": "hỏi về thủ tục hành chính",
    "book_appointment": "đặt lịch hẹn, lấy số thứ tự",
    "cancel_appointment": "hủy lịch hẹn",
    "check_dossier_status": "tra cứu tình trạng hồ sơ",
    "request_human": "gặp nhân viên hỗ trợ",
    "complaint": "gửi phản ánh, khiếu nại",
}
MAX_CHOICES = 2


class ActionAskAffirmation(Action):
    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answered = answer_if_named(dispatcher, tracker)
        if answered:  # a procedure named beyond doubt, or a follow-up: no need to ask
            return answered
        ranking = tracker.latest_message.get("intent_ranking") or []
        likely = [
            r["name"] for r in ranking
            # Gibberish has every confidence 0 (nlu/unknown_words.py): nothing to offer.
            if r.get("name") in INTENT_MEANINGS and r.get("confidence")
        ][:MAX_CHOICES]
        if not likely:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        question = " hay ".join(INTENT_MEANINGS[name] for name in likely)
        buttons = [
            {"title": INTENT_MEANINGS[name].capitalize(), "payload": f"/{name}"} for name in likely
        ]
        # Rasa's two-stage fallback reads `out_of_scope` as "none of these": it asks to rephrase.
        buttons.append({"title": "Không phải", "payload": "/out_of_scope"})
        dispatcher.utter_message(text=f"Có phải bạn muốn {question}?", buttons=buttons)
        return []
