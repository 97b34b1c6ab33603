"""Vietnamese text normalisation shared by the Rasa pipeline and the knowledge search.

Pure Python with no Rasa import, so that both runtimes (Rasa on 3.10, the action server on 3.11)
produce the same keys for the same words: "Lý lịch tư pháp", "ly lich tu phap" and "lý lịch tư
pháp" all fold to "ly lich tu phap".
"""

from __future__ import annotations

import re
import unicodedata

# Old-style ("hoà", "thuỷ") to new-style ("hòa", "thủy") tone placement, for the rhymes where the
# two styles differ. Applied to NFC text, lower case.
_TONE_PLACEMENT = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
# Only at the end of a syllable ("hoàng" is already right) and not after "q" ("quý" is one vowel).
_TONE_PATTERN = re.compile(
    r"(?<!q)(?:" + "|".join(map(re.escape, _TONE_PLACEMENT)) + r")(?![a-zà-ỹđ])"
)

_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def nfc(text: str) -> str:
    """Canonical composition, with control characters removed and runs of space collapsed."""
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()


def normalise(text: str) -> str:
    """Lower-cased NFC text with tone marks placed the new way ("hoà" -> "hòa")."""
    text = nfc(text).lower()
    return _TONE_PATTERN.sub(lambda m: _TONE_PLACEMENT[m.group(0)], text)


def strip_diacritics(text: str) -> str:
    """Vietnamese letters without tone or vowel marks; "đ" becomes "d"."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", bare).replace("đ", "d").replace("Đ", "D")


def fold(text: str) -> str:
    """The diacritic-free key used for matching: normalise, then strip marks."""
    return strip_diacritics(normalise(text))


_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """The folded word tokens of `text` (letters and digits; punctuation dropped)."""
    return _WORD.findall(fold(text))


def fold_aligned(text: str) -> tuple[str, list[int]]:
    """`text` folded character by character, with the index in `text` of each folded character.

    Unlike `fold`, spaces are kept as they are, so a pattern matched on the folded text maps back
    to an exact span of what the resident wrote: `text[offsets[start]:offsets[end - 1] + 1]`.
    """
    folded: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        for out in strip_diacritics(char).lower():
            folded.append(out)
            offsets.append(index)
    return "".join(folded), offsets
