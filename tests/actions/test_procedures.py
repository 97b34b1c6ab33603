"""The procedure answer action, driven through rasa-sdk's own Tracker and dispatcher."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import UNCERTAIN_NOTE, chat_answer
from actions.procedures import NOT_FOUND, ActionAnswerProcedure, procedure_search


def tracker(text: str, entities: list[dict[str, Any]] | None = None, **slots: Any) -> Tracker:
    return Tracker(
        sender_id="test",
        slots=slots,
        latest_message={"text": text, "intent": {"name": "ask_procedure"},
                        "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": len(value)}


async def run(t: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerProcedure().run(dispatcher, t, {})
    return dispatcher.messages, events


async def test_answers_the_documents_of_the_named_procedure() -> None:
    messages, events = await run(tracker(
        "làm lý lịch tư pháp cần giấy tờ gì",
        [entity("procedure", "lý lịch tư pháp"), entity("aspect", "documents")],
    ))
    record = procedure_search().get("cap-phieu-ly-lich-tu-phap")
    assert record is not None
    [message] = messages
    assert message["text"] == chat_answer(record, "documents")
    assert record.documents[0].name in message["text"]
    assert "Giấy tờ" not in [b["title"] for b in message["buttons"]]
    assert SlotSet("procedure_code", "cap-phieu-ly-lich-tu-phap") in events


async def test_a_follow_up_keeps_the_procedure() -> None:
    messages, _ = await run(tracker(
        "còn lệ phí thì sao?", [entity("aspect", "fee")], procedure_code="dang-ky-khai-sinh"
    ))
    assert messages[0]["text"].startswith(procedure_search().get("dang-ky-khai-sinh").name)
    assert "Lệ phí:" in messages[0]["text"]


async def test_without_entities_the_whole_message_is_searched() -> None:
    messages, _ = await run(tracker("dang ky tam tru"))
    assert "tạm trú" in messages[0]["text"].split("\n")[0].lower()


async def test_an_unknown_procedure_says_so() -> None:
    messages, events = await run(tracker("xyzzy"))
    assert messages[0]["text"] == NOT_FOUND
    assert not any(e.get("name") == "procedure_code" for e in events)


@pytest.mark.parametrize("aspect", ["documents", "fee", "duration", "place", "online", "result",
                                    "general", "nonsense"])
def test_every_aspect_of_every_record_renders_with_its_source(aspect: str) -> None:
    search = procedure_search()
    for code in ("cap-phieu-ly-lich-tu-phap", "dang-ky-khai-sinh", "dang-ky-ket-hon"):
        record = search.get(code)
        assert record is not None
        text = chat_answer(record, aspect)
        assert str(record.source) in text
        assert record.verified.strftime("%d/%m/%Y") in text
        assert (UNCERTAIN_NOTE in text) == (aspect in record.uncertain) or aspect in (
            "general", "nonsense")
