"""Pinyin and Latin: a bare pinyin mark against its characters, and Latin against look- or sound-alike Latin."""

from __future__ import annotations

from functools import lru_cache

import jellyfish
from rapidfuzz import fuzz

from markwatch.matching.comparisons.base import Evidence, evidence
from markwatch.matching.rules import (
    LATIN,
    LATIN_CONTAINS_MIN_LETTERS,
    LATIN_RATIO_MIN_LENGTH,
    LATIN_REORDER_MAX_LETTERS,
    PINYIN_PREFIX_MIN_LETTERS,
)
from markwatch.text.normalise import NormalisedMark

# Latin letters that read alike on a label (BMW / BMN, 0/O).
_LOOKALIKE_LETTERS = {frozenset(p) for p in ("mn", "nw", "mw", "oq", "il", "uv", "vw", "ce", "cg", "ef", "pr", "bd")}


@lru_cache(maxsize=100_000)
def metaphone(text: str) -> str:
    return jellyfish.metaphone(text)


# Latin parts alike by ratio score this share of it (from a ratio of LATIN["alike_min_ratio"]); near
# metaphones score a fixed amount. The clearance search bounds the pairs it has not scored with the same figures.
LATIN_ALIKE_WEIGHT = LATIN["alike_weight"]
LATIN_SOUNDS_NEAR = LATIN["sounds_near"]


def metaphones_near(ma: str, mb: str) -> bool:
    """Two metaphones near enough for the Latin sound rule (equal ones aside)."""
    return bool(ma and mb and len(ma) >= 4 and fuzz.ratio(ma, mb) >= LATIN["metaphone_near_ratio"])


def latin_containment_needles(nm: NormalisedMark) -> tuple[str, str]:
    """What the Latin containment rules look for in another mark's Latin part: this form's Latin part
    (from LATIN_CONTAINS_MIN_LETTERS letters) and its pinyin (from PINYIN_PREFIX_MIN_LETTERS); "" when
    too short."""
    return (nm.latin if len(nm.latin) >= LATIN_CONTAINS_MIN_LETTERS else "",
            nm.pinyin_text if len(nm.pinyin_text) >= PINYIN_PREFIX_MIN_LETTERS else "")


def one_letter_added_reach(letters: int) -> bool:
    """Short Latin parts of this many letters are compared as letters rearranged with one added."""
    return 2 <= letters <= LATIN_REORDER_MAX_LETTERS


def one_latin_edit(a: str, b: str) -> bool:
    """Latin parts of LATIN_RATIO_MIN_LENGTH letters or more, with the same first letter, one edit apart:
    a letter changed, added or dropped, or two neighbours swapped (optimal string alignment distance 1)."""
    from rapidfuzz.distance import OSA

    return (min(len(a), len(b)) >= LATIN_RATIO_MIN_LENGTH and a[0] == b[0] and a != b
            and abs(len(a) - len(b)) <= 1 and OSA.distance(a, b, score_cutoff=1) == 1)


def _letters_alike(x: str, y: str) -> bool:
    return x == y or frozenset((x, y)) in _LOOKALIKE_LETTERS


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (ü written v), from pypinyin's readings of all characters."""
    import unicodedata

    from pypinyin.pinyin_dict import pinyin_dict

    out = set()
    for readings in pinyin_dict.values():
        for r in readings.split(","):
            plain = "".join(ch for ch in unicodedata.normalize("NFKD", r).replace("u\u0308", "v")
                            if not unicodedata.combining(ch))
            if plain.isascii() and plain.isalpha():
                out.add(plain.lower())
    return frozenset(out)


def own_pinyin(nm: NormalisedMark) -> bool:
    """Whether the form's Latin part only spells the pinyin of its own Han part (天猫 TIAN MAO)."""
    return bool(nm.latin and nm.chinese and nm.latin == nm.pinyin_text)


