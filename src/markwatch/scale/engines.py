"""Execution engines (执行引擎) for screening: the local process (optionally a few forked workers) or Dask.

Both run the same function, `screen_partition`, on partitions of the new gazette marks: profile the
marks (batch normaliser), find candidate brands (key index), score the candidates with the full
scorer. The brands, their profiles and the key index travel once per worker in a
`ScreeningContext` (Dask: `client.scatter(context, broadcast=True)`), never with every task.
Results are the same whichever engine runs them: tests compare the alert sets.

Dask is optional (`pip install 'markwatch[dask]'`) and imported only when the dask engine is asked
for; without it the engine fails with `MissingExtra` naming the extra.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markwatch.blocking.key_index import CandidateStats, KeyIndex
from markwatch.collector import collector_paused, heap_frozen_for_fork
from markwatch.composition import MatcherSpec, build_matcher
from markwatch.errors import ConfigError, MissingExtra
from markwatch.images.index import PictureIndex
from markwatch.matching.matcher import BrandProfile, MarkProfile, Matcher
from markwatch.model import Brand, Match
from markwatch.text.normalise import NORMALISER_VERSION

log = logging.getLogger(__name__)

ENGINES = ("local", "dask")
PARTITION = 5000

@dataclass(frozen=True, slots=True)
class MarkInput:
    """One gazette mark as the engines receive it: what the run read from the store, nothing more."""

    id: int
    mark: str
    classes: tuple[int, ...] = ()
    goods: tuple[str, ...] = ()
    similar_groups: tuple[str, ...] = ()
    applicant: str | None = None
    # The normal form stored at ingest (its version is checked before use), or its stored JSON text,
    # decoded where the mark is screened (`stored_normals`): a worker decodes its own marks', and
    # text crosses the pipe to it faster than the decoded form.
    normal: dict | str | None = None
    figure: object = None  # comparisons.image.Figure: its picture and Vienna codes, when it has any
    words: tuple[tuple[str, float], ...] = ()  # words read in its picture, with the OCR confidence

    @classmethod
    def of(cls, row) -> MarkInput:
        """From a stored mark or a register row (anything with these attributes). A stored mark's
        normal form is used only when the normaliser that wrote it is the current one."""
        normal = getattr(row, "normal", None)
        if getattr(row, "normaliser_version", NORMALISER_VERSION) != NORMALISER_VERSION:
            normal = None
        return cls(row.id, row.mark or "", tuple(row.classes or ()), tuple(row.goods or ()),
                   tuple(row.similar_groups or ()), row.applicant, normal)

    def __reduce__(self):
        # As its fields, not the dataclass's state dict: half the pickling time of a chunk's marks.
        return MarkInput, (self.id, self.mark, self.classes, self.goods, self.similar_groups, self.applicant,
                           self.normal, self.figure, self.words)


_DECODED: dict[str, dict] = {}  # stored JSON text → its decoded form, in this process
_DECODED_LIMIT = 100_000


def stored_normals(inputs: Sequence[MarkInput]) -> list[dict | None]:
    """The inputs' stored normal forms, the JSON texts among them decoded: each distinct text once
    in this process (a worker gets every copy of a text), the new ones in one `json.loads`."""
    decoded = _DECODED
    texts = [t for t in dict.fromkeys(m.normal for m in inputs if type(m.normal) is str) if t not in decoded]
    if texts:
        if len(decoded) + len(texts) > _DECODED_LIMIT:
            decoded.clear()
        decoded.update(zip(texts, json.loads("[" + ",".join(texts) + "]")))
    return [decoded[m.normal] if type(m.normal) is str else m.normal for m in inputs]  # type: ignore[misc]


@dataclass
class PairResult:
    mark_pos: int
    brand_pos: int
    match: Match


@dataclass
class ScreenResult:
    hits: list[PairResult] = field(default_factory=list)
    compared: int = 0
    stats: CandidateStats = field(default_factory=CandidateStats)
    seconds: float = 0.0

    def extend(self, other: ScreenResult, offset: int = 0) -> None:
        self.hits.extend(PairResult(h.mark_pos + offset, h.brand_pos, h.match) for h in other.hits)
        self.compared += other.compared
        self.stats.add(other.stats)

    def extend_at(self, other: ScreenResult, positions: Sequence[int]) -> None:
        """`other`'s results for marks that sit at these positions here (its mark i at positions[i])."""
        self.hits.extend(PairResult(positions[h.mark_pos], h.brand_pos, h.match) for h in other.hits)
        self.compared += other.compared
        self.stats.add(other.stats)


