import pytest

from nlu.normalise import fold, normalise, strip_diacritics, words


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoà", "hòa"), ("thuỷ", "thủy"), ("Uỷ ban", "ủy ban"), ("khoẻ", "khỏe")],
)
def test_old_tone_placement_becomes_new(old: str, new: str) -> None:
    assert normalise(old) == new


@pytest.mark.parametrize("unchanged", ["hoàng", "quý", "quỳnh", "thuyền"])
def test_syllables_without_a_second_style_are_left_alone(unchanged: str) -> None:
    assert normalise(unchanged) == unchanged


def test_decomposed_input_is_composed() -> None:
    decomposed = "ly\u0301 li\u0323ch"  # combining acute and dot below
    assert normalise(decomposed) == "lý lịch"


def test_fold_meets_the_unaccented_spelling() -> None:
    assert fold("Lý Lịch  Tư Pháp") == fold("ly lich tu phap") == "ly lich tu phap"
    assert strip_diacritics("Đăng ký đất đai") == "Dang ky dat dai"


def test_control_characters_and_punctuation_do_not_make_words() -> None:
    assert words("Làm\x00 CCCD ở đâu???") == ["lam", "cccd", "o", "dau"]
    assert words("🙂🙂") == []
