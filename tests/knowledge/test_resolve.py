"""The answer / clarify / abstain decision over the shipped records."""

from __future__ import annotations

import functools

import pytest

from knowledge.records import load_procedures
from knowledge.resolve import Decision, Evidence, ProcedureResolver, function_words
from knowledge.search import ProcedureSearch


@functools.cache
def resolver() -> ProcedureResolver:
    return ProcedureResolver(ProcedureSearch(load_procedures()))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("làm lý lịch tư pháp cần giấy tờ gì", "cap-phieu-ly-lich-tu-phap"),
        ("dang ky tam tru o dau", "dang-ky-tam-tru"),
        # A description of the person, and filler, before the procedure's name.
        ("mẹ tôi 78 tuổi nằm một chỗ, thế muốn đăng ký khai tử cho bố thì sao", "dang-ky-khai-tu"),
    ],
)
def test_a_named_procedure_is_answered(text: str, code: str) -> None:
    resolution = resolver().resolve(Evidence(text))
    assert (resolution.decision, resolution.code) == (Decision.ANSWER, code)


@pytest.mark.parametrize(
    "text",
    ["xin visa đi Hàn Quốc cần gì", "đăng ký nhãn hiệu cho sản phẩm", "xyzzy qwerty"],
)
def test_what_the_records_do_not_cover_is_declined(text: str) -> None:
    assert resolver().resolve(Evidence(text)).decision == Decision.ABSTAIN


def test_a_follow_up_answers_the_procedure_under_discussion() -> None:
    resolution = resolver().resolve(Evidence("còn lệ phí thì sao", current="dang-ky-khai-sinh"))
    assert (resolution.decision, resolution.code) == (Decision.ANSWER, "dang-ky-khai-sinh")
    assert resolution.follow_up


def test_a_follow_up_with_nothing_under_discussion_asks_which() -> None:
    resolution = resolver().resolve(Evidence("cần giấy tờ gì"))
    assert (resolution.decision, resolution.candidates) == (Decision.CLARIFY, ())


def test_a_new_procedure_replaces_the_one_under_discussion() -> None:
    resolution = resolver().resolve(
        Evidence("thế làm lý lịch tư pháp thì sao", current="dang-ky-khai-sinh")
    )
    assert resolution.code == "cap-phieu-ly-lich-tu-phap"


def test_a_button_code_wins_over_the_words() -> None:
    resolution = resolver().resolve(Evidence("đăng ký kết hôn", chosen="dang-ky-khai-tu"))
    assert resolution.code == "dang-ky-khai-tu"


def test_a_pending_choice_is_answered_or_asked_again_never_guessed() -> None:
    choices = ("cap-ho-chieu-pho-thong", "cap-ho-chieu-cho-tre-em-duoi-14-tuoi")
    by_name = resolver().resolve(Evidence("cho trẻ em", choices=choices))
    assert by_name.code == "cap-ho-chieu-cho-tre-em-duoi-14-tuoi"
    by_position = resolver().resolve(Evidence("số 1", choices=choices))
    assert by_position.code == "cap-ho-chieu-pho-thong"
    unclear = resolver().resolve(Evidence("ừm", choices=choices))
    assert unclear.decision == Decision.CLARIFY
    assert [hit.code for hit in unclear.candidates] == list(choices)


def test_function_words_are_folded_and_never_name_a_record_alone() -> None:
    words = function_words()
    assert "the" in words and "lệ" not in words
    for kept in ("ho", "chieu", "tam", "chung", "mat", "nhan"):  # hộ chiếu, tạm trú, chứng thực…
        assert kept not in words


def test_a_follow_up_while_which_one_is_pending_picks_nothing() -> None:
    choices = ("cap-ho-chieu-pho-thong", "cap-ho-chieu-cho-tre-em-duoi-14-tuoi")
    resolution = resolver().resolve(Evidence("cần giấy tờ gì", choices=choices))
    assert resolution.decision == Decision.CLARIFY
