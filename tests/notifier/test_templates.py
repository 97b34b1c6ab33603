import pytest

from notifier.events import Step
from notifier.templates import MAX_SEGMENTS, SmsTemplates, TemplateError, segments

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
    with pytest.raises(TemplateError):
        segments("Hồ sơ")
