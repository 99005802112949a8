"""The register index (持久化索引, `register/` under settings.index_dir), described by a JSON manifest.

- `register/`: every stored gazette mark (the clearance-search side). Mark-side blocking keys,
  hashed to 64 bits, in sorted posting segments (`.npy`, memory-mapped), plus a faiss vector index
  of hashing n-gram vectors. New marks are added incrementally: one more posting segment and a
  faiss `add`; segments are merged when there are too many.
- `watchlist/`: the brands' blocking keys (`KeyIndex` as arrays) and their normalised forms.

The manifest records the normaliser version, the key-family version and parameters, a fingerprint
of the data the keys are derived from (lexicon, synonyms, glyph table, place names), counts, the
highest gazette mark id, the vector model, and a SHA-256 of every file. An index whose manifest
does not match what the code and the database now say is *stale*; one whose files fail the
checksum or cannot be read is *corrupt*. Either is rebuilt (`ensure_*`), never silently used.
Nothing is pickled: numpy arrays with allow_pickle=False, JSON, and faiss.write_index.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from markwatch.blocking.bounds import SHAPE_LONG, sound_look_forms, syllable_shape
from markwatch.blocking.keys import mark_form_keys, mark_meaning_keys, meaning_texts_of_mark
from markwatch.blocking.vectors import DIM, VectorIndex, hash_vectors
from markwatch.matching.rules import LATIN_RATIO_MIN_LENGTH
from markwatch.scale.index_files import (
    FORMAT,
    CorruptIndex,
    StaleIndex,
    check_params,
    file_meta,
    hash_keys,
    key_params,
    now_iso,
    read_manifest,
    verify_files,
    write_manifest,
)
from markwatch.text.normalise import NORMALISER_VERSION

log = logging.getLogger(__name__)

MAX_SEGMENTS = 8
BUILD_BATCH = 20_000

# ================================================================ the register
@dataclass
class RegisterRow:
    """A stored mark as the register index and the clearance search read it."""

    id: int
    mark: str
    classes: tuple[int, ...] = ()
    goods: tuple[str, ...] = ()
    similar_groups: tuple[str, ...] = ()
    applicant: str | None = None
    application_no: str = ""
    office: str = "CN"
    publication_date: object = None
    normal: dict | None = None


def _row_keys(profile) -> set[str]:
    keys: set[str] = set()
    for c in profile.forms:
        mark_form_keys(c, keys)
    mark_meaning_keys(meaning_texts_of_mark(profile), _LEXICON[0], keys)
    return keys


_LEXICON: list = [None]


class _VectorSink:
    """Collects vectors batch by batch; trains an IVF index on the first 100,000 when the register is big."""

    TRAIN = 100_000

    def __init__(self, expected: int):
        self.expected = expected
        self.index: VectorIndex | None = None
        self.pending: list[tuple[list[int], np.ndarray]] = []
        self.pending_n = 0

    def add(self, ids: list[int], vecs: np.ndarray) -> None:
        if self.index is not None:
            self.index.add(ids, vecs)
            return
        self.pending.append((ids, vecs))
        self.pending_n += len(ids)
        if self.pending_n >= min(self.TRAIN, self.expected):
            self._flush()

    def _flush(self) -> None:
        training = np.vstack([v for _, v in self.pending]) if self.pending else np.zeros((0, DIM), np.float32)
        self.index = VectorIndex.create(DIM, expected=self.expected, training=training)
        for ids, vecs in self.pending:
            self.index.add(ids, vecs)
        self.pending = []

    def finish(self) -> VectorIndex:
        if self.index is None:
            self._flush()
        assert self.index is not None
        return self.index


def register_profiler(matcher):
    """A batch profiler for stored marks: the matcher's engines with a normaliser that protects no
    watched words, so that the stored keys do not depend on which brands a process happens to know."""
    from markwatch.composition import plain_matcher
    from markwatch.matching.profiles import FastProfiler

    return FastProfiler(plain_matcher(matcher))


def app_order_key(application_no: str) -> int:
    """The first 8 bytes of an application number as an integer: keys compare as the numbers do,
    except that numbers sharing those bytes have equal keys (then the full numbers decide)."""
    return int.from_bytes(application_no.encode("utf-8")[:8].ljust(8, b"\0"), "big")


class _Locator:
    """Where values are, or would be, in a big sorted array of non-negative integers (as
    `np.searchsorted`, for many values at once).

    A binary search over tens of millions of key hashes misses the cache at every step. The hashes
    are uniform: a table of where each bucket of values starts (about 8 entries a bucket) leaves a
    few steps within one bucket, taken for all the values together. (For the few dozen mark ids a
    stored-field read looks up, a plain binary search is as fast.)"""

    def __init__(self, values: np.ndarray):
        self.values = values
        self._table: tuple[int, int, np.ndarray] | None = None

    def _build(self) -> tuple[int, int, np.ndarray]:
        values, n = self.values, len(self.values)
        base = int(values[0])
        span = int(values[-1]) - base + 1
        buckets = max(1, min(1 << 26, n // 8))
        shift = max(0, (span - 1).bit_length() - (buckets.bit_length() - 1))
        count = ((span - 1) >> shift) + 1
        bounds = (np.arange(count, dtype=np.uint64) << np.uint64(shift)) + np.uint64(base)
        starts = np.empty(count + 1, dtype=np.int64)
        starts[:-1] = np.searchsorted(values, bounds.astype(values.dtype))
        starts[-1] = n
        return base, shift, starts

    def find(self, wanted: np.ndarray) -> np.ndarray:
        n = len(self.values)
        wanted = np.asarray(wanted, dtype=self.values.dtype)
        if n == 0:
            return np.zeros(len(wanted), dtype=np.int64)
        if self._table is None:
            self._table = self._build()
        base, shift, starts = self._table
        count = len(starts) - 1
        under = wanted < base
        offset = np.where(under, 0, wanted - np.asarray(base, dtype=self.values.dtype)).astype(np.uint64)
        bucket = offset >> np.uint64(shift)
        beyond = bucket >= count
        bucket = np.minimum(bucket, count - 1).astype(np.int64)
        lo = np.where(under, 0, np.where(beyond, n, starts[bucket]))
        hi = np.where(under, 0, np.where(beyond, n, starts[bucket + 1]))
        while True:
            open_ = lo < hi
            if not open_.any():
                return lo
            mid = (lo + hi) >> 1
            below = open_ & (self.values[np.minimum(mid, n - 1)] < wanted)
            lo = np.where(below, mid + 1, lo)
            hi = np.where(open_ & ~below, mid, hi)


class _Segment:
    """One sorted posting segment: unique key hashes, offsets into ids; Latin parts; long marks."""

    def __init__(self, folder: Path, name: str, mmap: bool = True):
        mode: Literal["r"] | None = "r" if mmap else None
        try:
            self.hashes = np.load(folder / f"{name}.hashes.npy", mmap_mode=mode, allow_pickle=False)
            self.offsets = np.load(folder / f"{name}.offsets.npy", mmap_mode=mode, allow_pickle=False)
            self.ids = np.load(folder / f"{name}.ids.npy", mmap_mode=mode, allow_pickle=False)
            extra = json.loads((folder / f"{name}.extra.json").read_text(encoding="utf-8"))
            self.row_ids = np.load(folder / f"{name}.rows.npy", mmap_mode=mode, allow_pickle=False)
            self.text_offsets = np.load(folder / f"{name}.textoff.npy", mmap_mode=mode, allow_pickle=False)
            self.text_blob = np.load(folder / f"{name}.texts.npy", mmap_mode=mode, allow_pickle=False)
            self.shapes = np.load(folder / f"{name}.shapes.npy", mmap_mode=mode, allow_pickle=False)
            self.app_keys = np.load(folder / f"{name}.appkeys.npy", mmap_mode=mode, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise CorruptIndex(f"index segment {folder / name} is unreadable: {exc}") from exc
        if len(self.offsets) != len(self.hashes) + 1 or (len(self.hashes) and self.offsets[-1] != len(self.ids)) \
                or len(self.text_offsets) != len(self.row_ids) + 1 or len(self.shapes) != len(self.row_ids) \
                or len(self.app_keys) != len(self.row_ids):
            raise CorruptIndex(f"index segment {folder / name} is inconsistent")
        # Slicing a memoryview costs a fraction of slicing the memory-mapped array, per text.
        self._blob_view = memoryview(self.text_blob) if len(self.text_blob) else memoryview(b"")
        self._hash_positions = _Locator(self.hashes)
        self.latin: dict[str, list[int]] = extra["latin"]
        self.long_sound: dict[int, list[int]] = {int(k): v for k, v in extra["long_sound"].items()}
        self.name = name

    @staticmethod
    def files(name: str) -> list[str]:
        return [f"{name}.hashes.npy", f"{name}.offsets.npy", f"{name}.ids.npy", f"{name}.extra.json",
                f"{name}.rows.npy", f"{name}.textoff.npy", f"{name}.texts.npy", f"{name}.shapes.npy",
                f"{name}.appkeys.npy"]

    @staticmethod
    def write(folder: Path, name: str, hashes: np.ndarray, ids: np.ndarray, latin: dict, long_sound: dict,
              texts: dict[int, str], shapes: dict[int, int]) -> None:
        # The stored fields and syllable shape of every mark, by id: a search checks loose candidates
        # and bounds their scores on them unfetched.
        row_ids = np.asarray(sorted(texts), dtype=np.int64)
        np.save(folder / f"{name}.shapes.npy", np.fromiter((shapes[i] for i in row_ids.tolist()), dtype=np.uint32,
                                                             count=len(row_ids)), allow_pickle=False)
        np.save(folder / f"{name}.appkeys.npy", np.fromiter((app_order_key(texts[i].split("\x00")[1])
                                                             for i in row_ids.tolist()), dtype=np.uint64,
                                                            count=len(row_ids)), allow_pickle=False)
        encoded = [texts[i].encode("utf-8") for i in row_ids.tolist()]
        lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
        text_offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(lengths, out=text_offsets[1:])
        np.save(folder / f"{name}.rows.npy", row_ids, allow_pickle=False)
        np.save(folder / f"{name}.textoff.npy", text_offsets, allow_pickle=False)
        np.save(folder / f"{name}.texts.npy", np.frombuffer(b"".join(encoded), dtype=np.uint8), allow_pickle=False)
        order = np.lexsort((ids, hashes))  # by key, then by mark id within a key
        hashes, ids = hashes[order], ids[order]
        uniq, starts = np.unique(hashes, return_index=True)
        offsets = np.append(starts, len(hashes)).astype(np.int64)
        np.save(folder / f"{name}.hashes.npy", uniq.astype(np.uint64), allow_pickle=False)
        np.save(folder / f"{name}.offsets.npy", offsets, allow_pickle=False)
        np.save(folder / f"{name}.ids.npy", ids.astype(np.int64), allow_pickle=False)
        (folder / f"{name}.extra.json").write_text(json.dumps(
            {"latin": latin, "long_sound": {str(k): v for k, v in long_sound.items()}}, ensure_ascii=False),
            encoding="utf-8")

    def _gather_tagged(self, hashes: np.ndarray, tags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The postings of these key hashes, each with the tag of the key it came from."""
        if len(self.hashes) == 0 or len(hashes) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=tags.dtype)
        pos = np.minimum(self._hash_positions.find(hashes), len(self.hashes) - 1)
        hit = self.hashes[pos] == hashes
        pos, tags = pos[hit], tags[hit]
        if len(pos) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=tags.dtype)
        starts = self.offsets[pos]
        lengths = self.offsets[pos + 1] - starts
        # One gather for every posting list: positions start..end of each, concatenated.
        shifts = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        return self.ids[shifts + np.arange(int(lengths.sum()))], np.repeat(tags, lengths)

    def holding_all(self, hashes: np.ndarray) -> np.ndarray:
        """Ids of the marks posted under every one of these key hashes: the shortest posting list,
        narrowed by a binary search in each of the others (each sorted by id)."""
        if len(self.hashes) == 0 or len(hashes) == 0:
            return np.zeros(0, dtype=np.int64)
        pos = np.minimum(self._hash_positions.find(hashes), len(self.hashes) - 1)
        if not (self.hashes[pos] == hashes).all():
            return np.zeros(0, dtype=np.int64)
        starts, ends = self.offsets[pos], self.offsets[pos + 1]
        order = np.argsort(ends - starts, kind="stable")
        first = order[0]
        held = np.asarray(self.ids[starts[first]:ends[first]])
        for k in order[1:].tolist():
            if not len(held):
                break
            posting = self.ids[starts[k]:ends[k]]
            at = np.minimum(np.searchsorted(posting, held), len(posting) - 1)
            held = held[posting[at] == held]
        return held

    def texts_of(self, ids: np.ndarray) -> dict[int, str]:
        """The stored fields by id, for the ids this segment holds."""
        if len(self.row_ids) == 0 or len(ids) == 0:
            return {}
        pos = np.searchsorted(self.row_ids, ids)
        ok = pos < len(self.row_ids)
        pos, want = pos[ok], ids[ok]
        hit = self.row_ids[pos] == want
        pos, want = pos[hit], want[hit]
        out: dict[int, str] = {}
        starts = self.text_offsets[pos].tolist()
        ends = self.text_offsets[pos + 1].tolist()
        blob = self._blob_view
        for a, b, i in zip(starts, ends, want.tolist()):
            out[i] = str(blob[a:b], "utf-8")
        return out

    def order_fields_of(self, ids: np.ndarray, shapes: np.ndarray, app_keys: np.ndarray) -> None:
        """Write the syllable shapes and application-number keys of the (sorted) ids this segment
        holds into `shapes` and `app_keys`."""
        if len(self.row_ids) == 0 or len(ids) == 0:
            return
        pos = np.minimum(np.searchsorted(self.row_ids, ids), len(self.row_ids) - 1)
        hit = self.row_ids[pos] == ids
        shapes[hit] = self.shapes[pos[hit]]
        app_keys[hit] = self.app_keys[pos[hit]]

    def nbytes(self) -> int:
        return int(self.hashes.nbytes + self.offsets.nbytes + self.ids.nbytes + self.row_ids.nbytes
                   + self.text_offsets.nbytes + self.text_blob.nbytes + self.shapes.nbytes
                   + self.app_keys.nbytes)


