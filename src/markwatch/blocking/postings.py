"""Postings as flat arrays: key → brand-form ids, in key order, gathered with numpy."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from markwatch.matching.registry import CHECKED, MEANING_FAMILIES, Family


class FlatPostings:
    """Postings as arrays, in key order: a block of marks' postings is gathered at once with numpy.

    `slot[key]` is the key's position; its form ids are `data[offsets[slot]:offsets[slot + 1]]`.
    """

    def __init__(self, keys: list[str], offsets: np.ndarray, data: np.ndarray) -> None:
        if len(offsets) != len(keys) + 1 or (len(keys) and offsets[-1] != len(data)):
            raise ValueError("postings arrays do not agree with the key list")
        self.keys = keys
        self.offsets = offsets.astype(np.int64)
        self.data = data.astype(np.int32)
        self.slot = {k: n for n, k in enumerate(keys)}
        self.checked = self._of_families(CHECKED)
        self.meaning = self._of_families(MEANING_FAMILIES)

    @classmethod
    def from_dict(cls, postings: Mapping[str, Sequence[int]]) -> FlatPostings:
        keys = sorted(postings)
        lengths = np.fromiter((len(postings[k]) for k in keys), dtype=np.int64, count=len(keys))
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        data = np.fromiter((f for k in keys for f in postings[k]), dtype=np.int32, count=int(offsets[-1]))
        return cls(keys, offsets, data)

    def _run(self, prefix: str) -> tuple[int, int]:
        """Where the keys starting with `prefix` are (keys are sorted, so they are one run)."""
        lo = bisect.bisect_left(self.keys, prefix)
        return lo, bisect.bisect_left(self.keys, prefix[:-1] + chr(ord(prefix[-1]) + 1), lo)

    def family(self, family: Family) -> list[str]:
        """The keys of one family."""
        lo, hi = self._run(family.code)
        return self.keys[lo:hi]

    def _of_families(self, families: Iterable[Family]) -> np.ndarray:
        """Per key: whether it belongs to one of these families."""
        mask = np.zeros(len(self.keys), dtype=bool)
        for family in families:
            lo, hi = self._run(family.code)
            mask[lo:hi] = True
        return mask

    def as_dict(self) -> dict[str, tuple[int, ...]]:
        flat, bounds = self.data.tolist(), self.offsets.tolist()
        return {k: tuple(flat[bounds[n]:bounds[n + 1]]) for n, k in enumerate(self.keys)}
