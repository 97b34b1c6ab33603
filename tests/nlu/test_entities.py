import datetime

import pytest

from nlu.entities import find_entities
from nlu.timeparse import TIMEZONE

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)


def found(text: str) -> list[tuple[str, str, str]]:
    """The entities other than `aspect` (tested in test_aspects)."""
    return [
        (e.entity, text[e.start : e.end], e.value)
        for e in find_entities(text, NOW)
        if e.entity != "aspect"
    ]


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("hồ sơ 000.00.12.H26-250721-0001 đến đâu rồi", "000.00.12.H26-250721-0001",
         "000.00.12.H26-250721-0001"),
        ("000 . 00 . 12 . h26-250721-0001", "000 . 00 . 12 . h26-250721-0001",
         "000.00.12.H26-250721-0001"),
        ("ma ho so h26 - 250721 - 0001", "h26 - 250721 - 0001", "H26-250721-0001"),
        ("mã H29-251101-0042 của TP HCM", "H29-251101-0042", "H29-251101-0042"),
    ],
)
def test_dossier_codes(text: str, span: str, value: str) -> None:
    assert found(text) == [("dossier_code", span, value)]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("sđt 0912345678", "0912345678"),
        ("số của tôi 0912 345 678 nhé", "0912 345 678"),
        ("+84 912.345.678", "+84 912.345.678"),
        ("84912345678", "84912345678"),
    ],
)
def test_mobile_numbers(text: str, span: str) -> None:
    assert found(text) == [("phone", span, "+84912345678")]


@pytest.mark.parametrize("text", ["0123456789", "091234567", "09123456789", "1900 1009"])
def test_other_numbers_are_not_mobiles(text: str) -> None:
    assert [e for e in found(text) if e[0] == "phone"] == []


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("đặt lịch ở chi nhánh số 3", "chi nhánh số 3", "Chi nhánh số 3"),
        ("chi nhanh 12", "chi nhanh 12", "Chi nhánh số 12"),
        ("nộp ở phường Ba Đình được không", "phường Ba Đình", "Phường Ba Đình"),
        ("xa bat trang", "xa bat trang", "Xã Bát Tràng"),
    ],
)
def test_service_points(text: str, span: str, value: str) -> None:
    assert found(text) == [("service_point", span, value)]


def test_branch_numbers_beyond_twelve_are_not_service_points() -> None:
    assert found("chi nhánh 15") == []


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("tên tôi là Nguyễn Văn An", "Nguyễn Văn An", "Nguyễn Văn An"),
        ("ten em la le thi hoa nha", "le thi hoa", "Le Thi Hoa"),
        ("Họ và tên: Trần Minh Đức", "Trần Minh Đức", "Trần Minh Đức"),
    ],
)
def test_names_after_a_cue(text: str, span: str, value: str) -> None:
    assert found(text) == [("person_name", span, value)]


def test_several_entities_in_one_message_in_order() -> None:
    text = "tên tôi là Lê Hoa, sđt 0987654321, đặt lịch chi nhánh số 2 sáng thứ năm tuần này"
    assert [e[0] for e in found(text)] == ["person_name", "phone", "service_point", "time"]


def test_the_aspect_comes_with_the_other_entities() -> None:
    entities = find_entities("lltp nộp ở phường Ba Đình được không", NOW)
    assert [(e.entity, e.value) for e in entities] == [
        ("aspect", "place"), ("service_point", "Phường Ba Đình")
    ]


@pytest.mark.parametrize("text", ["", "🙂🙂", "<script>alert(1)</script>", "x" * 20_000])
def test_bad_input_finds_nothing_and_does_not_crash(text: str) -> None:
    assert find_entities(text, NOW) == []
