"""Entities that rules find better than a model: dossier codes, mobile numbers, dates and times,
service points, the name after "tên tôi là", and the aspect of a procedure asked about.

Pure Python (the Rasa component in `nlu.extractor` wraps it), matched on the folded text so that
accents, case and spacing do not matter, with spans mapped back to exactly what was written.
"""

from __future__ import annotations

import csv
import datetime
import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nlu.aspects import find_aspect
from nlu.normalise import fold, fold_aligned
from nlu.timeparse import find_times
from notifier.phone import InvalidPhone, to_e164

WARDS_CSV = Path(__file__).parents[1] / "knowledge" / "data" / "wards.csv"
BRANCHES = 12  # branches of the city's Public Administrative Service Center

# Maps a span of the folded text to the span of the original text.
Span = Callable[[int, int], tuple[int, int]]


@dataclass(frozen=True)
class Entity:
    entity: str
    start: int
    end: int
    value: str


# Hanoi one-stop dossier codes: 000.00.12.H26-250721-0001 (agency . . . province-date-serial).
# Spaces, lower case and a missing agency part are tolerated.
_DOSSIER = re.compile(
    r"(?<![\w.])(?:(\d{3})\s*\.\s*(\d{2})\s*\.\s*(\d{2})\s*\.\s*)?"
    r"h\s*(\d{2})\s*-\s*(\d{6})\s*-\s*(\d{4})(?![\w-])"
)
_PHONE = re.compile(r"(?<![\w+])(?:\+\s*84|84|0)[\s.-]?[35789](?:[\s.-]?\d){8}(?!\w)")
_BRANCH = re.compile(r"(?<!\w)chi nhanh(?: so)?\s*(\d{1,2})(?!\w)")
_NAME_CUE = re.compile(
    r"(?<!\w)(?:ten (?:toi|em|minh|chau|con|tui|anh|chi)(?: la)?|(?:toi|em|minh|tui) ten(?: la)?"
    r"|ho (?:va )?ten(?: la)?\s*:?)\s+"
)
_WARD_WORDS = re.compile(
    r"(?<!\w)(?:(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân|Uy ban nhan dan)\s+)?"
    r"([Pp]hường|[Pp]huong|[Xx]ã|[Xx]a)((?:\s+[^\W\d_]+){1,4})"
)
_NAME_STOP = {"va", "so", "sdt", "ma", "o", "can", "muon", "nha", "a", "nhe", "dien", "thoai"}


def find_entities(text: str, now: datetime.datetime | None = None) -> list[Entity]:
    """All rule-based entities in `text`, in order of position."""
    folded, offsets = fold_aligned(text)

    def span(start: int, end: int) -> tuple[int, int]:
        return offsets[start], offsets[end - 1] + 1

    found = [
        *_dossier_codes(folded, span),
        *_phones(text, folded, span),
        *_service_points(folded, span),
        *_names(text, folded, span),
    ]
    found += _former_wards(text, found)
    taken = [(e.start, e.end) for e in found]
    for mention in find_times(text, now):
        if not any(s < mention.end and mention.start < e for s, e in taken):
            found.append(Entity("time", mention.start, mention.end, mention.value))
    aspect = find_aspect(text)
    if aspect:
        found.append(Entity("aspect", aspect.start, aspect.end, aspect.value))
    return sorted(found, key=lambda e: e.start)


def _dossier_codes(folded: str, span: Span) -> list[Entity]:
    entities = []
    for m in _DOSSIER.finditer(folded):
        agency, a, b, province, date, serial = m.groups()
        tail = f"H{province}-{date}-{serial}"
        value = f"{agency}.{a}.{b}.{tail}" if agency else tail
        entities.append(Entity("dossier_code", *span(m.start(), m.end()), value))
    return entities


def _phones(text: str, folded: str, span: Span) -> list[Entity]:
    entities = []
    for m in _PHONE.finditer(folded):
        start, end = span(m.start(), m.end())
        try:
            entities.append(Entity("phone", start, end, to_e164(text[start:end])))
        except InvalidPhone:
            continue
    return entities


def _service_points(folded: str, span: Span) -> list[Entity]:
    entities = []
    for m in _BRANCH.finditer(folded):
        number = int(m.group(1))
        if 1 <= number <= BRANCHES:
            value = f"Chi nhánh số {number}"
            entities.append(Entity("service_point", *span(m.start(), m.end()), value))
    for m in _ward_pattern().finditer(folded):
        entities.append(Entity("service_point", *span(m.start(), m.end()), _wards()[m.group(1)]))
    return entities


def _former_wards(text: str, taken: list[Entity]) -> list[Entity]:
    """"phường Khương Trung": a ward or commune not in today's list (a former one, typically),
    recognised by its capitalised name and kept as written."""
    entities = []
    for m in _WARD_WORDS.finditer(text):
        if any(e.start <= m.start(1) < e.end for e in taken):
            continue
        name = list(itertools.takewhile(lambda w: w[:1].isupper(), m.group(2).split()))
        if name:
            end = m.start(2) + m.group(2).index(name[-1]) + len(name[-1])
            value = f"{m.group(1).capitalize()} {' '.join(name)}"
            entities.append(Entity("service_point", m.start(), end, value))
    return entities


def _names(text: str, folded: str, span: Span) -> list[Entity]:
    entities = []
    for cue in _NAME_CUE.finditer(folded):
        words = list(re.finditer(r"[^\W\d_]+", folded[cue.end() :]))[:5]
        kept: list[re.Match[str]] = []
        for word in words:
            if word.group(0) in _NAME_STOP or (kept and word.start() - kept[-1].end() > 1):
                break
            kept.append(word)
        if kept:
            start, end = span(cue.end() + kept[0].start(), cue.end() + kept[-1].end())
            entities.append(Entity("person_name", start, end, text[start:end].title()))
    return entities


@functools.cache
def _wards() -> dict[str, str]:
    """Folded "phuong ba dinh" / "xa ..." -> official name "Phường Ba Đình"."""
    with WARDS_CSV.open(encoding="utf-8") as f:
        return {fold(row["name"]): row["name"] for row in csv.DictReader(f)}


@functools.cache
def _ward_pattern() -> re.Pattern[str]:
    names = sorted(_wards(), key=len, reverse=True)
    office = r"(?:(?:ubnd|uy ban nhan dan|diem phuc vu(?: hanh chinh cong)?)\s+)?"
    return re.compile(
        r"(?<!\w)" + office + "(" + "|".join(map(re.escape, names)) + r")(?!\w)"
    )
