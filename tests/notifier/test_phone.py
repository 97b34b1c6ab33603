import pytest

from notifier.phone import InvalidPhone, mask, to_e164


@pytest.mark.parametrize(
    "raw", ["0912345678", "0912 345 678", "+84912345678", "84912345678", "091.234.5678"]
)
def test_vietnamese_mobiles_become_e164(raw: str) -> None:
    assert to_e164(raw) == "+84912345678"


@pytest.mark.parametrize("raw", ["", "12345", "0212345678", "+1 415 555 0100", "09123456789"])
def test_other_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        to_e164(raw)


def test_mask_keeps_only_the_country_code_and_last_digits() -> None:
    assert mask("+84912345678") == "+84******678"
    assert "2345" not in mask("+84912345678")
