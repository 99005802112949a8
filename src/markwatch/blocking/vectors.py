"""Vector index (向量索引, faiss) beside the key indexes.

Two kinds of vectors:

- hashing n-gram vectors (`hash_vectors`): characters and character bigrams of the core, pinyin
  syllables and syllable bigrams (fuzzy-pinyin folded), Latin trigrams, each hashed with a stable
  CRC into `dim` signed buckets and L2-normalised. Cheap, no model, the same on every machine.
  The register keeps one per stored mark; a clearance search adds the query's nearest neighbours
  to the key candidates (a safety net: the key families are exact for every evidence kind the
  matcher has today, the vectors also bring up marks that merely share most n-grams);
- sentence-embedding vectors (`EmbeddingCandidates`), only when a model is configured
  (settings.embedding_model_path): the meaning channel's embedding evidence needs a cosine above a
  floor, so a range search over the brands' embeddings is its necessary condition.

Indexes are faiss objects saved with `faiss.write_index` (no pickle). A flat inner-product index is
exact; beyond `IVF_FROM` vectors an IVF index with 8-bit scalar quantisation holds 1M marks in
~130 MB at dim 128 (see docs/SCALE.md for the 45M register: IVF-PQ and sharding).
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from markwatch.matching.comparisons.sound import fuzzy_syllable
from markwatch.text.normalise import NormalisedMark

DIM = 128
IVF_FROM = 200_000  # vectors; below this a flat index is exact and fast enough
NPROBE = 16


def _features(nm: NormalisedMark) -> list[str]:
    core = nm.core
    feats = [ch for ch in core]
    feats += [core[i:i + 2] for i in range(len(core) - 1)]
    syl = [fuzzy_syllable(s) for s in nm.pinyin]
    feats += ["~" + s for s in syl]
    feats += ["~" + syl[i] + "_" + syl[i + 1] for i in range(len(syl) - 1)]
    latin = nm.latin or nm.pinyin_text
    if latin:
        padded = f"^{latin}$"
        feats += ["#" + padded[i:i + 3] for i in range(len(padded) - 2)]
    return feats


def hash_vectors(forms_list: Sequence[Sequence[NormalisedMark]], dim: int = DIM) -> np.ndarray:
    """One L2-normalised float32 vector per item, from the n-grams of all its written forms."""
    out = np.zeros((len(forms_list), dim), dtype=np.float32)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    cache: dict[str, tuple[int, float]] = {}
    for r, forms in enumerate(forms_list):
        for nm in forms:
            for f in _features(nm):
                hv = cache.get(f)
                if hv is None:
                    h = zlib.crc32(f.encode("utf-8"))
                    hv = cache[f] = (h % dim, 1.0 if (h >> 16) & 1 else -1.0)
                rows.append(r)
                cols.append(hv[0])
                vals.append(hv[1])
    if rows:
        np.add.at(out, (np.asarray(rows), np.asarray(cols)), np.asarray(vals, dtype=np.float32))
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


class VectorIndex:
    """A faiss inner-product index over vectors keyed by int64 ids (gazette mark ids)."""

    def __init__(self, index, dim: int):
        self.index = index
        self.dim = dim

    @classmethod
    def create(cls, dim: int = DIM, *, expected: int = 0, training: np.ndarray | None = None) -> VectorIndex:
        import faiss

        if expected >= IVF_FROM and training is not None and len(training) >= 1000:
            nlist = int(min(4096, max(64, 4 * np.sqrt(expected))))
            nlist = min(nlist, max(1, len(training) // 39))
            quantizer = faiss.IndexFlatIP(dim)
            index: Any = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                                  faiss.METRIC_INNER_PRODUCT)
            index.train(np.ascontiguousarray(training, dtype=np.float32))
            index.nprobe = NPROBE
        else:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        return cls(index, dim)

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.ntotal == 0 or k <= 0:
            n = len(vectors)
            return np.zeros((n, 0), dtype=np.float32), np.zeros((n, 0), dtype=np.int64)
        import faiss

        queries = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(queries) >= 64:
            return self.index.search(queries, min(k, self.ntotal))
        # A handful of queries: OpenMP start-up costs more than the search (13 ms against 0.4 ms).
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return self.index.search(queries, min(k, self.ntotal))
        finally:
            faiss.omp_set_num_threads(threads)

    def save(self, path: Path) -> None:
        """Written beside and swapped in: a reader (or a crash) never sees a half-written file."""
        import faiss

        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self.index, str(tmp))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        import faiss

        index = faiss.read_index(str(path))
        if hasattr(index, "nprobe"):
            index.nprobe = NPROBE
        elif hasattr(faiss, "extract_index_ivf"):
            try:
                faiss.extract_index_ivf(index).nprobe = NPROBE
            except RuntimeError:
                pass
        return cls(index, index.d)

    def memory_bytes(self) -> int:
        import faiss

        return int(faiss.serialize_index(self.index).nbytes)


class EmbeddingCandidates:
    """Brands whose embedding is close enough to a mark's for the meaning channel to count it.

    `min_cosine` is the embedding evidence's own floor (comparisons.meaning.EMBED_FLOOR) for a
    search, or the cosine at which its score could reach the lowest brand threshold for screening.
    """

    def __init__(self, embedder, brand_texts: Sequence[Sequence[str]], *, min_cosine: float):
        import faiss

        self.embedder = embedder
        self.min_cosine = float(min_cosine)
        owners: list[int] = []
        vecs: list[np.ndarray] = []
        for j, texts in enumerate(brand_texts):
            for t in texts:
                if t and embedder.can_read(t):
                    vecs.append(np.asarray(embedder.vector(t), dtype=np.float32))
                    owners.append(j)
        self.owners = np.asarray(owners, dtype=np.int64)
        dim = vecs[0].shape[0] if vecs else 1
        self.index = faiss.IndexFlatIP(dim)
        if vecs:
            self.index.add(np.vstack(vecs))

    def candidates(self, texts: Iterable[str]) -> set[int]:
        if self.index.ntotal == 0:
            return set()
        vecs = [np.asarray(self.embedder.vector(t), dtype=np.float32) for t in texts
                if t and self.embedder.can_read(t)]
        if not vecs:
            return set()
        _lims, _dist, labels = self.index.range_search(np.vstack(vecs), self.min_cosine - 1e-6)
        return {int(self.owners[i]) for i in labels.tolist()}
