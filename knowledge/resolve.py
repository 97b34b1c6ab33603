"""Which procedure a message is about, as one decision: answer, clarify or abstain.

Search alone always returns something: the record that shares most words with the message, even
when the message is about a procedure the knowledge base does not have ("xin visa đi Hàn") or
names none at all ("cần giấy tờ gì?"). The resolver weighs all the evidence a turn has:

- a button's procedure code (the resident chose it: answer it);
- a pending "which one?" (its candidates are tried first; a miss asks again, never guesses);
- the message's own words: the search's best records, how much of the best record's name the
  message says (coverage), and how much of what the message says the record explains;
- the procedure under discussion: kept when the message names no procedure, or fits it at least
  as well as the best record; replaced only when another one is named in full or surely.

Whether the best record is the one meant is a probability: a logistic model over a few signals
of the match (`Features`), fitted on the tuning sets with `python -m bench.knowledge.tune_decision`
(never on the evaluation sets) and stored in `data/decision_model.json`. Below its threshold the
resolver abstains; above it, it asks "which one?" when the best two are close, else answers.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from knowledge.search import Hit, ProcedureSearch, confidence
from nlu.aspects import aspect_patterns
from nlu.lexicon import expand_words
from nlu.normalise import words

FUNCTION_WORDS_FILE = Path(__file__).parent / "data" / "function_words.txt"
DECISION_MODEL_FILE = Path(__file__).parent / "data" / "decision_model.json"
# Candidates within this share of the best score are offered when it asks which one.
OFFER_WITHIN = 0.25
# A message is still about the procedure under discussion when this share of its content words
# is in that record (and it names no other).
FOLLOWS_ON = 0.5
FULLY_EXPLAINED = 0.999
# "số 2", "cái thứ hai", "2": which of the offered candidates a resident picks.
_ORDINALS = {"1": 0, "nhat": 0, "dau": 0, "2": 1, "hai": 1, "3": 2, "ba": 2}
_PICK = re.compile(r"^(?:(?:so|cai|thu|muc|lua chon|chon)\s+)*(1|2|3|nhat|dau|hai|ba)(?:\s+tien)?$")


class Decision(str, Enum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    ABSTAIN = "abstain"


@dataclass(frozen=True)
class Features:
    """Signals of how well the best record fits a message, each in [0, 1] but `content_words`."""

    explained: float  # share of the message's content that the record's names contain
    explained_anywhere: float  # the same, by everything the record says (documents, questions)
    coverage: float  # share of the record's best name that the message says
    unknown: float  # share of the message's content that no record says at all
    named: float  # 1 when the message says one of the record's names in full
    margin: float  # how clearly it beats the runner-up (search.confidence)
    content_words: float  # log(1 + number of content words)
    score: float  # its mixed search score

    def vector(self) -> list[float]:
        return [getattr(self, f.name) for f in dataclasses.fields(self)]


@dataclass(frozen=True)
class DecisionModel:
    """P(the best record is the one meant) = sigmoid(weights · features + bias)."""

    weights: tuple[float, ...]
    bias: float
    threshold: float  # below it, abstain

    @classmethod
    def load(cls, path: Path = DECISION_MODEL_FILE) -> DecisionModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        names = [f.name for f in dataclasses.fields(Features)]
        if data["features"] != names:
            raise ValueError(f"{path} was fitted on other features: refit it (tune_decision)")
        return cls(tuple(data["weights"]), float(data["bias"]), float(data["threshold"]))

    def probability(self, features: Features) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features.vector(), strict=True))
        return 1 / (1 + math.exp(-z))


@dataclass(frozen=True)
class Evidence:
    """What one turn knows about the procedure it is about."""

    text: str
    chosen: str | None = None  # a button's procedure code
    current: str | None = None  # the procedure under discussion
    choices: tuple[str, ...] = ()  # the candidates of a pending "which one?"


@dataclass(frozen=True)
class Resolution:
    decision: Decision
    code: str | None = None
    candidates: tuple[Hit, ...] = ()
    # The message named no procedure: the one under discussion was used, or none was settled.
    follow_up: bool = False
    probability: float = field(default=1.0, compare=False)


@functools.cache
def function_words() -> frozenset[str]:
    """Folded words that never name a procedure: question words, fillers, people, places."""
    lines = FUNCTION_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in words(line))


class ProcedureResolver:
    def __init__(self, search: ProcedureSearch, model: DecisionModel | None = None) -> None:
        self.search = search
        self.model = model or DecisionModel.load()
        self._vocabulary = {code: _name_words(search, code) for code in search.codes()}
        self._wording = {code: _record_words(search, code) for code in search.codes()}
        self._said_anywhere = frozenset().union(*self._wording.values())
        counts = Counter(w for vocabulary in self._vocabulary.values() for w in vocabulary)
        n = len(self._vocabulary)
        self._rarity = {w: math.log1p(n / c) for w, c in counts.items()}
        self._unknown_rarity = math.log1p(n)

    def content_words(self, text: str) -> list[str]:
        """The message's words that could name a procedure: what is left once the phrases that
        ask for an aspect ("mất bao lâu", "hồ sơ gồm") and the function words are taken out."""
        expanded = " ".join(_folded(text))
        for _, pattern in aspect_patterns():
            expanded = pattern.sub(" ", expanded)
        stop = function_words()
        # Numbers, dates and codes ("9h", "200m2", "h26") say nothing of the procedure, unless a
        # record says them too ("bằng B2").
        return [
            w for w in expanded.split()
            if w not in stop and (w.isalpha() or w in self._said_anywhere)
        ]

    def explained(self, content: Sequence[str], code: str) -> float:
        """The rarity-weighted share of `content` that the record's names contain."""
        return self._share(content, self._vocabulary[code])

    def features(self, content: Sequence[str], hits: Sequence[Hit]) -> Features:
        top = hits[0]
        return Features(
            explained=self.explained(content, top.code),
            explained_anywhere=self._share(content, self._wording[top.code]),
            coverage=top.coverage,
            unknown=1 - self._share(content, self._said_anywhere),
            named=float(top.named),
            margin=confidence(hits),
            content_words=math.log1p(len(content)),
            score=top.score,
        )

    def _share(self, content: Sequence[str], vocabulary: frozenset[str]) -> float:
        if not content:
            return 0.0
        weights = [self._rarity.get(w, self._unknown_rarity) for w in content]
        said = sum(weight for w, weight in zip(content, weights, strict=True) if w in vocabulary)
        return round(said / sum(weights), 4)

    def resolve(self, evidence: Evidence) -> Resolution:
        if evidence.chosen and self.search.get(evidence.chosen):
            return Resolution(Decision.ANSWER, evidence.chosen, probability=1.0)
        if evidence.choices:
            return self._answer_pending(evidence)
        return self._resolve_message(evidence)

    def _answer_pending(self, evidence: Evidence) -> Resolution:
        """A pending "which one?": a pick among its candidates, a clearly named other procedure,
        or the same question again."""
        choices = [c for c in evidence.choices if self.search.get(c)]
        picked = _ordinal(evidence.text, len(choices))
        if picked is not None:
            return Resolution(Decision.ANSWER, choices[picked], probability=1.0)
        # A candidate picked by saying more of its name than of the others' ("cho trẻ em"); a
        # follow-up such as "cần giấy tờ gì" says no name and picks nothing.
        among = self.search.search(evidence.text, k=len(choices), among=choices)
        if among and among[0].coverage > max((h.coverage for h in among[1:]), default=0.0):
            return Resolution(Decision.ANSWER, among[0].code, tuple(among), probability=1.0)
        fresh = self._resolve_message(Evidence(evidence.text))
        if fresh.decision == Decision.ANSWER:
            return fresh
        offered = tuple(Hit(c, self.search.name(c), 0.0) for c in choices)
        return Resolution(Decision.CLARIFY, None, offered)

    def _resolve_message(self, evidence: Evidence) -> Resolution:
        content = self.content_words(evidence.text)
        if not content:
            if evidence.current and self.search.get(evidence.current):
                return Resolution(Decision.ANSWER, evidence.current, follow_up=True)
            return Resolution(Decision.CLARIFY, follow_up=True)
        hits = self.search.search(evidence.text, k=5)
        if not hits:
            return Resolution(Decision.ABSTAIN)
        top = hits[0]
        probability = round(self.model.probability(self.features(content, hits)), 4)
        if evidence.current and self._continues(content, evidence.current, top, probability):
            return Resolution(Decision.ANSWER, evidence.current, follow_up=True)
        if probability < self.model.threshold:
            # "hỏi về hộ chiếu": every word names several records, none of them more than the
            # others; ask which one rather than decline.
            family = [h for h in hits if self.explained(content, h.code) >= FULLY_EXPLAINED]
            if len(family) >= 2:
                return Resolution(
                    Decision.CLARIFY, None, tuple(family[:3]), probability=probability
                )
            return Resolution(Decision.ABSTAIN, None, tuple(hits), probability=probability)
        if self.search.is_ambiguous(hits):
            close = [h for h in hits if h.score >= top.score * (1 - OFFER_WITHIN)]
            return Resolution(Decision.CLARIFY, None, tuple(close[:3]), probability=probability)
        return Resolution(Decision.ANSWER, top.code, tuple(hits), probability=probability)


    def _continues(
        self, content: Sequence[str], current: str, top: Hit, probability: float
    ) -> bool:
        """Whether a message with content words is still about the procedure under discussion:
        it fits that record's names at least as well as the best record's ("bao lâu thì có hộ
        chiếu" while discussing the passport for a child), or what it says is in that record
        ("tiền sử dụng đất tính thế nào" while discussing the change of land use) and it does
        not clearly name another one instead."""
        if top.code == current:
            return True
        if not self.search.get(current):
            return False
        on_current, on_top = self.explained(content, current), self.explained(content, top.code)
        if on_current > 0 and on_current >= on_top:
            return True
        names_other = top.named or (probability >= self.model.threshold and on_top > on_current)
        return not names_other and self._share(content, self._wording[current]) >= FOLLOWS_ON


def _name_words(search: ProcedureSearch, code: str) -> frozenset[str]:
    # Names and aliases: what residents call the procedure.
    procedure = search.get(code)
    assert procedure is not None
    return frozenset(w for text in (procedure.name, *procedure.aliases) for w in _folded(text))


def _record_words(search: ProcedureSearch, code: str) -> frozenset[str]:
    # Everything the record says that a question could echo.
    p = search.get(code)
    assert p is not None
    texts = [p.name, *p.aliases, p.field, *(i.q for i in p.faq), *(d.name for d in p.documents)]
    return frozenset(w for text in texts for w in _folded(text))


def _folded(text: str) -> list[str]:
    return expand_words(words(text))


def _ordinal(text: str, count: int) -> int | None:
    """The index of the candidate a resident picked by its position ("2", "cái thứ hai")."""
    match = _PICK.match(" ".join(words(text)))
    if match is None:
        return None
    index = _ORDINALS[match.group(1)]
    return index if index < count else None
