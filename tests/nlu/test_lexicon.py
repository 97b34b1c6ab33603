import pytest

from nlu.lexicon import expand_words
from nlu.normalise import words


@pytest.mark.parametrize(
    ("typed", "expanded"),
    [
        ("lam cccd o dau", "lam can cuoc cong dan o dau"),
        ("ko biet nop ho so onl dc ko", "khong biet nop ho so truc tuyen duoc khong"),
        ("lltp bn tiền", "ly lich tu phap bao nhieu tien"),
        ("đổi gplx", "doi giay phep lai xe"),
        ("sđt của ubnd", "so dien thoai cua uy ban nhan dan"),
    ],
)
def test_abbreviations_and_teencode(typed: str, expanded: str) -> None:
    assert " ".join(expand_words(words(typed))) == expanded


@pytest.mark.parametrize(
    ("typed", "expanded"),
    [
        ("nhập hk cho con", "nhap ho khau cho con"),
        ("tách hk", "tach ho khau"),
        ("sổ hk bị mất", "so ho khau bi mat"),
        ("hk biết nữa", "khong biet nua"),
    ],
)
def test_hk_is_ho_khau_only_next_to_its_verbs(typed: str, expanded: str) -> None:
    assert " ".join(expand_words(words(typed))) == expanded
