import pytest

from nlu.aspects import find_aspect


@pytest.mark.parametrize(
    ("text", "span", "aspect"),
    [
        ("làm lý lịch tư pháp cần giấy tờ gì", "cần giấy tờ", "documents"),
        ("lam ly lich tu phap can giay to gi", "can giay to", "documents"),
        ("khai sinh lệ phí bao nhiêu", "lệ phí", "fee"),
        ("đăng ký kết hôn mất bao lâu", "mất bao lâu", "duration"),
        ("hộ chiếu nộp ở đâu", "nộp ở đâu", "place"),
        ("tạm trú làm onl dc ko", "onl", "online"),
        ("căn cước có gửi về nhà được không", "gửi về nhà", "result"),
        ("thủ tục sang tên sổ đỏ thế nào", "thủ tục", "general"),
    ],
)
def test_finds_the_aspect_and_its_span(text: str, span: str, aspect: str) -> None:
    mention = find_aspect(text)
    assert mention is not None
    assert (text[mention.start : mention.end], mention.value) == (span, aspect)


def test_the_aspect_named_first_wins() -> None:
    assert find_aspect("lltp bn tiền và bao lâu có").value == "fee"  # type: ignore[union-attr]
    assert find_aspect("nhận kết quả ở đâu").value == "result"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "aspect"),
    [
        ("mai táng phí nhận ở đâu", "result"),  # "phí" of the procedure's name is not a fee
        ("lệ phí trước bạ nộp qua mạng được không", "online"),
        ("công chứng giấy tờ ở đâu", "place"),
        ("xin giấy phép xây dựng hết bao nhiêu ngày", "duration"),
    ],
)
def test_words_of_a_procedure_name_are_not_aspects(text: str, aspect: str) -> None:
    mention = find_aspect(text)
    assert mention is not None and mention.value == aspect


@pytest.mark.parametrize("text", ["", "lý lịch tư pháp", "🙂", "xin chào"])
def test_no_aspect_named(text: str) -> None:
    assert find_aspect(text) is None
