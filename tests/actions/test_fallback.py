"""The Vietnamese first stage of the two-stage fallback."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionAskAffirmation
from tests.actions.test_procedures import tracker


async def ask(ranking: list[dict[str, Any]]) -> dict[str, Any]:
    t: Tracker = tracker("abc xyz")
    t.latest_message["intent_ranking"] = ranking
    dispatcher = CollectingDispatcher()
    await ActionAskAffirmation().run(dispatcher, t, {})
    [message] = dispatcher.messages
    return message


async def test_asks_about_the_two_likeliest_meanings() -> None:
    message = await ask([
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "check_dossier_status", "confidence": 0.40},
        {"name": "ask_procedure", "confidence": 0.30},
        {"name": "greet", "confidence": 0.10},
    ])
    assert message["text"] == (
        "Có phải bạn muốn tra cứu tình trạng hồ sơ hay hỏi về thủ tục hành chính?"
    )
    assert [b["payload"] for b in message["buttons"]] == [
        "/check_dossier_status", "/ask_procedure", "/out_of_scope"
    ]


async def test_without_a_ranking_it_asks_to_rephrase() -> None:
    assert (await ask([]))["response"] == "utter_ask_rephrase"
