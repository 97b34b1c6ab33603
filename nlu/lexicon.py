"""Expansion of abbreviations and teencode, from `data/abbreviations.yaml`.

Pure Python (no Rasa), so the knowledge search can expand queries the same way as the NLU.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.normalise import fold

ABBREVIATIONS = Path(__file__).parent / "data" / "abbreviations.yaml"


@dataclass(frozen=True)
class Expansion:
    words: tuple[str, ...]  # folded words of the expansion
    near: frozenset[str]  # empty: applies anywhere


class Lexicon:
    def __init__(self, entries: dict[str, list[Expansion]]) -> None:
        self._entries = entries

    @classmethod
    def load(cls, path: Path = ABBREVIATIONS) -> Lexicon:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries: dict[str, list[Expansion]] = {}
        for key, value in raw.items():
            options = value if isinstance(value, list) else [{"expansion": value}]
            entries[fold(str(key))] = [
                Expansion(tuple(fold(o["expansion"]).split()), frozenset(o.get("near", ())))
                for o in options
            ]
        return cls(entries)

    def expand(self, words: Sequence[str], index: int) -> tuple[str, ...] | None:
        """The folded expansion of `words[index]` (itself folded) in its context, or None."""
        options = self._entries.get(words[index])
        if not options:
            return None
        neighbours = set(words[max(index - 1, 0) : index]) | set(words[index + 1 : index + 2])
        for option in options:
            if not option.near or option.near & neighbours:
                return option.words
        return None


@functools.cache
def default_lexicon() -> Lexicon:
    return Lexicon.load()


def expand_words(words: Sequence[str]) -> list[str]:
    """Folded words with every abbreviation replaced by its expansion."""
    lexicon = default_lexicon()
    out: list[str] = []
    for index, word in enumerate(words):
        out.extend(lexicon.expand(words, index) or (word,))
    return out
