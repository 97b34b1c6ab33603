"""Finding the procedure a resident is asking about.

Lexical retrieval: BM25 (the `bm25s` library) over the folded, diacritic-free words and word pairs
of each record's name, aliases, field and frequent questions, so that "lam ly lich tu phap" and
"làm lý lịch tư pháp" score the same.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from knowledge.schema import Procedure
from nlu.normalise import words

# A query longer than this is cut: the words that name a procedure come early, and the cut keeps
# one pasted wall of text from costing every other resident their latency.
MAX_QUERY_WORDS = 64


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    score: float


def terms(text: str) -> list[str]:
    """Folded words and adjacent word pairs ("khai_sinh"), the unit that BM25 counts."""
    tokens = words(text)[:MAX_QUERY_WORDS]
    return tokens + [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


def _document_text(procedure: Procedure) -> Iterable[str]:
    # Names and aliases twice: they are what residents say; questions add colloquial wording.
    for _ in range(2):
        yield procedure.name
        yield from procedure.aliases
    yield procedure.field
    yield from (item.q for item in procedure.faq)


class ProcedureSearch:
    """An in-memory index of procedure records, built once and searched many times."""

    def __init__(self, procedures: Sequence[Procedure]) -> None:
        if not procedures:
            raise ValueError("cannot index an empty set of procedures")
        self._procedures = list(procedures)
        self._by_code = {p.code: p for p in self._procedures}
        self._bm25 = bm25s.BM25()
        corpus = [terms(" . ".join(_document_text(p))) for p in self._procedures]
        self._bm25.index(corpus, show_progress=False)

    def __len__(self) -> int:
        return len(self._procedures)

    def get(self, code: str) -> Procedure | None:
        return self._by_code.get(code)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """Up to `k` procedures, best first; none when no word of the query is known."""
        query_terms = terms(query)
        if not query_terms:
            return []
        scores = self._bm25.get_scores(query_terms)
        best = np.argsort(-scores, kind="stable")[:k]
        return [
            Hit(self._procedures[i].code, self._procedures[i].name, round(float(scores[i]), 4))
            for i in best
            if scores[i] > 0
        ]
