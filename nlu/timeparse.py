"""Vietnamese dates and times ("sáng thứ năm tuần này", "9 giờ sáng mai", "15/12", "chiều nay"),
resolved to ISO 8601 values in Asia/Ho_Chi_Minh.

Pure Python. The text is matched folded (no diacritics, lower case), so "sang mai" and "sáng mai"
resolve alike. Each expression is built from parts found next to one another: a clock time, a
part of the day, a relative day, a weekday with an optional week, or a calendar date.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from nlu.normalise import fold_aligned

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")

# When only a part of the day is said, the hour it stands for (office hours in the morning and
# afternoon); "chiều"/"tối" also move a clock time below 12 into the afternoon.
PART_OF_DAY_HOUR = {"sang": 8, "trua": 12, "chieu": 14, "toi": 19}
RELATIVE_DAYS = {"hom nay": 0, "nay": 0, "ngay mai": 1, "mai": 1, "ngay kia": 2, "ngay mot": 2,
                 "mot": 2, "hom qua": -1}
WEEKDAYS = {"hai": 0, "2": 0, "ba": 1, "3": 1, "tu": 2, "4": 2, "nam": 3, "5": 3, "sau": 4,
            "6": 4, "bay": 5, "7": 5}
WEEK_SHIFT = {"nay": 0, "sau": 1, "toi": 1, "truoc": -1}
# How weekday names are spelt with accents; "thứ tự" (order) folds like "thứ tư" but is not one.
WEEKDAY_SPELLING = {"hai": "hai", "ba": "ba", "tu": "tư", "nam": "năm", "sau": "sáu", "bay": "bảy"}

_B = r"(?<![\w/:.])"  # not inside another word or number
_E = r"(?![\w/:])"
_PARTS = {
    "clock": rf"{_B}(\d{{1,2}})\s*(?:h|gio|:)\s*(?:(\d{{1,2}})\s*(?:phut|p)?|(ruoi))?{_E}",
    "part": rf"{_B}(sang|trua|chieu|toi){_E}",
    # "hôm thứ sáu" is the last Friday; "số thứ tự" is a queue number, not a Wednesday.
    "weekday": rf"{_B}(hom\s+)?(?:(?<!so )thu\s*({'|'.join(WEEKDAYS)})|(chu nhat|cn))"
    rf"(?:\s+tuan\s+({'|'.join(WEEK_SHIFT)}))?{_E}",
    "date": rf"{_B}(?:ngay\s+)?(\d{{1,2}})\s*(?:/|-|\s+thang\s+)(\d{{1,2}})"
    rf"(?:\s*(?:/|-|\s+nam\s+)(\d{{4}}|\d{{2}}))?{_E}",
    "relative": rf"{_B}({'|'.join(sorted(RELATIVE_DAYS, key=len, reverse=True))}){_E}",
}
_ANY_PART = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _PARTS.items()))
_COMPILED = {name: re.compile(pattern) for name, pattern in _PARTS.items()}
# Single syllables that are time words only with these accents ("tôi" is "I", "một" is "one");
# typed without accents they are taken as time words only next to another part.
_ACCENTED_FORM = {"toi": "tối", "mot": "mốt", "sang": "sáng", "trua": "trưa", "chieu": "chiều"}
# Parts that make a time expression on their own; "mai" or "nay" alone are too often other words.
_STANDALONE = {"clock", "weekday", "date"}
_STANDALONE_DAYS = {"hom nay", "ngay mai", "hom qua", "ngay kia", "ngay mot"}

# What may stand between two parts of one expression: "9 giờ [vào] sáng [ngày] mai".
_JOINER = re.compile(r"^[\s,]*(?:(?:vao|luc|ngay|buoi|hom|cua)\s*)*[\s,]*$")


@dataclass(frozen=True)
class TimeMention:
    start: int  # offsets in the original text
    end: int
    value: str  # ISO 8601: a date, or a date-time with +07:00


@dataclass
class _Parts:
    clock: tuple[int, int] | None = None
    part: str | None = None
    day: datetime.date | None = None


def find_times(text: str, now: datetime.datetime | None = None) -> list[TimeMention]:
    """Every date or time expression in `text`, resolved against `now` (default: the current
    time in Hanoi)."""
    now = (now or datetime.datetime.now(TIMEZONE)).astimezone(TIMEZONE)
    folded, offsets = fold_aligned(text)
    groups: list[list[re.Match[str]]] = []
    for match in _ANY_PART.finditer(folded):
        original = text[offsets[match.start()] : offsets[match.end() - 1] + 1].lower()
        if _misspelt_time_word(match, original):
            continue
        if groups and _JOINER.match(folded[groups[-1][-1].end() : match.start()]):
            groups[-1].append(match)
        else:
            groups.append([match])
    mentions = []
    for group in groups:
        if len(group) == 1 and not _standalone(group[0]):
            continue
        if sum(m.lastgroup == "part" for m in group) > 1:
            continue  # "toi sang" is "tôi sang" (I go over), not two parts of a day
        value = _resolve(group, now)
        if value:
            start, end = offsets[group[0].start()], offsets[group[-1].end() - 1] + 1
            mentions.append(TimeMention(start, end, value))
    return mentions


def _misspelt_time_word(match: re.Match[str], original: str) -> bool:
    """True when the word is another one: "tôi" (I), "một" (one), "thứ tự" (order)."""
    if original == match.group(0):
        # Typed without accents: kept, except "mot", far more often "một" (one) than "mốt".
        return match.group(0) == "mot"
    if match.lastgroup == "weekday":
        inner = _COMPILED["weekday"].fullmatch(match.group(0))
        day = inner.group(2) if inner else None
        return bool(day and day in WEEKDAY_SPELLING and WEEKDAY_SPELLING[day] not in original)
    return _ACCENTED_FORM.get(match.group(0), original) != original


def _standalone(match: re.Match[str]) -> bool:
    return match.lastgroup in _STANDALONE or match.group(0) in _STANDALONE_DAYS


def _resolve(group: list[re.Match[str]], now: datetime.datetime) -> str | None:
    parts = _Parts()
    for match in group:
        kind = match.lastgroup
        assert kind is not None
        inner = _COMPILED[kind].fullmatch(match.group(kind))
        assert inner is not None
        if not _apply(kind, inner, parts, now.date()):
            return None
    if parts.clock is None and parts.part is None:
        return parts.day.isoformat() if parts.day else None
    hour, minute = parts.clock or (PART_OF_DAY_HOUR[parts.part or "sang"], 0)
    if parts.clock and parts.part in ("chieu", "toi") and hour < 12:
        hour += 12
    moment = datetime.datetime.combine(
        parts.day or now.date(), datetime.time(hour, minute), tzinfo=TIMEZONE
    )
    return moment.isoformat()


def _apply(kind: str, m: re.Match[str], parts: _Parts, today: datetime.date) -> bool:
    """Record one part; False when it cannot be a real date or time."""
    if kind == "clock":
        hour = int(m.group(1))
        minute = 30 if m.group(3) else int(m.group(2) or 0)
        parts.clock = (hour, minute)
        return hour < 24 and minute < 60
    if kind == "part":
        parts.part = m.group(1)
    elif kind == "relative":
        parts.day = today + datetime.timedelta(days=RELATIVE_DAYS[m.group(1)])
    elif kind == "weekday":
        weekday = 6 if m.group(3) else WEEKDAYS[m.group(2)]
        parts.day = _weekday(today, weekday, m.group(4), past=bool(m.group(1)))
    elif kind == "date":
        parts.day = _calendar_date(today, int(m.group(1)), int(m.group(2)), m.group(3))
        return parts.day is not None
    return True


def _weekday(
    today: datetime.date, weekday: int, week: str | None, past: bool
) -> datetime.date:
    """"thứ năm": the next Thursday from today on; "hôm thứ năm": the last one before today;
    "thứ năm tuần này/sau": in that week."""
    if past and week is None:
        return today - datetime.timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
    if week is None:
        return today + datetime.timedelta(days=(weekday - today.weekday()) % 7)
    monday = today - datetime.timedelta(days=today.weekday())
    return monday + datetime.timedelta(weeks=WEEK_SHIFT[week], days=weekday)


def _calendar_date(
    today: datetime.date, day: int, month: int, year_text: str | None
) -> datetime.date | None:
    """"15/12": this year, or next year when that day has passed."""
    year = int(year_text) if year_text else today.year
    if year_text and len(year_text) == 2:
        year += 2000
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        return None
    if not year_text and date < today:
        date = date.replace(year=year + 1)
    return date