@dataclass
class ScreeningContext:
    """What every worker needs, shipped once: brands, their profiles and the key index."""

    brands: list[Brand]
    profiles: list[BrandProfile]
    index: KeyIndex
    default_threshold: float | None = None
    embedding_model_path: str | None = None
    goods_notes_path: str | None = None
    combination: str = "learned"
    word_counts_path: str | None = None
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    pictures: PictureIndex | None = None  # the brands' logos (images.index), when any brand has one

    @property
    def brand_words(self) -> list[str]:
        return [w for b in self.brands for w in (b.mark, *b.aliases)]


# ================================================================ the work itself
def profile_inputs(profiler, inputs: Sequence[MarkInput]) -> list[MarkProfile]:
    """Profiles of stored marks, from the normal forms ingest stored where they still hold."""
    profile = profiler.profile_stored
    return [profile(m.mark, m.classes, goods=m.goods, similar_groups=m.similar_groups, applicant=m.applicant,
                    ref=m.id, stored=normal, words=m.words, figure=m.figure)
            for m, normal in zip(inputs, stored_normals(inputs))]


def score_pairs(matcher: Matcher, brands: Sequence[BrandProfile], marks: Sequence[MarkProfile],
                pairs: Sequence[tuple[int, int]], meaning: Sequence[bool] | None = None) -> list[PairResult]:
    """The full scorer on the candidate pairs; the similar ones. `meaning`: per pair, whether a
    meaning family hit it (`KeyIndex.candidate_pairs_with_meaning`); the others skip that channel,
    which can find nothing for them (unless an embedding model, which has no keys, is configured)."""
    hits = []
    compare = matcher.compare_profiles
    if meaning is None or matcher.embedder is not None:
        meaning = [True] * len(pairs)
    for (i, j), with_meaning in zip(pairs, meaning):
        match = compare(brands[j], marks[i], meaning=with_meaning)
        if match.similar:
            hits.append(PairResult(i, j, match))
    return hits


def screen_profiles(matcher: Matcher, ctx_index: KeyIndex, brands: Sequence[BrandProfile],
                    marks: Sequence[MarkProfile], *, eligible: Callable[[int, int], bool] | None = None,
                    stats: CandidateStats | None = None,
                    pictures: PictureIndex | None = None) -> tuple[list[PairResult], int]:
    pairs, meaning = ctx_index.candidate_pairs_with_meaning(marks, stats=stats)
    if pictures is not None and len(pictures):
        pairs, meaning = with_picture_pairs(pictures, marks, pairs, meaning)
    if eligible is not None:
        keep = [eligible(i, j) for i, j in pairs]
        pairs = [p for p, k in zip(pairs, keep) if k]
        meaning = [m for m, k in zip(meaning, keep) if k]
    return score_pairs(matcher, brands, marks, pairs, meaning), len(pairs)


def with_picture_pairs(pictures: PictureIndex, marks: Sequence[MarkProfile], pairs: list[tuple[int, int]],
                       meaning: list[bool]) -> tuple[list[tuple[int, int]], list[bool]]:
    """The key index's pairs and those of marks whose picture is near a brand logo (the family
    image_neighbour; their meaning channel is skipped unless a meaning key also hit them)."""
    from markwatch.matching.comparisons.image import CANDIDATE_COSINE

    figures = [getattr(mp.figure, "picture", None) for mp in marks]
    if not any(f is not None for f in figures):
        return pairs, meaning
    have = set(pairs)
    extra = [p for p in pictures.pairs(figures, floor=CANDIDATE_COSINE) if p not in have]
    if not extra:
        return pairs, meaning
    merged = sorted(zip(pairs + extra, meaning + [False] * len(extra)))
    return [p for p, _ in merged], [m for _, m in merged]


def screen_partition(ctx: ScreeningContext, inputs: Sequence[MarkInput],
                     watermarks: Sequence[int] | None = None, *, matcher: Matcher | None = None) -> ScreenResult:
    """Screen one partition of marks; mark positions in the result are positions in `inputs`."""
    started = time.perf_counter()
    matcher, profiler = _worker_state(ctx, matcher)
    with collector_paused():  # (about a quarter of normalising, with the collector on)
        marks = profile_inputs(profiler, inputs)
        ids = [inp.id for inp in inputs]
        eligible = None
        if watermarks is not None:
            def eligible(i, j):
                return ids[i] > watermarks[j]
        stats = CandidateStats()
        hits, compared = screen_profiles(matcher, ctx.index, ctx.profiles, marks, eligible=eligible, stats=stats,
                                         pictures=ctx.pictures)
    return ScreenResult(hits=hits, compared=compared, stats=stats, seconds=time.perf_counter() - started)


