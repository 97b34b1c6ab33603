"""GSM 03.38 (GSM-7) text: what an SMS Brandname may contain and how many segments it costs.

Carriers deliver any character outside GSM-7 as UCS-2, which cuts a segment from 160 characters
to 70; Brandname texts are therefore unaccented, and a text that is not GSM-7 is refused rather
than silently sent at twice the price.
"""

from __future__ import annotations

from nlu.normalise import nfc, strip_diacritics

# The basic set: one septet each.
BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: two septets each (an escape, then the character).
EXTENSION = set("^{}\\[~]|€")
SINGLE_SEGMENT = 160
SEGMENT_IN_SERIES = 153  # a long text's parts lose 7 septets to the concatenation header

# Typographic characters common in Vietnamese text, and their plain GSM-7 stand-ins.
_PLAIN = str.maketrans({
    "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "•": "-", "…": "...",
    "\u00a0": " ", "≤": "<=", "≥": ">=", "×": "x",
})


class NotGsm7(ValueError):
    pass


def septets(text: str) -> int:
    """The length of `text` in GSM-7 septets; NotGsm7 if a character has no GSM-7 form."""
    count = 0
    for char in text:
        if char in BASIC:
            count += 1
        elif char in EXTENSION:
            count += 2
        else:
            raise NotGsm7(f"{char!r} is not a GSM-7 character")
    return count


def segments(text: str) -> int:
    """Number of SMS segments: 160 septets in one, 153 in each part of a longer one."""
    length = septets(text)
    return 1 if length <= SINGLE_SEGMENT else -(-length // SEGMENT_IN_SERIES)


class _Gsm7Forms(dict[int, str]):
    """A `str.translate` table from a character to its GSM-7 form: marks stripped, typography
    made plain, "" when nothing is left. Each form is worked out the first time the character is
    seen; translating is then one pass in C instead of three in Python for every message."""

    MAX_ENTRIES = 20_000  # any text may arrive: the table must not grow without end

    def __missing__(self, code: int) -> str:
        plain = strip_diacritics(chr(code)).translate(_PLAIN)
        form = "".join(char for char in plain if char in BASIC or char in EXTENSION)
        if len(self) < self.MAX_ENTRIES:
            self[code] = form
        return form


_GSM7_FORMS = _Gsm7Forms()


def to_gsm7(text: str) -> str:
    """Vietnamese text made sendable as GSM-7: marks stripped, typography made plain, and any
    character still outside GSM-7 dropped."""
    return nfc(text).translate(_GSM7_FORMS)


def fit(text: str, max_segments: int, reserve: int = 0) -> str:
    """`text` cut at a word boundary, with "...", so that it and `reserve` more septets (a
    footer appended by the caller) fit in `max_segments` segments."""
    room = SINGLE_SEGMENT if max_segments == 1 else SEGMENT_IN_SERIES * max_segments
    if septets(text) + reserve <= room:
        return text
    room -= reserve
    cut = text[:room]  # every character costs at least one septet
    while cut and septets(cut + "...") > room:
        cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[:-1]
    return cut.rstrip(" ,;:.-") + "..."
