from pathlib import Path

import pytest

from notifier.events import Step
from notifier.gsm7 import NotGsm7, fit, segments, to_gsm7
from notifier.templates import MAX_SEGMENTS, BrandnameRegistry, TemplateError, Templates

CODE = "000.00.12.H26-250721-0001"
DOSSIER = {"dossier_code": CODE, "procedure": "Đăng ký khai sinh"}


@pytest.mark.parametrize("step", list(Step))
def test_every_step_renders_unaccented_within_two_segments(step: Step) -> None:
    text = Templates().render(step.value, "sms", DOSSIER).body
    assert CODE in text
    assert "Dang ky khai sinh" in text
    assert segments(text) <= MAX_SEGMENTS


@pytest.mark.parametrize("step", list(Step))
def test_push_keeps_diacritics_and_links_into_the_app(step: Step) -> None:
    push = Templates().render(step.value, "push", DOSSIER)
    assert "Đăng ký khai sinh" in push.body
    assert push.title and push.link and push.link.startswith("ihanoi://")
    assert CODE in push.link


def test_a_long_procedure_name_is_shortened_to_fit() -> None:
    text = Templates().render("late", "sms", {**DOSSIER, "procedure": "Thủ tục rất dài " * 40}).body
    assert text.count("...") == 1
    assert segments(text) <= MAX_SEGMENTS


def test_bad_renders_name_the_problem() -> None:
    templates = Templates()
    with pytest.raises(TemplateError, match="no template"):
        templates.render("unknown_step", "sms", DOSSIER)
    with pytest.raises(TemplateError, match="missing values"):
        templates.render("booking_confirmed", "sms", DOSSIER)


def test_an_unregistered_wording_is_refused_at_load(tmp_path: Path) -> None:
    registry = tmp_path / "brandname.yaml"
    registry.write_text("brandname: UBNDHANOI\napproved: ['Ho so {} da xong.']\n")
    with pytest.raises(TemplateError, match="approved wording"):
        Templates(registry=BrandnameRegistry(registry))
    registry.write_text("brandname: TRUNGTAMHANOI\napproved: []\n")
    with pytest.raises(TemplateError, match="11"):
        BrandnameRegistry(registry)


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


def test_every_vietnamese_letter_has_a_gsm7_form() -> None:
    """The per-character table gives, for each letter, its base letter; twice the same."""
    lower = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
    bases = "a" * 18 + "e" * 12 + "i" * 6 + "o" * 18 + "u" * 12 + "y" * 6 + "d"
    for _ in range(2):
        assert to_gsm7(lower) == bases
        assert to_gsm7(lower.upper()) == bases.upper()
    assert segments(to_gsm7("Ἀθῆναι 한국 ñ ß")) == 1  # whatever stays is GSM-7


def test_fit_cuts_at_a_word_within_the_segments() -> None:
    text = "loi chuc " * 60
    cut = fit(text, 2)
    assert cut.endswith("chuc...") or cut.endswith("loi...")
    assert segments(cut) == 2
    assert fit("ngan gon", 1) == "ngan gon"
