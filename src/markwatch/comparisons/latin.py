"""Pinyin and Latin: a bare pinyin mark against its characters, and Latin against look- or sound-alike Latin."""

from __future__ import annotations

from functools import lru_cache

import jellyfish
from rapidfuzz import fuzz

from ..normalise import NormalisedMark
from ..rules import LATIN
from .base import Evidence, evidence

# Latin letters that read alike on a label (BMW / BMN, 0/O).
_LOOKALIKE_LETTERS = {frozenset(p) for p in ("mn", "nw", "mw", "oq", "il", "uv", "vw", "ce", "cg", "ef", "pr", "bd")}


@lru_cache(maxsize=100_000)
def metaphone(text: str) -> str:
    return jellyfish.metaphone(text)


# Latin parts alike by ratio score this share of it (from a ratio of 0.8); near metaphones score a fixed
# amount. The clearance search bounds the pairs it has not scored with the same figures.
LATIN_ALIKE_WEIGHT = 0.95
LATIN_SOUNDS_NEAR = 0.78


def _letters_alike(x: str, y: str) -> bool:
    return x == y or frozenset((x, y)) in _LOOKALIKE_LETTERS


def latin_similarity(b: NormalisedMark, c: NormalisedMark, *, well_known: bool = False) -> list[Evidence]:
    found: list[Evidence] = []
    bl, cl = b.latin, c.latin
    if bl and cl and bl != cl:
        found.extend(_latin_vs_latin(bl, cl))
    elif bl and cl and bl == cl and (b.chinese or c.chinese) and b.core != c.core:
        found.append(evidence("latin", "latin_alike", 0.9, a=bl.upper(), b=cl.upper()))
    # Pinyin of one side's characters written as the other side's Latin (蒙牛 / MENGNIU).
    for han_side, latin_side in ((b, c), (c, b)):
        py, lat = han_side.pinyin_text, latin_side.latin
        if not py or not lat or latin_side.chinese == han_side.chinese:
            continue
        if py == lat:
            score = LATIN["pinyin_equals_latin"] if well_known else LATIN["pinyin_equals_latin_not_well_known"]
            found.append(evidence("pinyin", "pinyin_of_mark", score, a=han_side.chinese, b=lat.upper()))
        elif len(py) >= 5 and latin_side is c and lat.startswith(py):
            found.append(evidence("pinyin", "pinyin_prefix", LATIN["pinyin_prefix_of_latin"],
                                  a=han_side.chinese, b=lat.upper()))
        elif len(py) >= 6 and latin_side is c and py in lat:
            found.append(evidence("pinyin", "pinyin_prefix", LATIN["pinyin_prefix_of_latin"] - 0.04,
                                  a=han_side.chinese, b=lat.upper()))
    return found


def _latin_vs_latin(bl: str, cl: str) -> list[Evidence]:
    found: list[Evidence] = []
    short = min(len(bl), len(cl))
    if short >= 4:
        ratio = fuzz.ratio(bl, cl) / 100
        if ratio >= 0.8:
            found.append(evidence("latin", "latin_alike", round(LATIN_ALIKE_WEIGHT * ratio, 4),
                                  a=bl.upper(), b=cl.upper()))
        mb, mc = metaphone(bl), metaphone(cl)
        if len(mb) >= 3 and mb == mc and fuzz.ratio(bl, cl) >= 50:
            found.append(evidence("latin", "latin_sound", 0.85, a=bl.upper(), b=cl.upper()))
        elif mb and mc and len(mb) >= 4 and fuzz.ratio(mb, mc) >= 80 and ratio >= 0.7:
            found.append(evidence("latin", "latin_sound", LATIN_SOUNDS_NEAR, a=bl.upper(), b=cl.upper()))
        if len(bl) >= 4 and bl in cl and len(cl) <= len(bl) + 8:
            found.append(evidence("contains", "contains", 0.85, a=bl.upper()))
    elif len(bl) == len(cl) and short >= 2:
        diffs = [(x, y) for x, y in zip(bl, cl) if x != y]
        if len(diffs) == 1 and _letters_alike(*diffs[0]):
            found.append(evidence("latin", "latin_alike", 0.8, a=bl.upper(), b=cl.upper()))
    if 2 <= len(bl) <= 6 and len(cl) == len(bl) + 1 and sorted(bl) != sorted(cl):
        # BMW / MBWL: the brand's letters rearranged with one added.
        rest = list(cl)
        if all(ch in rest and not rest.remove(ch) for ch in bl):  # type: ignore[func-returns-value]
            found.append(evidence("order", "reordered", 0.74, a=bl.upper(), b=cl.upper()))
    return found