def latin_similarity(b: NormalisedMark, c: NormalisedMark, *, well_known: bool = False) -> list[Evidence]:
    found: list[Evidence] = []
    bl, cl = b.latin, c.latin
    # Each Latin part only spells its own characters: the Chinese parts decide, as examiners read
    # such marks (天猫 TIAN MAO / 天茂 TIAN MAO are compared as 天猫 / 天茂).
    transliterations = own_pinyin(b) and own_pinyin(c)
    if bl and cl and bl != cl:
        found.extend(_latin_vs_latin(bl, cl))
        if not transliterations and one_latin_edit(bl, cl):
            found.append(evidence("latin", "latin_one_edit", LATIN["one_edit"], a=bl.upper(), b=cl.upper()))
    elif bl and cl and bl == cl and len(bl) > 1 and (b.chinese or c.chinese) and b.core != c.core \
            and not transliterations:  # one letter in common is no evidence (K 甲 / K 乙)
        found.append(evidence("latin", "latin_alike", LATIN["same_latin_part"], a=bl.upper(), b=cl.upper()))
    # Pinyin of one side's characters written as the other side's Latin (蒙牛 / MENGNIU).
    for han_side, latin_side in ((b, c), (c, b)):
        py, lat = han_side.pinyin_text, latin_side.latin
        if not py or not lat or latin_side.chinese == han_side.chinese or own_pinyin(latin_side):
            continue
        if py == lat:
            score = LATIN["pinyin_equals_latin"] if well_known else LATIN["pinyin_equals_latin_not_well_known"]
            found.append(evidence("pinyin", "pinyin_of_mark", score, a=han_side.chinese, b=lat.upper()))
        elif len(py) >= PINYIN_PREFIX_MIN_LETTERS and latin_side is c and lat.startswith(py):
            found.append(evidence("pinyin", "pinyin_prefix", LATIN["pinyin_prefix_of_latin"],
                                  a=han_side.chinese, b=lat.upper()))
        elif len(py) >= 6 and latin_side is c and py in lat:
            found.append(evidence("pinyin", "pinyin_prefix", LATIN["pinyin_prefix_of_latin"] - 0.04,
                                  a=han_side.chinese, b=lat.upper()))
    return found


def _latin_vs_latin(bl: str, cl: str) -> list[Evidence]:
    found: list[Evidence] = []
    short = min(len(bl), len(cl))
    if short >= LATIN_RATIO_MIN_LENGTH:
        ratio = fuzz.ratio(bl, cl) / 100
        if ratio >= LATIN["alike_min_ratio"]:
            found.append(evidence("latin", "latin_alike", round(LATIN_ALIKE_WEIGHT * ratio, 4),
                                  a=bl.upper(), b=cl.upper()))
        mb, mc = metaphone(bl), metaphone(cl)
        if len(mb) >= 3 and mb == mc and fuzz.ratio(bl, cl) >= 50:
            found.append(evidence("latin", "latin_sound", LATIN["sounds_same"], a=bl.upper(), b=cl.upper()))
        elif metaphones_near(mb, mc) and ratio >= LATIN["sounds_near_min_ratio"]:
            found.append(evidence("latin", "latin_sound", LATIN_SOUNDS_NEAR, a=bl.upper(), b=cl.upper()))
        if len(bl) >= LATIN_CONTAINS_MIN_LETTERS and bl in cl and len(cl) <= len(bl) + 8:
            found.append(evidence("contains", "contains", LATIN["contains"], a=bl.upper()))
    elif len(bl) == len(cl) and short >= 2:
        diffs = [(x, y) for x, y in zip(bl, cl) if x != y]
        if len(diffs) == 1 and _letters_alike(*diffs[0]):
            found.append(evidence("latin", "latin_alike", LATIN["one_letter_alike"], a=bl.upper(), b=cl.upper()))
    if one_letter_added_reach(len(bl)) and len(cl) == len(bl) + 1 and sorted(bl) != sorted(cl):
        # BMW / MBWL: the brand's letters rearranged with one added.
        rest = list(cl)
        if all(ch in rest and not rest.remove(ch) for ch in bl):  # type: ignore[func-returns-value]
            found.append(evidence("order", "reordered", LATIN["reordered_letters"], a=bl.upper(), b=cl.upper()))
    return found
