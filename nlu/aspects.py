"""Which part of a procedure a question asks about: documents, fee, duration, place, online,
result or general, from the phrases listed in `data/aspects.yaml`.

Pure Python. The message is folded and its abbreviations expanded ("onl dc ko" is matched as
"truc tuyen duoc khong"), and the span of the match is mapped back to what was written.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.lexicon import default_lexicon
from nlu.normalise import fold_aligned

ASPECTS_FILE = Path(__file__).parent / "data" / "aspects.yaml"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class AspectMention:
    start: int
    end: int
    value: str


@functools.cache
def aspect_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """(aspect, pattern) in priority order, each pattern a whole-word alternation."""
    data = yaml.safe_load(ASPECTS_FILE.read_text(encoding="utf-8"))
    return [
        (aspect, re.compile(r"(?<!\w)(?:" + "|".join(phrases) + r")(?!\w)"))
        for aspect, phrases in data.items()
    ]


def _expanded(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The folded, expanded words joined by spaces, and for each character of that string the
    span of the original word it came from."""
    folded, offsets = fold_aligned(text)
    matches = list(_WORD.finditer(folded))
    words = [m.group(0) for m in matches]
    lexicon = default_lexicon()
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    for index, m in enumerate(matches):
        original = (offsets[m.start()], offsets[m.end() - 1] + 1)
        for word in lexicon.expand(words, index) or (words[index],):
            if parts:
                parts.append(" ")
                spans.append(original)
            parts.append(word)
            spans.extend([original] * len(word))
    return "".join(parts), spans


def find_aspect(text: str) -> AspectMention | None:
    """The aspect named first ("general" only when no other is named), or None."""
    expanded, spans = _expanded(text)
    found = [
        (aspect, m) for aspect, pattern in aspect_patterns() if (m := pattern.search(expanded))
    ]
    specific = [(m.start(), aspect, m) for aspect, m in found if aspect != "general"]
    if specific:
        _, aspect, match = min(specific, key=lambda item: item[0])
    elif found:
        aspect, match = found[0]
    else:
        return None
    return AspectMention(spans[match.start()][0], spans[match.end() - 1][1], aspect)
