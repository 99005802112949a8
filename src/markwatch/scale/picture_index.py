"""The register's picture index (`pictures/` under settings.index_dir): the embeddings of the stored
figurative and combined marks, kept on disk so that a search by image opens it instead of reading
every picture's features from the database.

- **segments**: `seg-NNN.marks.npy` (every mark the segment covers, read or found blank),
  `seg-NNN.owners.npy` (the mark id of each embedding row) and `seg-NNN.vectors.npy` (float16, as the
  features are stored). A mark read later than it was stored (the extra installed after its ingest)
  joins the next segment: what a segment covers is a set of ids, not a range.
- **the manifest** (`manifest.json`): format, the features' version and model, counts, the highest
  mark id, the segments and a SHA-256 of every file. New segments are written first and the manifest
  replaced last (`os.replace`), so a crash leaves the index as it was before the add; a rebuild is
  written beside the folder and swapped in.
- An index whose features' version or model is not this release's is *stale*, one whose files fail
  their checksum *corrupt*: either is rebuilt from the stored features (`ensure_*` in
  `service.pictures`), never used. Nothing is pickled (numpy with allow_pickle=False, JSON).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from markwatch.fileio import file_sha256
from markwatch.images.features import EMBED_MODEL, FEATURES_VERSION
from markwatch.images.index import PictureIndex
from markwatch.scale.index_files import (
    CorruptIndex,
    StaleIndex,
    file_meta,
    now_iso,
    read_manifest,
    write_manifest,
)

FORMAT = 1
KIND = "pictures"
MAX_SEGMENTS = 8  # beyond, the segments are merged into one (from the index's own files)

# (mark id, its embedding rows or None for a blank picture)
Item = tuple[int, "np.ndarray | None"]


def picture_params() -> dict:
    """What the stored vectors mean: an index built under other parameters is rebuilt."""
    return {"features_version": FEATURES_VERSION, "model": EMBED_MODEL, "views": 1}


# Files this process has checked against their manifest's SHA-256, by (path, mtime, size, checksum): a
# segment is written once and never changed, so an update (every ingest, every cycle) re-reads only
# what is new, not every vector of the register.
_VERIFIED: set[tuple[str, int, int, str]] = set()


def forget_checks() -> None:
    """Forget which files were checked (as a new process would): the next open reads every checksum."""
    _VERIFIED.clear()


def verify_segments(folder: Path, doc: dict) -> None:
    """Every file the manifest names is there, of its size and checksum (CorruptIndex otherwise)."""
    for name, meta in doc.get("files", {}).items():
        path = folder / name
        try:
            st = path.stat()
        except OSError:
            raise CorruptIndex(f"index file {path} is missing") from None
        if st.st_size != meta.get("bytes"):
            raise CorruptIndex(f"index file {path} has {st.st_size} bytes, the manifest says {meta.get('bytes')}")
        seen = (str(path.resolve()), st.st_mtime_ns, st.st_size, str(meta.get("sha256")))
        if seen in _VERIFIED:
            continue
        if file_sha256(path) != meta.get("sha256"):
            raise CorruptIndex(f"index file {path} fails its checksum")
        _VERIFIED.add(seen)


def _files(name: str) -> list[str]:
    return [f"{name}.marks.npy", f"{name}.owners.npy", f"{name}.vectors.npy"]


def _write_segment(folder: Path, name: str, items: Sequence[Item], dim: int) -> tuple[int, int]:
    """Write one segment; (marks covered, embedding rows)."""
    marks = np.asarray(sorted(i for i, _ in items), dtype=np.int64)
    with_vectors = [(i, v) for i, v in items if v is not None and len(v)]
    owners = np.asarray([i for i, v in with_vectors for _ in range(len(v))], dtype=np.int64)
    vectors = (np.vstack([v for _, v in with_vectors]).astype(np.float16) if with_vectors
               else np.zeros((0, dim), dtype=np.float16))
    np.save(folder / f"{name}.marks.npy", marks, allow_pickle=False)
    np.save(folder / f"{name}.owners.npy", owners, allow_pickle=False)
    np.save(folder / f"{name}.vectors.npy", vectors, allow_pickle=False)
    return len(marks), len(owners)


def _read_segment(folder: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        marks = np.load(folder / f"{name}.marks.npy", allow_pickle=False)
        owners = np.load(folder / f"{name}.owners.npy", allow_pickle=False)
        vectors = np.load(folder / f"{name}.vectors.npy", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CorruptIndex(f"picture index segment {folder / name} is unreadable: {exc}") from exc
    if vectors.ndim != 2 or len(vectors) != len(owners):
        raise CorruptIndex(f"picture index segment {folder / name} is inconsistent")
    return marks, owners, vectors


class StoredPictureIndex:
    """The persisted picture index, opened: a faiss index per segment and the marks covered.

    A segment's faiss index is never changed once loaded, so a process that searches can take in an
    update by loading its new segments only (`refreshed`), while other threads search the old ones."""

    def __init__(self, folder: Path, manifest: dict, parts: dict[str, PictureIndex] | None, covered: np.ndarray):
        self.folder = folder
        self.manifest = manifest
        self.parts = parts  # by segment; None: opened to be extended only (the vectors stay on disk)
        self.covered = covered  # sorted mark ids the index has taken in (with or without an embedding)

    @property
    def loaded(self) -> int:
        """Embedding rows loaded for searching."""
        return sum(len(p) for p in (self.parts or {}).values())

    # ---------------------------------------------------------------- building
    @classmethod
    def build(cls, folder: Path, items: Sequence[Item], *, vectors: bool = True) -> StoredPictureIndex:
        """Build from scratch into `folder` (written beside it, then swapped in)."""
        folder = Path(folder)
        started = time.perf_counter()
        tmp = folder.with_name(folder.name + ".building")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        dim = _dim_of(items)
        marks, pictures = _write_segment(tmp, "seg-000", items, dim)
        doc = {"format": FORMAT, "kind": KIND, "params": picture_params(), "dim": dim,
               "marks": marks, "pictures": pictures, "max_id": max((i for i, _ in items), default=0),
               "segments": ["seg-000"], "built_at": now_iso(), "updated_at": now_iso(),
               "build_seconds": round(time.perf_counter() - started, 3),
               "files": {f: file_meta(tmp / f) for f in _files("seg-000")}}
        write_manifest(tmp, doc)
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
        return cls.open(folder, verify=False, vectors=vectors)

    def add(self, items: Sequence[Item]) -> int:
        """Take in more marks (those already covered are left out): one more segment, then the
        manifest. Returns how many marks were added. Merges the segments when there are too many."""
        fresh = [item for item, new in zip(items, self.uncovered([i for i, _ in items]).tolist()) if new]
        if not fresh:
            return 0
        if len(self.manifest["segments"]) >= MAX_SEGMENTS:
            merged = self.build(self.folder, self._items() + fresh, vectors=self.parts is not None)
            self.manifest, self.parts, self.covered = merged.manifest, merged.parts, merged.covered
            return len(fresh)
        dim = self.manifest["dim"] or _dim_of(fresh)
        names = set(self.manifest["segments"])
        n = len(names)
        while f"seg-{n:03d}" in names:
            n += 1
        name = f"seg-{n:03d}"  # a crash's leftover of the same name is overwritten: no manifest names it
        marks, pictures = _write_segment(self.folder, name, fresh, dim)
        files = dict(self.manifest["files"])
        files.update({f: file_meta(self.folder / f) for f in _files(name)})
        doc = dict(self.manifest)
        doc.update(dim=dim, marks=doc["marks"] + marks, pictures=doc["pictures"] + pictures,
                   max_id=max(doc["max_id"], max(i for i, _ in fresh)), segments=doc["segments"] + [name],
                   updated_at=now_iso(), files=files)
        write_manifest(self.folder, doc)  # the add exists from here on
        if self.parts is not None:
            self.parts = {**self.parts, name: _part(self.folder, name)}
        self.covered = np.union1d(self.covered, np.asarray([i for i, _ in fresh], dtype=np.int64))
        self.manifest = doc
        return len(fresh)

    def _items(self) -> list[Item]:
        """Every covered mark with its embedding rows, from the segments (to merge them)."""
        found: dict[int, list[np.ndarray]] = {}
        covered: list[int] = []
        for name in self.manifest["segments"]:
            marks, owners, vectors = _read_segment(self.folder, name)
            covered += marks.tolist()
            for owner, row in zip(owners.tolist(), vectors):
                found.setdefault(owner, []).append(row)
        return [(i, np.vstack(found[i]) if i in found else None) for i in covered]

    # ---------------------------------------------------------------- opening
    @classmethod
    def open(cls, folder: Path, *, verify: bool = True, vectors: bool = True) -> StoredPictureIndex:
        """The index at `folder`, its files checked against the manifest; `vectors=False` to extend it
        only (what it covers is read, its embeddings stay on disk: an add costs what it adds)."""
        folder = Path(folder)
        doc = read_manifest(folder, fmt=FORMAT)
        if doc.get("kind") != KIND:
            raise StaleIndex(f"index at {folder} is a {doc.get('kind')} index, not a picture index")
        if doc.get("params") != picture_params():
            raise StaleIndex(f"picture index at {folder} was built with {doc.get('params')}, now {picture_params()}")
        if verify:
            verify_segments(folder, doc)
        return cls._of(folder, doc, {} if vectors else None)

    @classmethod
    def refreshed(cls, folder: Path, held: StoredPictureIndex | None) -> StoredPictureIndex:
        """The index at `folder` as its manifest now says, reusing the segments `held` has loaded when
        the manifest only added segments to them (an update); opened afresh otherwise (a rebuild)."""
        if held is None or held.parts is None:
            return cls.open(folder)
        folder = Path(folder)
        doc = read_manifest(folder, fmt=FORMAT)
        old = held.manifest
        kept = old["segments"]
        if (doc.get("kind") != KIND or doc.get("params") != picture_params() or doc.get("built_at") != old.get("built_at")
                or doc["segments"][:len(kept)] != kept
                or any(doc["files"].get(f) != meta for f, meta in old["files"].items())):
            return cls.open(folder)
        verify_segments(folder, doc)  # the new segments' files; the others were checked when loaded
        return cls._of(folder, doc, dict(held.parts))

    @classmethod
    def _of(cls, folder: Path, doc: dict, parts: dict[str, PictureIndex] | None) -> StoredPictureIndex:
        """Read the segments (those not in `parts` already; only what they cover when `parts` is None)."""
        covered, rows = [], 0
        for name in doc["segments"]:
            try:
                marks = np.load(folder / f"{name}.marks.npy", allow_pickle=False)
                if parts is None:
                    rows += len(np.load(folder / f"{name}.owners.npy", mmap_mode="r", allow_pickle=False))
            except (OSError, ValueError) as exc:
                raise CorruptIndex(f"picture index segment {folder / name} is unreadable: {exc}") from exc
            if parts is not None:
                if name not in parts:
                    parts[name] = _part(folder, name)
                rows += len(parts[name])
            covered.append(marks)
        ids = np.unique(np.concatenate(covered)) if covered else np.zeros(0, dtype=np.int64)
        if len(ids) != doc["marks"] or rows != doc["pictures"]:
            raise CorruptIndex(f"picture index at {folder} holds {len(ids)} marks and {rows} pictures, "
                               f"the manifest {doc['marks']} and {doc['pictures']}")
        return cls(folder, doc, parts, ids)

    # ---------------------------------------------------------------- querying
    def uncovered(self, ids: Sequence[int]) -> np.ndarray:
        """A mask over `ids`: True where the index has not taken the mark in."""
        return ~np.isin(np.asarray(ids, dtype=np.int64), self.covered)

    def covers(self, mark_id: int) -> bool:
        pos = int(np.searchsorted(self.covered, mark_id))
        return pos < len(self.covered) and int(self.covered[pos]) == mark_id

    def search(self, vectors: np.ndarray, *, k: int = 10, floor: float = 0.0) -> list[tuple[int, float]]:
        """(mark id, cosine) of the marks nearest to a picture (any of its views), best first."""
        if self.parts is None:
            raise ValueError("this picture index was opened without its vectors (to be extended only)")
        best: dict[int, float] = {}
        for part in self.parts.values():  # a mark is in one segment: each part's best k, merged
            best.update(part.search(vectors, k=k, floor=floor))
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:k]

    @property
    def marks(self) -> int:
        return int(self.manifest["marks"])

    @property
    def pictures(self) -> int:
        return int(self.manifest["pictures"])

    @property
    def max_id(self) -> int:
        return int(self.manifest["max_id"])


def _part(folder: Path, name: str) -> PictureIndex:
    """One segment's embeddings in a faiss index of their own."""
    _, owners, vectors = _read_segment(folder, name)
    part = PictureIndex()
    part.add_rows(owners.tolist(), vectors)
    return part


def _dim_of(items: Sequence[Item]) -> int:
    for _, v in items:
        if v is not None and len(v):
            return int(v.shape[1])
    return 0