class RegisterIndex:
    """Blocking keys and vectors of every stored mark; opened read-only for searching."""

    def __init__(self, folder: Path, manifest: dict, segments: list[_Segment], vectors: VectorIndex | None):
        self.folder = folder
        self.manifest = manifest
        self.segments = segments
        self.vectors = vectors

    # ---------------------------------------------------------------- building
    @staticmethod
    def _encode(rows: Sequence[RegisterRow], matcher, profiler,
                on_vectors: Callable[[list[int], np.ndarray], None] | None = None
                ) -> tuple[np.ndarray, np.ndarray, dict, dict, dict, dict]:
        """Hashed keys (and ids) of every row; Latin parts; long syllable sequences. Vectors go to
        `on_vectors` batch by batch, so that a big register never holds all profiles at once."""
        from markwatch.scale.engines import MarkInput, profile_inputs

        _LEXICON[0] = matcher.lexicon
        hashes: list[np.ndarray] = []
        ids: list[np.ndarray] = []
        latin: dict[str, list[int]] = {}
        long_sound: dict[int, list[int]] = {}
        texts: dict[int, str] = {}
        shapes: dict[int, int] = {}
        clean = profiler.clean
        for start in range(0, len(rows), BUILD_BATCH):
            batch = rows[start:start + BUILD_BATCH]
            profiles = profile_inputs(profiler, [MarkInput.of(r) for r in batch])
            for r, p in zip(batch, profiles):
                texts[r.id] = "\x00".join((clean(r.mark or ""), r.application_no or "", sound_look_forms(p.forms)))
                shapes[r.id] = syllable_shape(p.forms)
                h = hash_keys(_row_keys(p))
                hashes.append(h)
                ids.append(np.full(len(h), r.id, dtype=np.int64))
                for c in p.forms:
                    if len(c.latin) >= LATIN_RATIO_MIN_LENGTH:
                        latin.setdefault(c.latin, []).append(r.id)
                    if len(c.pinyin) >= 9:
                        long_sound.setdefault(len(c.pinyin), []).append(r.id)
            if on_vectors is not None:
                on_vectors([r.id for r in batch], hash_vectors([p.forms for p in profiles]))
            if len(hashes) > 1:  # keep the pieces few: one array per batch
                hashes = [np.concatenate(hashes)]
                ids = [np.concatenate(ids)]
        h_all = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
        i_all = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        latin = {k: sorted(set(v)) for k, v in latin.items()}
        long_sound = {k: sorted(set(v)) for k, v in long_sound.items()}
        return h_all, i_all, latin, long_sound, texts, shapes

    @classmethod
    def build(cls, folder: Path, rows: Sequence[RegisterRow], *, matcher, profiler=None,
              vectors: bool = True) -> RegisterIndex:
        """Build from scratch into `folder` (written beside, then swapped in)."""
        folder = Path(folder)
        profiler = profiler or register_profiler(matcher)
        tmp = folder.with_name(folder.name + ".building")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        started = time.perf_counter()
        vector_sink = _VectorSink(len(rows)) if vectors else None
        h, ids, latin, long_sound, texts, shapes = cls._encode(rows, matcher, profiler,
                                                               vector_sink.add if vector_sink is not None else None)
        _Segment.write(tmp, "seg-000", h, ids, latin, long_sound, texts, shapes)
        del texts, shapes
        del h, ids
        files = _Segment.files("seg-000")
        model = None
        if vector_sink is not None:
            vector_sink.finish().save(tmp / "vectors.faiss")
            files.append("vectors.faiss")
            model = f"hashing-ngrams-{DIM}"
        postings = int(np.load(tmp / "seg-000.ids.npy", mmap_mode="r").shape[0])
        doc = {
            "format": FORMAT, "kind": "register", "normaliser_version": NORMALISER_VERSION, "params": key_params(),
            "rows": len(rows), "max_id": max((r.id for r in rows), default=0), "model": model,
            "segments": ["seg-000"], "postings": postings, "built_at": now_iso(), "updated_at": now_iso(),
            "build_seconds": round(time.perf_counter() - started, 2),
            "files": {name: file_meta(tmp / name) for name in files},
        }
        write_manifest(tmp, doc)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
        return cls.open(folder, verify=False)

    def add(self, rows: Sequence[RegisterRow], *, matcher, profiler=None) -> None:
        """Append new marks (ids above the manifest's max_id): one more segment, faiss add."""
        if not rows:
            return
        low = min(r.id for r in rows)
        if low <= self.manifest["max_id"]:
            raise StaleIndex(f"mark id {low} is not above the register index's max id {self.manifest['max_id']}")
        profiler = profiler or register_profiler(matcher)
        added: list[tuple[list[int], np.ndarray]] = []
        h, ids, latin, long_sound, texts, shapes = self._encode(
            rows, matcher, profiler, (lambda i, v: added.append((i, v))) if self.vectors is not None else None)
        n = len(self.manifest["segments"])
        name = f"seg-{n:03d}"
        _Segment.write(self.folder, name, h, ids, latin, long_sound, texts, shapes)
        files = dict(self.manifest["files"])
        for f in _Segment.files(name):
            files[f] = file_meta(self.folder / f)
        if self.vectors is not None:
            for batch_ids, vecs in added:
                self.vectors.add(batch_ids, vecs)
            self.vectors.save(self.folder / "vectors.faiss")
            files["vectors.faiss"] = file_meta(self.folder / "vectors.faiss")
        doc = dict(self.manifest)
        doc.update(rows=doc["rows"] + len(rows), max_id=max(r.id for r in rows), segments=doc["segments"] + [name],
                   postings=doc["postings"] + len(h), updated_at=now_iso(), files=files)
        write_manifest(self.folder, doc)
        self.manifest = doc
        self.segments.append(_Segment(self.folder, name))

    # ---------------------------------------------------------------- opening
    @classmethod
    def open(cls, folder: Path, *, verify: bool = True, expect_rows: int | None = None,
             expect_max_id: int | None = None) -> RegisterIndex:
        folder = Path(folder)
        doc = read_manifest(folder)
        if doc.get("kind") != "register":
            raise StaleIndex(f"index at {folder} is a {doc.get('kind')} index, not a register index")
        check_params(doc, folder)
        if expect_rows is not None and (doc["rows"] != expect_rows or doc["max_id"] != expect_max_id):
            raise StaleIndex(f"register index at {folder} has {doc['rows']} marks up to id {doc['max_id']}, "
                             f"the database {expect_rows} up to id {expect_max_id}")
        if verify:
            verify_files(folder, doc)
        segments = [_Segment(folder, name) for name in doc["segments"]]
        vectors = None
        if doc.get("model"):
            try:
                vectors = VectorIndex.load(folder / "vectors.faiss")
            except RuntimeError as exc:
                raise CorruptIndex(f"vector index {folder / 'vectors.faiss'} is unreadable: {exc}") from exc
            if vectors.ntotal != doc["rows"]:
                raise CorruptIndex(f"vector index holds {vectors.ntotal} vectors, the manifest {doc['rows']} marks")
        return cls(folder, doc, segments, vectors)

    # ---------------------------------------------------------------- querying
    def lookup_tagged(self, keys: Sequence[str], tags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every posting of these keys, with the tag of its key (ids repeat when keys share marks)."""
        hashes = hash_keys(keys)
        order = np.argsort(hashes)  # sorted probes walk the memory-mapped hashes in one direction
        hashes, tags = hashes[order], tags[order]
        found = [seg._gather_tagged(hashes, tags) for seg in self.segments]
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=tags.dtype)
        return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])

    def holding_all(self, keys: Sequence[str]) -> np.ndarray:
        """Ids of the stored marks that have every one of these keys."""
        hashes = np.unique(hash_keys(keys))
        found = [seg.holding_all(hashes) for seg in self.segments]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def stored_fields(self, ids: Sequence[int] | np.ndarray) -> dict[int, tuple[str, str, str]]:
        """(cleaned text, application number, sound and look forms) of stored marks by id, from the
        index (no database); the forms as `blocking.bounds.sound_look_forms` writes them."""
        arr = np.sort(np.asarray(ids, dtype=np.int64))
        out: dict[int, tuple[str, str, str]] = {}
        for seg in self.segments:
            for i, field in seg.texts_of(arr).items():
                text, app, forms = field.split("\x00")
                out[i] = (text, app, forms)
        return out

    def order_fields(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Syllable shapes (`blocking.bounds.syllable_shape`) and application-number keys
        (`app_order_key`) of stored marks, for sorted ids: what orders candidates before any stored
        text is read."""
        shapes = np.full(len(ids), SHAPE_LONG, dtype=np.uint32)  # unknown: nothing can be excluded
        app_keys = np.zeros(len(ids), dtype=np.uint64)  # unknown: first, so never skipped
        for seg in self.segments:
            seg.order_fields_of(ids, shapes, app_keys)
        return shapes, app_keys

    def latin_parts(self) -> Iterator[tuple[str, list[int]]]:
        for seg in self.segments:
            yield from seg.latin.items()

    def long_sound(self) -> Iterator[tuple[int, list[int]]]:
        for seg in self.segments:
            yield from seg.long_sound.items()

    def nearest(self, vectors: np.ndarray, k: int, *, min_score: float = 0.0) -> np.ndarray:
        """Ids of the `k` nearest stored marks by n-gram vector, with cosine ≥ `min_score`."""
        if self.vectors is None or k <= 0:
            return np.zeros(0, dtype=np.int64)
        scores, ids = self.vectors.search(vectors, k)
        ids = ids[(ids >= 0) & (scores >= min_score)]
        return np.unique(ids)

    @property
    def rows(self) -> int:
        return int(self.manifest["rows"])

    @property
    def max_id(self) -> int:
        return int(self.manifest["max_id"])

    def disk_bytes(self) -> int:
        return sum(int(m["bytes"]) for m in self.manifest["files"].values())

    def memory_bytes(self) -> int:
        total = sum(seg.nbytes() for seg in self.segments)
        if self.vectors is not None:
            total += (self.folder / "vectors.faiss").stat().st_size
        return total

    def compact(self, *, matcher, rows: Callable[[], Sequence[RegisterRow]]) -> RegisterIndex:
        """Merge the segments by rebuilding from the rows (when there are more than MAX_SEGMENTS)."""
        return RegisterIndex.build(self.folder, rows(), matcher=matcher, vectors=self.vectors is not None)

