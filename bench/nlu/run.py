"""NLU benchmark: accuracy on the held-out split, `/model/parse` latency and the server's memory.

    make bench-nlu        (or: python -m bench.nlu.run --rasa-bin ... --model ...)

Starts the real Rasa server with the trained model, sends every example of
bench/nlu/test_nlu.yml (never used in training; `--data` names another set, e.g. the blind
bench/nlu/blind_dev.yml) as written and with diacritics stripped, and prints intent accuracy and
macro-F1, `aspect` accuracy on ask_procedure, entity F1 per type, and how many out-of-scope
messages were taken as a procedure question with confidence ≥ 0.7; then `/model/parse` latency
percentiles over sequential requests and the server's resident memory.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from nlu.normalise import strip_diacritics

ROOT = Path(__file__).parents[2]
TEST_DATA = Path(__file__).parent / "test_nlu.yml"
CONFIDENT = 0.7
_ANNOTATION = re.compile(r"\[(?P<span>[^\]]+)\](?:\((?P<entity>[^)]+)\)|(?P<json>\{[^}]+\}))")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[tuple[str, int, int, str], ...]  # (entity, start, end, value)


def parse_line(line: str, intent: str) -> Example:
    """One Rasa training example with `[span](entity)` or `[span]{"entity": ..}` annotations."""
    text, entities, position = "", [], 0
    for m in _ANNOTATION.finditer(line):
        text += line[position : m.start()]
        span = m.group("span")
        if m.group("json"):
            meta = json.loads(m.group("json"))
            name, value = meta["entity"], meta.get("value", span)
        else:
            name, value = m.group("entity"), span
        entities.append((name, len(text), len(text) + len(span), value))
        text += span
        position = m.end()
    text += line[position:]
    return Example(text, intent, tuple(entities))


def load_examples(path: Path) -> list[Example]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        parse_line(line.strip()[2:], block["intent"])
        for block in data["nlu"]
        if "intent" in block
        for line in block["examples"].splitlines()
        if line.strip().startswith("- ")
    ]


def unaccented(example: Example) -> Example:
    """The same example without diacritics; spans stay valid (folding keeps lengths in NFC)."""
    return Example(
        strip_diacritics(example.text),
        example.intent,
        tuple((e, s, t, v) for e, s, t, v in example.entities),
    )


@dataclass
class Scores:
    gold: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    aspect_hits: int = 0
    aspect_total: int = 0
    entity_tp: Counter[str] = field(default_factory=Counter)
    entity_fp: Counter[str] = field(default_factory=Counter)
    entity_fn: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    out_of_scope: int = 0
    out_of_scope_as_procedure: int = 0  # with confidence >= CONFIDENT

    def add(self, example: Example, parsed: dict[str, Any]) -> None:
        self.gold.append(example.intent)
        intent = parsed.get("intent") or {}
        self.predicted.append(intent.get("name") or "none")
        if example.intent == "out_of_scope":
            self.out_of_scope += 1
            self.out_of_scope_as_procedure += (
                intent.get("name") == "ask_procedure" and intent.get("confidence", 0) >= CONFIDENT
            )
        if self.predicted[-1] != example.intent:
            self.errors.append(f"intent {example.intent} -> {self.predicted[-1]}: {example.text}")
        found = {(e["entity"], e["start"], e["end"]) for e in parsed.get("entities", [])}
        expected = {(e, s, t) for e, s, t, _ in example.entities}
        for name, *_ in found & expected:
            self.entity_tp[name] += 1
        for name, *_ in found - expected:
            self.entity_fp[name] += 1
        for name, *_ in expected - found:
            self.entity_fn[name] += 1
        gold_aspects = [v for e, _, _, v in example.entities if e == "aspect"]
        if example.intent == "ask_procedure" and gold_aspects:
            self.aspect_total += 1
            predicted = [e["value"] for e in parsed.get("entities", []) if e["entity"] == "aspect"]
            self.aspect_hits += predicted[:1] == gold_aspects[:1]
            if predicted[:1] != gold_aspects[:1]:
                self.errors.append(f"aspect {gold_aspects[:1]} -> {predicted}: {example.text}")
        for name, start, end in expected - found:
            self.errors.append(f"missed {name} '{example.text[start:end]}': {example.text}")

    def intent_accuracy(self) -> float:
        return sum(g == p for g, p in zip(self.gold, self.predicted, strict=True)) / len(self.gold)

    def macro_f1(self) -> float:
        f1s = []
        for label in sorted(set(self.gold)):
            tp = sum(g == p == label for g, p in zip(self.gold, self.predicted, strict=True))
            fp = sum(p == label != g for g, p in zip(self.gold, self.predicted, strict=True))
            fn = sum(g == label != p for g, p in zip(self.gold, self.predicted, strict=True))
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        return statistics.fmean(f1s)

    def entity_f1(self, name: str) -> tuple[float, int]:
        tp, fp, fn = self.entity_tp[name], self.entity_fp[name], self.entity_fn[name]
        return (2 * tp / (2 * tp + fp + fn) if tp else 0.0), tp + fn

    def confusions(self) -> list[tuple[str, str, int]]:
        pairs = Counter((g, p) for g, p in zip(self.gold, self.predicted, strict=True) if g != p)
        return [(g, p, n) for (g, p), n in pairs.most_common(8)]


def start_rasa(rasa_bin: str, model: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [rasa_bin, "run", "--model", model, "--port", str(port), "--interface", "127.0.0.1",
             "--enable-api", "--credentials", "bot/credentials.yml"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"rasa exited: see {log}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/status", timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.5)
    sys.exit(f"rasa did not start in 300 s: see {log}")


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def report(title: str, scores: Scores, verbose: bool) -> None:
    print(f"\n## {title} ({len(scores.gold)} examples)")
    print(f"intent accuracy   {scores.intent_accuracy():.3f}")
    print(f"intent macro-F1   {scores.macro_f1():.3f}")
    print(f"aspect accuracy   {scores.aspect_hits / max(scores.aspect_total, 1):.3f}"
          f"  ({scores.aspect_total} ask_procedure examples with an aspect)")
    if scores.out_of_scope:
        print(f"out of scope taken as a confident procedure question "
              f"{scores.out_of_scope_as_procedure / scores.out_of_scope:.3f} "
              f"({scores.out_of_scope_as_procedure}/{scores.out_of_scope})")
    names = sorted(set(scores.entity_tp) | set(scores.entity_fn) | set(scores.entity_fp))
    for name in names:
        f1, support = scores.entity_f1(name)
        print(f"entity F1 {name:<14} {f1:.3f}  (support {support})")
    for gold, predicted, n in scores.confusions():
        print(f"  confused {gold} -> {predicted}: {n}")
    if verbose:
        print("\n".join(f"  {line}" for line in scores.errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-bin", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, default=5095)
    parser.add_argument("--latency-requests", type=int, default=1000)
    parser.add_argument("--errors", action="store_true", help="list every miss")
    parser.add_argument("--data", type=Path, default=TEST_DATA, help="Rasa NLU file to test on")
    args = parser.parse_args()

    examples = load_examples(args.data)
    log = Path(tempfile.mkdtemp()) / "rasa.log"
    process = start_rasa(args.rasa_bin, args.model, args.port, log)
    url = f"http://127.0.0.1:{args.port}/model/parse"
    session = requests.Session()
    try:
        for title, variant in (("as written", examples),
                               ("diacritics stripped", [unaccented(e) for e in examples])):
            scores = Scores()
            for example in variant:
                scores.add(example, session.post(url, json={"text": example.text}).json())
            report(title, scores, args.errors)

        texts = [e.text for e in examples]
        for text in texts[:20]:  # warm-up
            session.post(url, json={"text": text})
        latencies = []
        for i in range(args.latency_requests):
            started = time.perf_counter()
            session.post(url, json={"text": texts[i % len(texts)]}).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
        print(f"\n## /model/parse latency ({args.latency_requests} sequential requests)")
        for q in (0.5, 0.95, 0.99):
            print(f"p{int(q * 100):<3} {percentile(latencies, q):.1f} ms")
        print(f"Rasa server RSS {rss_mib(process.pid):.0f} MiB")
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
