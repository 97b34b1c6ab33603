"""The dossier form's slot extraction and validation, through rasa-sdk's own types."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier_status import DIGITS_ONLY, ValidateDossierStatusForm
from dossiers.lookup import ANSWERS, Outcome

FORM = ValidateDossierStatusForm()


def tracker(
    text: str,
    requested: str | None,
    entities: list[dict[str, Any]] | None = None,
    intent: str = "inform",
) -> Tracker:
    return Tracker(
        sender_id="t", slots={"requested_slot": requested},
        latest_message={"text": text, "entities": entities or [], "intent": {"name": intent}},
        events=[], paused=False,
        followup_action=None, active_loop={"name": "dossier_status_form"},
        latest_action_name="action_listen",
    )


async def test_the_code_comes_from_the_entity_even_before_it_is_asked() -> None:
    code = "000.00.12.H26-250721-0001"
    entity = {"entity": "dossier_code", "value": code, "start": 0, "end": 5}
    found = await FORM.extract_dossier_code(
        CollectingDispatcher(), tracker(f"tra cứu {code}", None, [entity]), {}
    )
    assert found == {"dossier_code": code}


async def test_typed_codes_are_taken_only_when_asked() -> None:
    assert await FORM.extract_dossier_code(CollectingDispatcher(), tracker("12345", None), {}) == {}
    asked = await FORM.extract_dossier_code(
        CollectingDispatcher(), tracker("12345", "dossier_code"), {}
    )
    assert asked == {"dossier_code": "12345"}


@pytest.mark.parametrize(
    ("typed", "slot", "answer"),
    [
        ("000.00.12.h26 - 250721 - 0001", "000.00.12.H26-250721-0001", None),
        ("12345", None, ANSWERS[Outcome.MALFORMED]),
        ("000.00.12.H01-250721-0001", None, ANSWERS[Outcome.OTHER_PROVINCE]),
    ],
)
def test_codes_are_checked(typed: str, slot: str | None, answer: str | None) -> None:
    dispatcher = CollectingDispatcher()
    assert FORM.validate_dossier_code(typed, dispatcher, tracker(typed, "dossier_code"), {}) == {
        "dossier_code": slot
    }
    assert [m["text"] for m in dispatcher.messages] == ([answer] if answer else [])


@pytest.mark.parametrize(
    ("typed", "digits"),
    [("5678", "5678"), ("4 số cuối là 5678", "5678"), ("0912 345 678", "5678"),
     ("5678 ạ", "5678"), ("12", None)],
)
async def test_the_last_four_digits(typed: str, digits: str | None) -> None:
    dispatcher = CollectingDispatcher()
    extracted = await FORM.extract_phone_last4(dispatcher, tracker(typed, "phone_last4"), {})
    validated = FORM.validate_phone_last4(
        extracted["phone_last4"], dispatcher, tracker(typed, "phone_last4"), {}
    )
    assert validated == {"phone_last4": digits}
    assert [m["text"] for m in dispatcher.messages] == ([] if digits else [DIGITS_ONLY])


@pytest.mark.parametrize(
    ("typed", "intent"),
    [("thôi không tra nữa", "stop"), ("cho tôi gặp nhân viên", "request_human"),
     ("làm lại căn cước cần giấy tờ gì", "ask_procedure"), ("cảm ơn", "thank"),
     ("không nhớ", "deny")],
)
async def test_a_message_that_is_not_an_answer_leaves_the_slot_to_the_rules(
    typed: str, intent: str
) -> None:
    """Nothing extracted: Rasa rejects the form's turn and the rules serve the request."""
    for requested in ("dossier_code", "phone_last4"):
        asked = tracker(typed, requested, intent=intent)
        assert await FORM.extract_phone_last4(CollectingDispatcher(), asked, {}) == {}
        assert await FORM.extract_dossier_code(CollectingDispatcher(), asked, {}) == {}


async def test_digits_given_with_the_code_are_not_asked_again() -> None:
    text = "Kiểm tra giúp hồ sơ 000.00.12.H26-250720-0015, số điện thoại đuôi 4321"
    extracted = await FORM.extract_phone_last4(CollectingDispatcher(), tracker(text, None), {})
    assert extracted == {"phone_last4": "4321"}
