"""Fit the resolver's decision model on the tuning sets, print the trade-off, write the model.

    python -m bench.knowledge.tune_decision            fit on the tuning sets, write
                                                       knowledge/data/decision_model.json
    python -m bench.knowledge.tune_decision --final    the final batch, with the model as it is
                                                       (run once)

Tuning questions: bench/knowledge/dev.yaml (all covered) and bench/knowledge/coverage_dev.yaml
(half covered, half about procedures the knowledge base lacks, written blind). A question is a
positive when search's best record is the right one. A logistic regression over
`knowledge.resolve.Features` gives P(best record is right); the curve below is from 5-fold
cross-validated probabilities, so it estimates unseen questions. The threshold chosen holds back
the most uncovered questions while answering ≥ 0.90 of covered ones right.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from knowledge.records import load_procedures
from knowledge.resolve import (
    DECISION_MODEL_FILE,
    Decision,
    DecisionModel,
    Evidence,
    Features,
    ProcedureResolver,
)
from knowledge.search import ProcedureSearch

HERE = Path(__file__).parent
TARGET_COVERED = 0.90
THRESHOLDS = np.round(np.arange(0.30, 0.81, 0.05), 2)


def load(path: Path) -> list[dict[str, str | None]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["questions"])


def shares(answered: np.ndarray, right: np.ndarray, covered: np.ndarray) -> tuple[float, float]:
    """(covered questions answered with the right record, uncovered questions held back)."""
    return (
        float((answered & right & covered).sum() / covered.sum()),
        float((~answered & ~covered).sum() / (~covered).sum()),
    )


def fit(resolver: ProcedureResolver, questions: list[dict[str, str | None]]) -> None:
    rows, right, covered = [], [], []
    for question in questions:
        text = str(question["q"])
        content = resolver.content_words(text)
        hits = resolver.search.search(text, k=5)
        if not content or not hits:
            continue  # the resolver never asks the model about these
        rows.append(resolver.features(content, hits).vector())
        right.append(hits[0].code == question.get("code"))
        covered.append(question.get("code") is not None)
    x, y, c = np.array(rows), np.array(right), np.array(covered)
    model = LogisticRegression(C=1.0, max_iter=1000)
    probability = cross_val_predict(model, x, y, cv=5, method="predict_proba")[:, 1]
    print(f"{len(y)} questions ({c.sum()} covered); cross-validated trade-off:")
    print("threshold  covered_right  uncovered_held")
    chosen = None
    for threshold in THRESHOLDS:
        covered_right, held = shares(probability >= threshold, y, c)
        print(f"{threshold:9.2f}  {covered_right:13.3f}  {held:14.3f}")
        if covered_right >= TARGET_COVERED:
            chosen = float(threshold)
    assert chosen is not None, "no threshold answers 0.90 of covered questions right"
    model.fit(x, y)
    names = [f.name for f in dataclasses.fields(Features)]
    DECISION_MODEL_FILE.write_text(json.dumps({
        "fitted_on": ["bench/knowledge/dev.yaml", "bench/knowledge/coverage_dev.yaml"],
        "features": names,
        "weights": [round(float(w), 6) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6),
        "threshold": chosen,
    }, indent=2) + "\n", encoding="utf-8")
    print(f"threshold {chosen}; written to {DECISION_MODEL_FILE}")


def final(resolver: ProcedureResolver) -> None:
    questions = load(HERE / "coverage_final.yaml")
    decisions = [resolver.resolve(Evidence(str(q["q"]))) for q in questions]
    answered = np.array([d.decision == Decision.ANSWER for d in decisions])
    right = np.array([d.code == q.get("code") for d, q in zip(decisions, questions, strict=True)])
    covered = np.array([q.get("code") is not None for q in questions])
    covered_right, held = shares(answered, right, covered)
    print(f"final batch: {len(questions)} questions ({covered.sum()} covered)")
    print(f"covered answered right {covered_right:.3f}, uncovered held back {held:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--final", action="store_true", help="the final batch, run once")
    args = parser.parse_args()
    search = ProcedureSearch(load_procedures())
    if args.final:
        final(ProcedureResolver(search))
        return
    untrained = DecisionModel(weights=(0.0,) * len(dataclasses.fields(Features)), bias=0.0,
                              threshold=0.5)
    fit(ProcedureResolver(search, untrained),
        load(HERE / "dev.yaml") + load(HERE / "coverage_dev.yaml"))


if __name__ == "__main__":
    main()
