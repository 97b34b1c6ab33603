"""The procedure answer action, driven through rasa-sdk's own Tracker and dispatcher."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import (
    CHAT_MAX_CHARS,
    SHORT_UNCERTAIN_NOTE,
    UNCERTAIN_NOTE,
    VOICE_SMS_OFFER,
    chat_answer,
    chat_buttons,
    sms_answer,
    voice_answer,
)
from actions.procedures import (
    NOT_FOUND,
    WHICH_ONE,
    WHICH_PROCEDURE,
    ActionAnswerProcedure,
    ActionBookAppointment,
    ActionOutOfScope,
    procedure_search,
)
from knowledge.records import load_procedures
from knowledge.search import Weights
from notifier.gsm7 import segments


def tracker(
    text: str,
    entities: list[dict[str, Any]] | None = None,
    channel: str = "rest",
    **slots: Any,
) -> Tracker:
    return Tracker(
        sender_id="test",
        slots=slots,
        latest_message={"text": text, "intent": {"name": "ask_procedure"},
                        "entities": entities or []},
        events=[{"event": "user", "text": text, "input_channel": channel}],
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
    messages, events = await run(tracker("xyzzy", procedure_code="dang-ky-khai-sinh"))
    assert messages[0]["text"] == NOT_FOUND
    assert SlotSet("decision", "abstain") in events
    assert SlotSet("procedure_code", None) in events


async def test_a_procedure_the_knowledge_base_lacks_is_not_answered_with_another() -> None:
    messages, events = await run(tracker("xin visa đi Hàn Quốc du lịch cần giấy tờ gì"))
    assert messages[0]["text"] == NOT_FOUND
    assert SlotSet("decision", "abstain") in events


async def test_a_follow_up_without_a_procedure_under_discussion_asks_which() -> None:
    messages, events = await run(tracker("cần giấy tờ gì vậy", [entity("aspect", "documents")]))
    assert messages[0]["text"] == WHICH_PROCEDURE
    assert SlotSet("decision", "clarify") in events
    assert SlotSet("aspect", "documents") in events


async def test_the_answer_to_which_one_keeps_the_aspect_asked() -> None:
    messages, events = await run(tracker(
        "khai sinh", decision="clarify", aspect="fee", procedure_choices=None
    ))
    assert SlotSet("procedure_code", "dang-ky-khai-sinh") in events
    assert "Lệ phí" in messages[0]["text"]


async def test_a_pending_choice_is_picked_by_its_position() -> None:
    choices = ["cap-ho-chieu-pho-thong", "cap-ho-chieu-cho-tre-em-duoi-14-tuoi"]
    _, events = await run(tracker(
        "cái thứ 2", decision="clarify", aspect="documents", procedure_choices=choices
    ))
    assert SlotSet("procedure_code", choices[1]) in events


async def test_an_unclear_reply_to_which_one_asks_again() -> None:
    choices = ["cap-ho-chieu-pho-thong", "cap-ho-chieu-cho-tre-em-duoi-14-tuoi"]
    messages, events = await run(tracker(
        "ừm", decision="clarify", aspect="documents", procedure_choices=choices
    ))
    assert messages[0]["text"] == WHICH_ONE
    assert SlotSet("procedure_choices", choices) in events


@pytest.mark.parametrize("aspect", ["documents", "fee", "duration", "place", "online", "result",
                                    "general", "nonsense"])
def test_every_aspect_of_every_record_renders_with_its_source(aspect: str) -> None:
    search = procedure_search()
    for code in ("cap-phieu-ly-lich-tu-phap", "dang-ky-khai-sinh", "dang-ky-ket-hon"):
        record = search.get(code)
        assert record is not None
        for detail in (False, True):
            text = chat_answer(record, aspect, detail=detail)
            assert urlsplit(str(record.source)).hostname.removeprefix("www.") in text
            assert record.verified.strftime("%d/%m/%Y") in text
            note = UNCERTAIN_NOTE if detail else SHORT_UNCERTAIN_NOTE
            assert (note in text) == (aspect in record.uncertain) or aspect in (
                "general", "nonsense")


@pytest.mark.parametrize("aspect", ["documents", "fee", "duration", "place", "online", "result",
                                    "general"])
def test_first_answers_are_short_and_buttons_carry_their_procedure(aspect: str) -> None:
    for record in load_procedures():
        assert len(chat_answer(record, aspect)) <= CHAT_MAX_CHARS, (record.code, aspect)
        buttons = chat_buttons(record, aspect)
        asks = [b for b in buttons if b.get("payload", "").startswith("/ask_procedure")]
        assert asks and all(f'"procedure_code": "{record.code}"' in b["payload"] for b in asks)
        [source] = [b for b in buttons if b.get("type") == "web_url"]
        assert source["url"] == str(record.source)


async def test_chat_answers_offer_booking() -> None:
    messages, _ = await run(tracker("dang ky tam tru"))
    assert {"title": "Đặt lịch", "payload": "/book_appointment"} in messages[0]["buttons"]


async def test_the_detail_button_gives_the_full_list() -> None:
    record = procedure_search().get("dang-ky-khai-sinh")
    assert record is not None
    messages, _ = await run(tracker(
        f'/ask_procedure{{"procedure_code": "{record.code}", "aspect": "documents", '
        '"detail": "full"}',
        [entity("procedure_code", record.code), entity("aspect", "documents"),
         entity("detail", "full")],
    ))
    assert all(d.name in messages[0]["text"] for d in record.documents)


async def test_close_matches_are_offered_as_buttons(monkeypatch: pytest.MonkeyPatch) -> None:
    # "sổ đỏ" names several land records in full, and at a margin of 1 every close pair is
    # ambiguous: the action must then ask, not guess.
    search = procedure_search()
    monkeypatch.setattr(search, "weights", Weights(ambiguity_margin=1.0))
    messages, events = await run(tracker("sổ đỏ", [entity("aspect", "fee")]))
    [message] = messages
    assert message["text"] == WHICH_ONE
    choices = [b for b in message["buttons"] if "procedure_code" in b["payload"]]
    assert 2 <= len(choices) <= 3
    assert all('"aspect": "fee"' in b["payload"] for b in choices)
    assert message["buttons"][-1]["payload"] == "/deny"
    assert not any(e.get("name") == "procedure_code" for e in events)


async def test_a_chosen_button_answers_that_procedure() -> None:
    messages, events = await run(tracker(
        '/ask_procedure{"procedure_code": "doi-giay-phep-lai-xe", "aspect": "fee"}',
        [entity("procedure_code", "doi-giay-phep-lai-xe"), entity("aspect", "fee")],
    ))
    record = procedure_search().get("doi-giay-phep-lai-xe")
    assert record is not None
    assert messages[0]["text"] == chat_answer(record, "fee")
    assert SlotSet("procedure_code", record.code) in events


async def test_the_hotline_gets_two_sentences_and_an_sms_offer() -> None:
    messages, _ = await run(tracker("lam ly lich tu phap mat bao lau", channel="ivr"))
    text = messages[0]["text"]
    assert "buttons" not in messages[0] or not messages[0]["buttons"]
    assert text.endswith(VOICE_SMS_OFFER)
    spoken = text.removesuffix(VOICE_SMS_OFFER).strip()
    assert spoken.count(". ") == 1 and spoken.endswith(".")
    assert "thời gian giải quyết" in spoken
    assert "cập nhật ngày" in spoken


async def test_sms_answers_are_unaccented_within_two_segments() -> None:
    messages, _ = await run(tracker("lam ly lich tu phap can giay to gi", channel="sms"))
    text = messages[0]["text"]
    assert segments(text) <= 2
    assert text.startswith("Cap Phieu ly lich tu phap")


@pytest.mark.parametrize("aspect", ["documents", "fee", "duration", "place", "online", "result",
                                    "general"])
def test_voice_and_sms_forms_of_every_record_name_their_source(aspect: str) -> None:
    for record in load_procedures():
        spoken = voice_answer(record, aspect)
        assert f"năm {record.verified.year}" in spoken
        assert len(spoken.split()) <= 90, (record.code, aspect)
        sms = sms_answer(record, aspect)
        assert segments(sms) <= 2, (record.code, aspect)
        assert record.verified.strftime("%d/%m/%Y") in sms
        assert ("can xac nhan lai" in sms) == (
            aspect in record.uncertain
            or (aspect == "general" and bool({"documents", "fee", "duration", "online"}
                                             & set(record.uncertain)))
        )


async def test_out_of_scope_is_declined_unless_a_procedure_is_named_beyond_doubt() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionOutOfScope().run(dispatcher, tracker("thời tiết Hà Nội mai thế nào"), {})
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert events == []
    dispatcher = CollectingDispatcher()
    events = await ActionOutOfScope().run(
        dispatcher, tracker("cho tôi hỏi thủ tục đăng ký khai tử cho bố"), {}
    )
    assert SlotSet("procedure_code", "dang-ky-khai-tu") in events


async def test_a_booking_request_is_booked_but_a_procedure_question_is_answered() -> None:
    dispatcher = CollectingDispatcher()
    await ActionBookAppointment().run(
        dispatcher, tracker("cho tôi đặt lịch làm đăng ký khai tử sáng mai"), {}
    )
    assert dispatcher.messages[0]["response"] == "utter_book_appointment"
    events = await ActionBookAppointment().run(
        CollectingDispatcher(), tracker("cho tôi hỏi thủ tục đăng ký khai tử cho bố"), {}
    )
    assert SlotSet("procedure_code", "dang-ky-khai-tu") in events


async def test_the_booking_button_always_books() -> None:
    pressed = tracker("/book_appointment")
    pressed.events.insert(0, {"event": "user", "text": "đăng ký khai tử cho bố thế nào"})
    dispatcher = CollectingDispatcher()
    await ActionBookAppointment().run(dispatcher, pressed, {})
    assert dispatcher.messages[0]["response"] == "utter_book_appointment"
