"""The composition root: how the matching engines of one process are built, in one place.

The service (CLI, API, web, scheduler), the Dask workers and the tests all build their matcher here,
so a worker on another machine scores exactly as the service that sent it work. What a worker needs
to rebuild the engines travels as a small ``MatcherSpec``; the engines themselves are built once per
process and shared (building the goods table and the lexicon takes seconds).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markwatch.config import Settings
    from markwatch.matching.matcher import Matcher
    from markwatch.text.normalise import Normaliser


@dataclass(frozen=True)
class MatcherSpec:
    """What decides how marks are scored, apart from the shipped data: picklable, so it can be sent."""

    default_threshold: float | None = None  # None: the rules' DEFAULT_THRESHOLD
    embedding_model_path: str | None = None  # a sentence-transformers folder; None: dictionary only
    goods_notes_path: str | None = None  # the 区分表's notes (goods.notes); None: the table alone
    combination: str = "learned"  # how findings combine: "rules" or "learned" (matching.combination)
    word_counts_path: str | None = None  # words counted among stored marks (service.words); None: none

    @classmethod
    def from_settings(cls, settings: Settings) -> MatcherSpec:
        return cls(default_threshold=settings.default_threshold, embedding_model_path=settings.embedding_model_path,
                   goods_notes_path=settings.goods_notes_path, combination=settings.combination,
                   word_counts_path=settings.word_counts_path)


def build_matcher(spec: MatcherSpec = MatcherSpec(), *, normaliser: Normaliser | None = None) -> Matcher:
    """A matcher with the shipped goods table and lexicon, and the embedder the spec names."""
    from markwatch.goods.table import SimilarGoodsTable
    from markwatch.matching.combination import combination_named
    from markwatch.matching.comparisons.meaning import Embedder
    from markwatch.matching.matcher import Matcher
    from markwatch.matching.rules import DEFAULT_THRESHOLD
    from markwatch.text.lexicon import Lexicon
    from markwatch.text.normalise import Normaliser

    embedder = Embedder.from_path(spec.embedding_model_path) if spec.embedding_model_path else None
    threshold = DEFAULT_THRESHOLD if spec.default_threshold is None else spec.default_threshold
    table = SimilarGoodsTable.load()
    if spec.goods_notes_path:
        from markwatch.goods.notes import GoodsNotes

        table = table.with_notes(GoodsNotes.from_file(spec.goods_notes_path))
    distinctiveness = None  # None: the matcher builds it from the goods table alone
    if spec.word_counts_path:
        from markwatch.matching.distinctiveness import Distinctiveness, WordCounts

        distinctiveness = Distinctiveness.from_goods_table(
            table, mark_frequency=WordCounts.load(Path(spec.word_counts_path)))
    return Matcher(normaliser=normaliser or Normaliser(), goods_table=table,
                   lexicon=Lexicon.load(), embedder=embedder, default_threshold=threshold,
                   distinctiveness=distinctiveness, combination=combination_named(spec.combination))


def plain_matcher(matcher: Matcher) -> Matcher:
    """The same engines with a normaliser that protects no watched words and no embedder: what the
    register's stored keys are built with, so that they do not depend on which brands a process knows."""
    from markwatch.text.normalise import Normaliser

    return replace(matcher, normaliser=Normaliser(), embedder=None)


class Engines:
    """The matching engines of one process, built on first use (thread-safe) or handed in ready."""

    def __init__(self, spec: MatcherSpec = MatcherSpec(), *, matcher: Matcher | None = None) -> None:
        self.spec = spec
        self._matcher = matcher
        self._normaliser = matcher.normaliser if matcher is not None else None
        self._lock = threading.RLock()

    @classmethod
    def of(cls, matcher: Matcher) -> Engines:
        """Engines around a matcher built elsewhere (shared between services, or a test double)."""
        return cls(matcher=matcher)

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            with self._lock:  # the API's worker threads may ask at once
                if self._matcher is None:
                    self._matcher = build_matcher(self.spec, normaliser=self.normaliser)
        return self._matcher

    @property
    def normaliser(self) -> Normaliser:
        """The matcher's normaliser, available without building the matcher (ingest needs only it)."""
        if self._normaliser is None:
            from markwatch.text.normalise import Normaliser

            with self._lock:
                if self._normaliser is None:
                    self._normaliser = Normaliser()
        return self._normaliser

    def __repr__(self) -> str:
        state = "built" if self._matcher is not None else "not built"
        return f"Engines({self.spec!r}, {state})"
