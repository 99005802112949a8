"""Score bounds of candidate pairs: from the key families that hit a pair, and per pair from what
an index stores of a mark (syllable shape, sound and look forms) before the mark is profiled.

A clearance search scores its candidates best bound first and stops once no remaining one can
enter the top N: exact, because a pair's evidence only comes from families that hit it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from markwatch.matching.comparisons.look import LOOK_CAP
from markwatch.matching.comparisons.sound import PARTIAL_MIN_SYLLABLES, SOUND_NEAR_WEIGHT, near_reach
from markwatch.matching.registry import ANY, LATIN_RATIO, Family
from markwatch.matching.rules import AGREEMENT_BONUS, AGREEMENT_MAX_KINDS, SOUND
from markwatch.text.normalise import NormalisedMark

if TYPE_CHECKING:
    from markwatch.matching.distinctiveness import Weights


def pair_bound(families: Iterable[Family], *, own: float | None = None,
               overrides: dict[Family, float] | None = None,
               combine: Callable[[float, int], float] | None = None) -> float:
    """Upper bound of the mark score of a pair hit by these key families.

    `own`: a bound known for this very pair (the Latin ratio), used in place of that family's.
    `overrides`: tighter bounds known for this very pair, by family (the partial sound rule's).
    The matcher adds the agreement bonus for each further evidence kind: a family standing for two
    kinds counts as both (and as a kind of its own), one of kind ANY as every kind.
    `combine(best, further_kinds)`: the matcher's bound of its combination (Matcher.mark_bound) when
    it is not the rules' (the learned one is monotone in every finding, so this bounds it too).
    """
    fams = set(families)
    if not fams:
        return 0.0
    if own is not None:
        overrides = {**(overrides or {}), LATIN_RATIO: own}
    best = max((overrides[f] if overrides and f in overrides else f.bound) for f in fams)
    kinds = {f if f.also is not None else f.kind for f in fams}
    extra = len(kinds) - 1 + sum(1 for f in fams if f.also is not None)
    if any(f.kind == ANY for f in fams):
        extra = AGREEMENT_MAX_KINDS
    combined = (best + AGREEMENT_BONUS * min(AGREEMENT_MAX_KINDS, extra)) if combine is None else combine(best, extra)
    # Scores are reported rounded to 4 places: the bound is rounded up to them (float noise aside).
    return min(1.0, math.ceil(combined * 10_000 - 1e-6) / 10_000)


# ---------------------------------------------------------------- the partial sound rule, per pair
# A stored mark's "syllable shape": bit L set when one of its written forms has L syllables read one
# per Han character; the flags say that a form is read otherwise, or is too long for the bits.
SHAPE_MAX_SYLLABLES = 29
SHAPE_UNEVEN = 1 << 30
SHAPE_LONG = 1 << 31


def syllable_shape(forms: Sequence[NormalisedMark]) -> int:
    shape = 0
    for nm in forms:
        n = len(nm.pinyin)
        if n != len(nm.chinese):
            shape |= SHAPE_UNEVEN
        if n > SHAPE_MAX_SYLLABLES:
            shape |= SHAPE_LONG
        elif n:
            shape |= 1 << n
    return shape


def sound_near_bound(query: Sequence[NormalisedMark], shape: int, *, same_sound_key: bool) -> float:
    """The highest score the partial sound rule (weight × (1 − d/n), d the syllable edit distance, n
    the longer length) can give a pair, knowing only the stored mark's syllable shape.

    d is at least the difference in length; for equal lengths it is at least 1 unless the pair shares
    a same-sound key (equal fuzzy syllables at the first two positions), which every pair of equal
    fuzzy sequences does when both forms are read one syllable per character.
    """
    if shape & SHAPE_LONG:
        return SOUND_NEAR_WEIGHT
    best = 0.0
    for b in query:
        lq = len(b.pinyin)
        if lq < PARTIAL_MIN_SYLLABLES:
            continue
        even = not same_sound_key and lq == len(b.chinese) and not shape & SHAPE_UNEVEN
        lengths = shape & ((1 << (SHAPE_MAX_SYLLABLES + 1)) - 1) & ~0b111
        while lengths:
            low = lengths & -lengths
            lengths ^= low
            best = max(best, partial_sound_reach(lq, low.bit_length() - 1, at_least_one=even))
    return best


def partial_sound_reach(lq: int, lc: int, *, at_least_one: bool) -> float:
    """The partial sound rule's highest score for syllable counts `lq` and `lc`: the edit distance d is
    at least their difference, and at least 1 for equal counts when `at_least_one`."""
    if min(lq, lc) < PARTIAL_MIN_SYLLABLES:
        return 0.0
    return near_reach(abs(lq - lc) or (1 if at_least_one else 0), lq, lc)


# ---------------------------------------------------------------- sound and look, per pair
# What the sound and look channels read of a written form (its Han part and its toneless and toned
# pinyin) as one string, so that an index can store it for every mark and a search can compute those
# channels' scores before profiling the mark: "chinese\x01pinyin\x01tones", forms joined by "\x02".
def sound_look_forms(forms: Sequence[NormalisedMark]) -> str:
    return "\x02".join(f"{nm.chinese}\x01{' '.join(nm.pinyin)}\x01{' '.join(nm.pinyin_tone)}"
                       for nm in forms if nm.chinese)


def parse_sound_look_forms(stored: str) -> tuple[NormalisedMark, ...]:
    out = []
    for part in stored.split("\x02") if stored else ():
        chinese, pinyin, tones = part.split("\x01")
        out.append(NormalisedMark(original=chinese, text=chinese, core=chinese, chinese=chinese, latin="", digits="",
                                  pinyin=tuple(pinyin.split()), pinyin_tone=tuple(tones.split())))
    return tuple(out)


def sound_look_reach(query: Sequence[NormalisedMark], stored: Sequence[NormalisedMark], *,
                     same_sound_key: bool) -> tuple[float, float]:
    """Quick upper bounds of `sound_look_scores` from the lengths alone.

    Look needs Han parts of equal length. The same-length sound rule needs equal syllable counts and,
    when both forms are read one syllable per character, a shared same-sound key; otherwise the
    partial rule gives weight × (1 − d/n) with d at least the difference in length, and at least 1 for
    equal lengths (equal fuzzy sequences would share a same-sound key).
    """
    sound = look = 0.0
    for b in query:
        lq = len(b.pinyin)
        if not b.chinese:
            continue
        for c in stored:
            lc = len(c.pinyin)
            if len(c.chinese) == len(b.chinese):
                look = LOOK_CAP
            if not lq or not lc:
                continue
            even = lq == len(b.chinese) and lc == len(c.chinese)
            if lq == lc and (same_sound_key or not even):
                sound = max(sound, SOUND["identical"])
                continue
            sound = max(sound, partial_sound_reach(lq, lc, at_least_one=True))
    return sound, look


def sound_look_scores(query: Sequence[NormalisedMark],
                      stored: Sequence[NormalisedMark]) -> tuple[float, float, float]:
    """The best sound and the best look evidence over every pair of forms, and the cap the
    homophone rule puts on the whole mark score (1.0 when it does not apply): what those channels
    give the pair, computed from the stored forms alone."""
    from markwatch.matching.comparisons.look import look_finding
    from markwatch.matching.comparisons.sound import homophone_cap, sound_finding

    sound = look = 0.0
    cap = 1.0
    for b in query:
        if not b.chinese:
            continue
        for c in stored:
            found = sound_finding(b, c)
            if found is not None:
                sound = max(sound, found[1])
            seen = look_finding(b, c)
            if seen is not None:
                look = max(look, seen[0])
            found_cap = homophone_cap(b, c)
            if found_cap is not None:
                cap = min(cap, found_cap)
    return sound, look, cap


def shared_part_reach(query: Sequence[NormalisedMark], stored: Sequence[NormalisedMark],
                      weights: Callable[[NormalisedMark], Weights] | None = None) -> float:
    """An upper bound of the alignment evidence (registry.SHARED_PART) over every pair of forms, from
    the Han parts and, when the brand's goods are known, its forms' weights (`weights(form)`, the
    matcher's `brand_weights`): `alignment.alignment_reach`."""
    from markwatch.matching.comparisons.alignment import alignment_reach

    best = 0.0
    for b in query:
        if not b.chinese:
            continue
        bw = weights(b) if weights is not None else None
        for c in stored:
            if c.chinese:
                best = max(best, alignment_reach(b.chinese, c.chinese, bw))
    return best
