"""The picture index: faiss over the embeddings of many pictures, each owned by a brand or a stored mark.

Inner product over unit vectors (cosine), exact (``IndexFlatIP``): brand logos number in the thousands
(with their views, tens of thousands of rows) and a register's pictures in the hundreds of thousands,
which an exact scan on 2 cores answers in milliseconds per query. A picture read in several views
(a logo, a search's query) has one row per view; an owner's score is its best view's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from markwatch.images.features import PictureFeatures


def _search(index, vectors: np.ndarray, rows: int):
    """faiss's exact search of a picture's views (a handful of queries), on one thread and through BLAS.

    Below 20 queries faiss scans query by query, four times slower on 1280 dimensions; and OpenMP's
    threads contend with other work on two shared cores (as in blocking.vectors). A 10-view query against
    50,000 pictures took 0.46 s (two threads, no BLAS), 0.56 s (two threads, BLAS), 0.10-0.15 s (one
    thread, BLAS). Both settings are faiss's globals, put back at once; either path gives the same
    neighbours."""
    import faiss

    threads = faiss.omp_get_max_threads()
    saved = faiss.cvar.distance_compute_blas_threshold
    faiss.omp_set_num_threads(1)
    faiss.cvar.distance_compute_blas_threshold = 1
    try:
        return index.search(vectors, rows)
    finally:
        faiss.cvar.distance_compute_blas_threshold = saved
        faiss.omp_set_num_threads(threads)


class PictureIndex:
    def __init__(self, dim: int = 0) -> None:
        self.dim = dim
        self._index: Any = None
        self.owners: list[int] = []  # per row: the owner's position

    @classmethod
    def of(cls, pictures: Iterable[tuple[int, PictureFeatures | None]]) -> PictureIndex:
        index = cls()
        owners: list[int] = []
        rows: list[np.ndarray] = []
        for owner, picture in pictures:
            if picture is not None and picture.vectors is not None and len(picture.vectors):
                owners += [owner] * len(picture.vectors)
                rows.append(picture.vectors)
        if rows:  # one faiss call for all (thousands of logos, ten views each)
            index.add_rows(owners, np.vstack(rows))
        return index

    def __len__(self) -> int:
        return len(self.owners)

    def add(self, owner: int, vectors: np.ndarray) -> None:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self._index is None:
            self.dim = int(vectors.shape[1])
            self._index = faiss.IndexFlatIP(self.dim)
        self._index.add(vectors)
        self.owners.extend([owner] * len(vectors))

    def add_rows(self, owners: Sequence[int], vectors: np.ndarray) -> None:
        """Many rows at once: row i of `vectors` is owned by owners[i] (one faiss call)."""
        if not len(owners):
            return
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self._index is None:
            self.dim = int(vectors.shape[1])
            self._index = faiss.IndexFlatIP(self.dim)
        self._index.add(vectors)
        self.owners.extend(int(o) for o in owners)

    def search(self, vectors: np.ndarray, *, k: int = 10, floor: float = 0.0) -> list[tuple[int, float]]:
        """The owners nearest to a picture (any of its `vectors`), best first, at most k, cosine >= floor."""
        if self._index is None or not len(self.owners):
            return []
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = min(len(self.owners), max(k * 12, 64))
        sims, ids = _search(self._index, vectors, rows)
        best: dict[int, float] = {}
        for sim_row, id_row in zip(sims, ids):
            for sim, i in zip(sim_row, id_row):
                if i < 0 or sim < floor:
                    continue
                owner = self.owners[int(i)]
                if sim > best.get(owner, -2.0):
                    best[owner] = float(sim)
        return sorted(best.items(), key=lambda kv: -kv[1])[:k]

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        """The stored rows' vectors."""
        if self._index is None or not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._index.reconstruct(int(r)) for r in rows])

    def pairs(self, marks: Sequence[PictureFeatures | None], *, floor: float, k: int = 50) -> list[tuple[int, int]]:
        """(mark position, owner) for every mark picture whose cosine with an owner reaches `floor`."""
        out: list[tuple[int, int]] = []
        if self._index is None:
            return out
        for i, picture in enumerate(marks):
            if picture is None or picture.vectors is None or not len(picture.vectors):
                continue
            out.extend((i, owner) for owner, _ in self.search(picture.vectors, k=k, floor=floor))
        return out

    # pickled for the Dask workers and the fork pool: the faiss index travels as its vectors
    def __getstate__(self) -> dict:
        vectors = self._index.reconstruct_n(0, len(self.owners)) if self._index is not None else None
        return {"dim": self.dim, "owners": self.owners, "vectors": vectors}

    def __setstate__(self, state: dict) -> None:
        self.dim, self._index, self.owners = state["dim"], None, []
        vectors = state["vectors"]
        if vectors is not None and len(vectors):
            owners = state["owners"]
            import faiss

            self._index = faiss.IndexFlatIP(self.dim)
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))
            self.owners = list(owners)
