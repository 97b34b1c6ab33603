import datetime

import pytest

from nlu.timeparse import TIMEZONE, find_times

# Monday 23 November 2026, 10:00 in Hanoi.
NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("sáng thứ năm tuần này", "sáng thứ năm tuần này", "2026-11-26T08:00:00+07:00"),
        ("sang thu 5 tuan nay", "sang thu 5 tuan nay", "2026-11-26T08:00:00+07:00"),
        ("9 giờ sáng mai", "9 giờ sáng mai", "2026-11-24T09:00:00+07:00"),
        ("hẹn 9h30 sáng mai nhé", "9h30 sáng mai", "2026-11-24T09:30:00+07:00"),
        ("chiều nay", "chiều nay", "2026-11-23T14:00:00+07:00"),
        ("2 giờ chiều thứ 6 tuần sau", "2 giờ chiều thứ 6 tuần sau", "2026-12-04T14:00:00+07:00"),
        ("8h rưỡi sáng thứ 2", "8h rưỡi sáng thứ 2", "2026-11-23T08:30:00+07:00"),
        ("lúc 14:30 ngày 25/11", "14:30 ngày 25/11", "2026-11-25T14:30:00+07:00"),
        ("15/12", "15/12", "2026-12-15"),
        ("ngày 5 tháng 1 năm 2027", "ngày 5 tháng 1 năm 2027", "2027-01-05"),
        ("3/1", "3/1", "2027-01-03"),  # passed this year: next year
        ("ngày mai", "ngày mai", "2026-11-24"),
        ("chủ nhật", "chủ nhật", "2026-11-29"),
        ("7 giờ tối mai", "7 giờ tối mai", "2026-11-24T19:00:00+07:00"),
        ("hồ sơ nộp hôm thứ sáu", "hôm thứ sáu", "2026-11-20"),  # the last Friday
        ("thu tu tuan sau", "thu tu tuan sau", "2026-12-02"),
    ],
)
def test_resolves_vietnamese_expressions(text: str, span: str, value: str) -> None:
    [mention] = find_times(text, NOW)
    assert text[mention.start : mention.end] == span
    assert mention.value == value


@pytest.mark.parametrize(
    "text",
    [
        "tên tôi là Mai",  # "tôi" is not "tối", "Mai" is a name
        "ten toi la mai",
        "sang tên sổ đỏ",
        "một hai ba",
        "32/13",
        "25 giờ",
        "mã 000.00.12.H26-250721-0001",
        "lấy số thứ tự",  # a queue number, not a Wednesday
        "lay so thu tu",
        "chuyen toi sang tong dai vien",  # "tôi sang"
        "ke cho toi mot cau chuyen",  # "tôi một"
    ],
)
def test_other_words_are_not_times(text: str) -> None:
    assert find_times(text, NOW) == []


def test_the_default_now_is_in_hanoi() -> None:
    [mention] = find_times("ngày mai")
    tomorrow = datetime.datetime.now(TIMEZONE).date() + datetime.timedelta(days=1)
    assert mention.value == tomorrow.isoformat()
