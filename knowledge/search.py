"""Finding the procedure a resident is asking about.

Hybrid retrieval:
- lexical: BM25 (the `bm25s` library) over the folded, diacritic-free, abbreviation-expanded
  words and word pairs of each record's name, aliases, field and frequent questions, so that
  "lam ly lich tu phap", "lltp" and "làm lý lịch tư pháp" score the same;
- dense (optional): cosine similarity between the query and each record's name, aliases and
  questions, embedded by an `Encoder` (knowledge/encoders.py); a record scores its best match.
Each score is scaled to [0, 1] over the candidates and the two are averaged with `LEXICAL_WEIGHT`
(fixed, not tuned on the evaluation set). Without an encoder the search is lexical only.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from knowledge.encoders import Encoder
from knowledge.schema import Procedure
from nlu.lexicon import expand_words
from nlu.normalise import words

# A query longer than this is cut: the words that name a procedure come early, and the cut keeps
# one pasted wall of text from costing every other resident their latency.
MAX_QUERY_WORDS = 64
LEXICAL_WEIGHT = 0.5


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    score: float


def terms(text: str) -> list[str]:
    """Folded words and adjacent word pairs ("khai_sinh"), the unit that BM25 counts."""
    tokens = expand_words(words(text)[:MAX_QUERY_WORDS])
    return tokens + [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


def _phrases(procedure: Procedure) -> list[str]:
    """What a resident might say to name this procedure: each is embedded on its own."""
    return [procedure.name, *procedure.aliases, *(item.q for item in procedure.faq)]


def _scaled(scores: np.ndarray) -> np.ndarray:
    low, high = float(scores.min()), float(scores.max())
    return (scores - low) / (high - low) if high > low else np.zeros_like(scores)


def _document_text(procedure: Procedure) -> Iterable[str]:
    # Names and aliases twice: they are what residents say; questions add colloquial wording.
    for _ in range(2):
        yield procedure.name
        yield from procedure.aliases
    yield procedure.field
    yield from (item.q for item in procedure.faq)


class ProcedureSearch:
    """An in-memory index of procedure records, built once and searched many times."""

    def __init__(
        self,
        procedures: Sequence[Procedure],
        encoder: Encoder | None = None,
        lexical_weight: float = LEXICAL_WEIGHT,
    ) -> None:
        if not procedures:
            raise ValueError("cannot index an empty set of procedures")
        self._procedures = list(procedures)
        self._by_code = {p.code: p for p in self._procedures}
        self._bm25 = bm25s.BM25()
        corpus = [terms(" . ".join(_document_text(p))) for p in self._procedures]
        self._bm25.index(corpus, show_progress=False)
        self._encoder = encoder
        self._lexical_weight = lexical_weight
        if encoder is not None:
            phrases = [(i, text) for i, p in enumerate(self._procedures) for text in _phrases(p)]
            self._phrase_owner = np.array([i for i, _ in phrases])
            self._phrase_vectors = encoder.encode_passages([text for _, text in phrases])

    def __len__(self) -> int:
        return len(self._procedures)

    def get(self, code: str) -> Procedure | None:
        return self._by_code.get(code)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """Up to `k` procedures, best first; none when no word of the query is known."""
        query_terms = terms(query)
        if not query_terms:
            return []
        lexical = self._bm25.get_scores(query_terms)
        if not lexical.any():
            return []
        scores = self._fused(query, lexical) if self._encoder else lexical
        best = np.argsort(-scores, kind="stable")[:k]
        return [
            Hit(self._procedures[i].code, self._procedures[i].name, round(float(scores[i]), 4))
            for i in best
            if scores[i] > 0
        ]

    def _fused(self, query: str, lexical: np.ndarray) -> np.ndarray:
        assert self._encoder is not None
        query_vector = self._encoder.encode_queries([query[: MAX_QUERY_WORDS * 8]])[0]
        similarity = self._phrase_vectors @ query_vector
        dense = np.full(len(self._procedures), -1.0, dtype=np.float32)
        np.maximum.at(dense, self._phrase_owner, similarity)
        weight = self._lexical_weight
        return weight * _scaled(lexical) + (1 - weight) * _scaled(dense)