_STATE: dict[str, tuple[Matcher, object]] = {}


def _worker_state(ctx: ScreeningContext, matcher: Matcher | None):
    """The matcher and batch profiler of this process for this context (built once per worker)."""
    from markwatch.matching.profiles import FastProfiler

    if matcher is not None:
        key = f"{ctx.token}:{id(matcher)}"
        if key not in _STATE:
            matcher.normaliser.add_brand_words(ctx.brand_words)
            _STATE.clear()
            _STATE[key] = (matcher, FastProfiler(matcher))
        return _STATE[key]
    state = _STATE.get(ctx.token)
    if state is None:
        m = build_matcher(MatcherSpec(ctx.default_threshold, ctx.embedding_model_path, ctx.goods_notes_path,
                                      ctx.combination, ctx.word_counts_path))
        m.normaliser.add_brand_words(ctx.brand_words)
        ctx.index.lexicon = m.lexicon
        ctx.index.goods_table = m.goods_table
        if m.embedder is not None:
            ctx.index.attach_embedder(m.embedder, ctx.profiles, m.default_threshold)
        _STATE.clear()
        state = _STATE[ctx.token] = (m, FastProfiler(m))
    return state


def partitions(n: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(n, s + size)) for s in range(0, n, size)]


def worker_shares(inputs: Sequence[MarkInput], workers: int) -> list[list[int]]:
    """The positions of `inputs` each worker screens: every copy of a mark text with the same worker."""
    shares: list[list[int]] = [[] for _ in range(workers)]
    for pos, inp in enumerate(inputs):
        shares[hash(inp.mark) % workers].append(pos)
    return shares


# ================================================================ engines
class LocalEngine:
    """This process, or `workers` forked processes sharing the context copy-on-write.

    The workers are forked once per context (a run), after the matcher's lazily built tables are
    loaded, and kept for every chunk of the run: each chunk's marks go to them by pipe. A fork per
    chunk would load those tables again in every worker and copy the parent's pages again.

    Each mark text always goes to the same worker (by its hash, the same in every process of the
    run): what screening keeps per distinct text (keys, checks, rebuilt forms, the scorer's word
    tables) is then built once, not once in every worker."""

    name = "local"

    def __init__(self, workers: int = 1, partition: int = PARTITION):
        self.workers = max(1, int(workers))
        self.partition = partition
        self._pools: list[Any] = []  # one multiprocessing.pool.Pool of one process per worker, while up
        self._pool_key: tuple | None = None

    def screen(self, ctx: ScreeningContext, inputs: Sequence[MarkInput], watermarks: Sequence[int] | None = None,
               *, matcher: Matcher | None = None) -> ScreenResult:
        return self.submit(ctx, inputs, watermarks, matcher=matcher)()

    @property
    def works_apart(self) -> bool:
        """Whether the work of `submit` runs in other processes while the caller goes on."""
        return self.workers > 1 and "fork" in multiprocessing.get_all_start_methods()

    def submit(self, ctx: ScreeningContext, inputs: Sequence[MarkInput], watermarks: Sequence[int] | None = None,
               *, matcher: Matcher | None = None) -> Callable[[], ScreenResult]:
        """Start screening these marks; the returned call waits for the result. With forked workers
        they work while the caller goes on (reads the next chunk, commits the last one); in this
        process the work is done when the result is asked for."""
        started = time.perf_counter()
        if self.workers == 1 or len(inputs) <= self.partition or "fork" not in multiprocessing.get_all_start_methods():
            def here() -> ScreenResult:
                result = ScreenResult()
                for lo, hi in partitions(len(inputs), self.partition):
                    result.extend(screen_partition(ctx, inputs[lo:hi], watermarks, matcher=matcher), lo)
                result.seconds = time.perf_counter() - started
                return result
            return here
        pools = self._forked(ctx, matcher)
        wm = list(watermarks) if watermarks is not None else None
        jobs = []  # (positions in `inputs`, pending result)
        for pool, share in zip(pools, worker_shares(inputs, len(pools))):
            for lo, hi in partitions(len(share), self.partition):
                positions = share[lo:hi]
                jobs.append((positions, pool.apply_async(_fork_task, (([inputs[p] for p in positions], wm),))))

        def forked() -> ScreenResult:
            result = ScreenResult()
            for positions, pending in jobs:
                result.extend_at(pending.get(), positions)
            result.hits.sort(key=lambda h: (h.mark_pos, h.brand_pos))  # the order one process gives
            result.seconds = time.perf_counter() - started
            return result
        return forked

    def _forked(self, ctx: ScreeningContext, matcher: Matcher | None) -> list[Any]:
        """The workers of this context (forked on first use, after the warm-up)."""
        global _FORK_JOB
        key = (ctx.token, id(matcher))
        if self._pools and self._pool_key == key:
            return self._pools
        self.close()
        m, profiler = _worker_state(ctx, matcher)
        m.warm_up(profiler)  # the lexicon's reverse index, readings, part-of-speech tags: once, shared
        ctx.index.warm_up()
        _FORK_JOB = (ctx, matcher)
        with heap_frozen_for_fork():
            fork = multiprocessing.get_context("fork")
            self._pools = [fork.Pool(1) for _ in range(self.workers)]
        self._pool_key = key
        return self._pools

    def close(self) -> None:
        global _FORK_JOB
        for pool in self._pools:
            pool.terminate()  # every result the run wants has been taken (or the run failed)
        for pool in self._pools:
            pool.join()
        self._pools = []
        self._pool_key = None
        _FORK_JOB = None


