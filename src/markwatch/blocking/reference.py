"""The exact reference: every (mark, brand) pair through the full scorer.

Tests check on generated data with planted variants of every kind that the candidates
(`blocking.key_index.KeyIndex`) lose no pair it flags.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence


def all_pairs(n_marks: int, n_brands: int) -> Iterator[tuple[int, int]]:
    """The exact reference: every pair."""
    for i in range(n_marks):
        for j in range(n_brands):
            yield i, j


def brute_force(matcher, brands: Sequence, marks: Sequence, *, mark_positions: Sequence[int] | None = None
                ) -> set[tuple[int, int]]:
    """Score every (mark, brand) pair with the full scorer; the flagged pairs (mark pos, brand pos)."""
    flagged: set[tuple[int, int]] = set()
    positions = range(len(marks)) if mark_positions is None else mark_positions
    for i in positions:
        mp = marks[i]
        for j, bp in enumerate(brands):
            if matcher.compare_profiles(bp, mp).similar:
                flagged.add((i, j))
    return flagged
