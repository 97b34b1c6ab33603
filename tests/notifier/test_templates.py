import pytest

from notifier.events import Step
from notifier.gsm7 import NotGsm7, fit, segments, to_gsm7
from notifier.templates import MAX_SEGMENTS, SmsTemplates

CODE = "000.00.12.H26-250721-0001"


@pytest.mark.parametrize("step", list(Step))
def test_every_step_renders_unaccented_within_two_segments(step: Step) -> None:
    text = SmsTemplates().render(step, CODE, "Đăng ký khai sinh")
    assert CODE in text
    assert "Dang ky khai sinh" in text
    assert segments(text) <= MAX_SEGMENTS


def test_a_long_procedure_name_is_shortened_to_fit() -> None:
    text = SmsTemplates().render(Step.LATE, CODE, "Thủ tục rất dài " * 40)
    assert text.count("...") == 1
    assert segments(text) == MAX_SEGMENTS


def test_segment_counting_follows_gsm7() -> None:
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3
    assert segments("{" * 80) == 1  # extension characters take two septets
    assert segments("{" * 81) == 2
    with pytest.raises(NotGsm7):
        segments("Hồ sơ")


def test_vietnamese_text_is_made_gsm7() -> None:
    assert to_gsm7("Đăng ký “khai sinh” – miễn phí…") == 'Dang ky "khai sinh" - mien phi...'
    assert to_gsm7("Phí 😀 0 đồng") == "Phi  0 dong"


def test_fit_cuts_at_a_word_within_the_segments() -> None:
    text = "loi chuc " * 60
    cut = fit(text, 2)
    assert cut.endswith("chuc...") or cut.endswith("loi...")
    assert segments(cut) == 2
    assert fit("ngan gon", 1) == "ngan gon"