_FORK_JOB: tuple | None = None


def _fork_task(job: tuple) -> ScreenResult:
    ctx, matcher = _FORK_JOB  # type: ignore[misc]
    inputs, watermarks = job
    return screen_partition(ctx, inputs, watermarks, matcher=matcher)


def _dask_task(ctx: ScreeningContext, inputs: list, watermarks: list | None) -> ScreenResult:
    return screen_partition(ctx, inputs, watermarks)


class DaskEngine:
    """Partitions of marks on a Dask cluster; a LocalCluster (2 processes) when no address is given."""

    name = "dask"

    def __init__(self, address: str | None = None, *, n_workers: int = 2, threads_per_worker: int = 1,
                 processes: bool = True, partition: int = PARTITION):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise MissingExtra("the dask engine", "dask", "dask[distributed]") from exc
        self.partition = partition
        self._cluster = None
        self._shipped: tuple | None = None
        try:
            if address:
                self.client = Client(address, timeout="20s")
            else:
                self._cluster = LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker,
                                             processes=processes, dashboard_address=None)
                self.client = Client(self._cluster)
        except OSError as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {address!r}: {exc}. Start one with "
                              "`dask scheduler` (and workers with `dask worker ADDRESS`), or leave --scheduler "
                              "out to use a local cluster") from exc

    def screen(self, ctx: ScreeningContext, inputs: Sequence[MarkInput], watermarks: Sequence[int] | None = None,
               *, matcher: Matcher | None = None) -> ScreenResult:
        started = time.perf_counter()
        if self._shipped is None or self._shipped[0] != ctx.token:
            # Once per run: every worker receives the brands, profiles and key index a single time.
            self._shipped = (ctx.token, self.client.scatter(ctx, broadcast=True))
        shipped = self._shipped[1]
        wm = list(watermarks) if watermarks is not None else None
        parts = partitions(len(inputs), self.partition)
        futures = [self.client.submit(_dask_task, shipped, list(inputs[lo:hi]), wm, pure=False) for lo, hi in parts]
        result = ScreenResult()
        for (lo, _hi), part in zip(parts, self.client.gather(futures)):
            result.extend(part, lo)
        result.seconds = time.perf_counter() - started
        return result

    def submit(self, ctx: ScreeningContext, inputs: Sequence[MarkInput], watermarks: Sequence[int] | None = None,
               *, matcher: Matcher | None = None) -> Callable[[], ScreenResult]:
        result = self.screen(ctx, inputs, watermarks, matcher=matcher)
        return lambda: result

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()


def default_local_workers(most: int = 2) -> int:
    """Worker processes for a command-line run: the cores this process may use, up to `most`; one
    where processes cannot be forked."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover  (not on Linux)
        cores = os.cpu_count() or 1
    return max(1, min(most, cores))


def make_engine(name: str = "local", *, scheduler_address: str | None = None, workers: int | None = None):
    """The engine called `name`: "local" (this process; `workers` forks) or "dask"."""
    if name == "local":
        if scheduler_address:
            raise ConfigError("--scheduler only applies to the dask engine (use --engine dask)")
        env = os.environ.get("MARKWATCH_LOCAL_WORKERS")
        return LocalEngine(workers=workers or (int(env) if env else 1))
    if name == "dask":
        return DaskEngine(scheduler_address)
    raise ConfigError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
