"""Candidate generation (blocking, 候选生成): which brands a mark must be fully compared with.

The full scorer (`Matcher.compare_profiles`) costs about 100 µs a pair, so it cannot see every
(gazette mark, brand) pair. Blocking keys pick the pairs worth scoring: a mark and a brand become a
candidate pair when they share a key. The keys are not heuristics: each family below is a
*necessary condition* of one kind of evidence the matcher can produce, so a pair with no shared key
gets no evidence at all and cannot be flagged (nor rank in a clearance search). Families:

=====  ==========================================  =================================================
key    evidence it is necessary for                condition (brand side b, mark side c)
=====  ==========================================  =================================================
r      identical, generic added, traditional,      the cores with repeated characters collapsed are
       repeated (洽洽/洽洽洽)                        equal
o      reordered (安途/途安)                         same sorted core
c      contained (the mark is part of the brand)   the mark's core is a substring of the brand's
b, B   contains (周黑鸭 → 汉味周黑鸭)                 the brand's first two characters (B: first four,
                                                   when not Chinese) occur in the mark (checked: the
                                                   whole core occurs)
u      contains, one-character brand (茅 → 金茅)     the character occurs in a mark of ≤ 3 characters
q      contains as a subsequence (六个核桃 →          the brand's first three characters at positions
       六个石磨核桃)                                  0, ≤4, ≤5 of a mark 1 to 3 characters longer
                                                   (checked: subsequence)
Q      look-alike tail (恒源祥/恒源彩羊)              same first two characters and a length within
                                                   reach (checked: look-alike subsequence)
1      one character changed (帕尔斯/帕尔特)          equal after blanking one position (checked:
                                                   same Latin part)
k, K   look (康师傅/康帅傅, 雪碧/雷碧)                 same length, the first character (K, search:
                                                   the first two) equal or look-alike (checked:
                                                   every position)
p      sound, same length (立康/利康)                 the first two syllables share a (fuzzy,
                                                   heteronym) reading (checked: every position)
n      sound, 2 of 3 syllables alike                syllable sequences within the edit distance the
                                                   rule allows: shared deletion neighbourhood
                                                   (checked; screening: its score can reach the
                                                   brand's threshold); long sequences compared
                                                   directly
y/Y    pinyin written as Latin (蒙牛/MENGNIU)         one side's pinyin equals the other's Latin
L      Latin contains / pinyin prefix              a 4-6 letter window of the mark's Latin equals
                                                   the brand's first letters (checked)
l      same Latin part, Chinese differs            equal Latin parts
x, w   short Latin reordered / one letter alike    sorted letters less one; equal but one position
m      Latin sounds alike                          equal metaphone
(~)    Latin alike (ratio ≥ 0.8, or ≥ 0.7 with     rapidfuzz `cdist` over the distinct Latin parts
       metaphones alike)
g/G    geographical-indication place name          the place name's first two characters occur in
                                                   the mark's text (checked: the whole name)
i/j    meaning: a part written the same            equal Chinese part / equal Latin part
t/h/H  meaning: translation, contained translation gloss keys of one side equal the other's Latin
                                                   (or a run of its words); a headword glossed by
                                                   the Latin equals a part (or a substring)
P      meaning: translation composed from glosses  the first and last segments' glosses are a
       (金天鹅 / GOLDEN SWAN)                        prefix and a suffix of the Latin
e      meaning: two Latin renderings of one word   a shared Chinese headword
S      meaning: synonym substitution (红牛/赤牛)      first and last characters of a span of the mark
                                                   equal those of a synonym / shared-gloss partner
                                                   of the brand's first and last units, and the
                                                   span's length is one the alignment can give
                                                   (S=: a one-character brand, whole parts only)
=====  ==========================================  =================================================

Brand-side keys are widened (look-alike characters, every reading of a heteronym, glosses,
synonyms) so that the mark side stays cheap: the mark side is the big one (a whole gazette or a
register of millions). "Checked" families are loose on purpose and confirmed with a cheap test
before the full scorer runs. On top, a pair can only be *flagged* when the goods overlap at all
(same class or group, a side without classes, or a well-known brand): `goods_may_overlap`.

The exact reference, `brute_force`, scores every pair; tests check on generated data with planted
variants of every kind that the candidates lose no pair it flags.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations, repeat

import numpy as np

from .comparisons.sound import fuzzy_syllable, readings
from .normalise import NormalisedMark

# Bump when a key family changes what it emits: saved indexes carry it and are rebuilt when it differs.
KEYS_VERSION = "7"
# The edit-distance floor of the partial sound rule (comparisons.sound: 2 of 3 syllables alike).
SOUND_NEAR_MIN_SIMILARITY = 0.66
# The partial sound rule scores 0.85 x similarity (comparisons.sound).
SOUND_NEAR_BOUND = 0.85
# Syllable sequences up to this length use deletion neighbourhoods (at most ~800 keys); a longer one is
# compared directly with the few forms whose length can be within reach.
DELETION_MAX_SYLLABLES = 12
# Latin parts of at least this many letters go through the vectorised ratio comparison.
LATIN_RATIO_MIN_LENGTH = 4
LATIN_RATIO_CUTOFF = 69  # rapidfuzz ratio: the lowest the Latin rules look at (metaphone-near + 0.7)
# Latin containment keys: the brand's first (up to) 6 letters; the mark's windows of 4, 5 and 6 letters.
LATIN_WINDOWS = (4, 5, 6)

EXACT_FAMILIES = frozenset("rocuyYlxwmijthHPeS")
CHECKED_FAMILIES = frozenset("bBqQ1kKpnLG")
# Marks whose postings are gathered together in screening (a few hundred thousand postings).
PAIRS_BLOCK = 4096


# ================================================================ score bounds
# The "1" keys whose wildcard is the first character ("1*…"): a search tags them apart, because a
# pair that differs in its first character only scores one_changed_first_differs at most.
FIRST_CHANGED = "1*"


def family_of_key(key: str) -> str:
    """The family a key stands for in score bounds: its first character, or FIRST_CHANGED."""
    return FIRST_CHANGED if key.startswith(FIRST_CHANGED) else key[0]


def family_bounds() -> dict[str, float]:
    """The highest evidence score each key family can stand for (read from the rules where they are
    named there; the literals are those of comparisons/ today, and tests check them on data).

    A clearance search scores its candidates best bound first and stops once no remaining one can
    enter the top N: exact, because a pair's evidence only comes from families that hit it.
    """
    from .comparisons.meaning import CONTAINED_TRANSLATION_SCORE, SYNONYM_SCORE, TRANSLATION_SCORE
    from .rules import LATIN, SOUND, STRUCTURE

    return {
        "r": 1.0, "o": STRUCTURE["reordered"], "c": STRUCTURE["contained_in_brand"],
        "b": max(STRUCTURE["contains_multi"], 0.85, STRUCTURE["gi_same_place"]),
        "B": max(STRUCTURE["contains_multi"], 0.85),
        "u": STRUCTURE["contains_single"], "q": STRUCTURE["contains_multi"] - 0.08,
        "Q": STRUCTURE["contains_multi"] - 0.15,
        "1": max(STRUCTURE["one_changed_3plus"], STRUCTURE["one_changed_first_differs"]),
        FIRST_CHANGED: max(STRUCTURE["one_changed_first_differs"], STRUCTURE["one_changed_meaning_differs"]),
        "k": LOOK_BOUND, "K": LOOK_BOUND, "p": SOUND["identical"], "n": SOUND_NEAR_BOUND,
        "y": max(LATIN["pinyin_equals_latin"], LATIN["pinyin_equals_latin_not_well_known"]),
        "Y": max(LATIN["pinyin_equals_latin"], LATIN["pinyin_equals_latin_not_well_known"]),
        "L": max(0.85, LATIN["pinyin_prefix_of_latin"]), "l": 0.9, "x": 0.74, "w": 0.8, "m": 0.85,
        "~": 0.95,  # Latin ratio (cdist)
        "G": STRUCTURE["gi_same_place"],
        "i": 1.0, "j": 1.0, "t": TRANSLATION_SCORE, "h": TRANSLATION_SCORE,
        "H": max(TRANSLATION_SCORE, CONTAINED_TRANSLATION_SCORE), "P": TRANSLATION_SCORE,
        "e": SYNONYM_SCORE, "S": SYNONYM_SCORE,
    }


# Which evidence kind each family stands for: the matcher adds 0.02 for each of up to two further
# strong evidence kinds, and a kind only appears when its family hit the pair.
FAMILY_KIND = {
    "b": "contains", "B": "contains", "u": "contains", "q": "contains", "Q": "contains", "c": "contains",
    "r": "identical", "o": "order", "x": "order", "1": "structure", FIRST_CHANGED: "structure", "k": "look", "K": "look", "p": "sound", "n": "sound",
    "y": "pinyin", "Y": "pinyin", "l": "latin", "w": "latin", "m": "latin", "~": "latin",
    "G": "place", "i": "meaning", "j": "meaning", "S": "meaning", "e": "meaning",
    "t": "translation", "h": "translation", "H": "translation", "P": "translation",
}
# The families the meaning channel's findings need (the meaning and translation kinds).
MEANING_FAMILIES = frozenset(f for f, kind in FAMILY_KIND.items() if kind in ("meaning", "translation"))
# Families that can stand for two kinds at once (Latin containment and pinyin prefix).
TWO_KIND_FAMILIES = frozenset("L")


# The highest look finding (comparisons.look caps its score there).
LOOK_BOUND = 0.98


def pair_bound(families: Iterable[str], bounds: dict[str, float], *, own: float | None = None,
               overrides: dict[str, float] | None = None) -> float:
    """Upper bound of the mark score of a pair hit by these key families (1.0 for unknown ones).

    `own`: a bound known for this very pair (the Latin ratio), used in place of the family's.
    `overrides`: tighter bounds known for this very pair, by family (the partial sound rule's).
    """
    fams = set(families)
    if not fams:
        return 0.0
    if own is not None:
        overrides = {**(overrides or {}), "~": own}
    best = max(((overrides or {}).get(f) if overrides and f in overrides else bounds.get(f, 1.0)) for f in fams)
    kinds = {FAMILY_KIND.get(f, f) for f in fams}
    extra = len(kinds) - 1 + sum(1 for f in fams if f in TWO_KIND_FAMILIES)
    if any(f not in FAMILY_KIND and f not in TWO_KIND_FAMILIES for f in fams):
        extra = 2
    # Scores are reported rounded to 4 places: the bound is rounded up to them (float noise aside).
    return min(1.0, math.ceil((best + 0.02 * min(2, extra)) * 10_000 - 1e-6) / 10_000)


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
    """The highest score the partial sound rule (0.85 × (1 − d/n), d the syllable edit distance, n
    the longer length) can give a pair, knowing only the stored mark's syllable shape.

    d is at least the difference in length; for equal lengths it is at least 1 unless the pair shares
    a same-sound key ("p": equal fuzzy syllables at the first two positions), which every pair of
    equal fuzzy sequences does when both forms are read one syllable per character.
    """
    if shape & SHAPE_LONG:
        return SOUND_NEAR_BOUND
    best = 0.0
    for b in query:
        lq = len(b.pinyin)
        if lq < 3:
            continue
        even = not same_sound_key and lq == len(b.chinese) and not shape & SHAPE_UNEVEN
        lengths = shape & ((1 << (SHAPE_MAX_SYLLABLES + 1)) - 1) & ~0b111
        while lengths:
            low = lengths & -lengths
            lengths ^= low
            best = max(best, _partial_sound_reach(lq, low.bit_length() - 1, at_least_one=even))
    return best


def _partial_sound_reach(lq: int, lc: int, *, at_least_one: bool) -> float:
    """The partial sound rule's highest score for syllable counts `lq` and `lc`: the edit distance d is
    at least their difference, and at least 1 for equal counts when `at_least_one`."""
    if min(lq, lc) < 3:
        return 0.0
    d = abs(lq - lc) or (1 if at_least_one else 0)
    sim = 1.0 - d / max(lq, lc)
    return round(SOUND_NEAR_BOUND * sim, 4) if sim >= SOUND_NEAR_MIN_SIMILARITY - 1e-9 else 0.0


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
    when both forms are read one syllable per character, a shared same-sound key ("p"); otherwise the
    partial rule gives 0.85 × (1 − d/n) with d at least the difference in length, and at least 1 for
    equal lengths (equal fuzzy sequences would share a "p" key).
    """
    from .rules import SOUND

    sound = look = 0.0
    for b in query:
        lq = len(b.pinyin)
        if not b.chinese:
            continue
        for c in stored:
            lc = len(c.pinyin)
            if len(c.chinese) == len(b.chinese):
                look = LOOK_BOUND
            if not lq or not lc:
                continue
            even = lq == len(b.chinese) and lc == len(c.chinese)
            if lq == lc and (same_sound_key or not even):
                sound = max(sound, SOUND["identical"])
                continue
            sound = max(sound, _partial_sound_reach(lq, lc, at_least_one=True))
    return sound, look


def sound_look_scores(query: Sequence[NormalisedMark],
                      stored: Sequence[NormalisedMark]) -> tuple[float, float, float]:
    """The best sound and the best look evidence over every pair of forms, and the cap the
    homophone rule puts on the whole mark score (1.0 when it does not apply): what those channels
    give the pair, computed from the stored forms alone."""
    from .comparisons.look import look_finding
    from .comparisons.sound import HOMOPHONE_CAP, homophone_caps, sound_finding

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
            if homophone_caps(b, c):
                cap = min(cap, HOMOPHONE_CAP)
    return sound, look, cap


# ================================================================ small helpers
def collapse_repeats(text: str) -> str:
    out = []
    prev = None
    for ch in text:
        if ch != prev:
            out.append(ch)
        prev = ch
    return "".join(out)


def is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _fuzzy_readings(ch: str, primary: str) -> frozenset[str]:
    got = _FUZZY_READINGS.get((ch, primary))
    if got is None:
        got = frozenset(fuzzy_syllable(s) for s in (readings(ch) | {primary}))
        _FUZZY_READINGS[(ch, primary)] = got
    return got


_FUZZY_READINGS: dict[tuple[str, str], frozenset[str]] = {}


def sound_positions_match(b: NormalisedMark, c: NormalisedMark) -> bool:
    """Every position shares a (fuzzy, heteronym) reading: the same-length sound rule's condition."""
    if len(b.pinyin) != len(c.pinyin) or not b.pinyin or len(b.chinese) != len(b.pinyin) \
            or len(c.chinese) != len(c.pinyin):
        return False
    return all(_fuzzy_readings(x, px) & _fuzzy_readings(y, py)
               for x, px, y, py in zip(b.chinese, b.pinyin, c.chinese, c.pinyin))


def alike_subsequence(short: str, long: str) -> bool:
    """`short` in order within `long`, each character equal or a look-alike (structure's rule)."""
    from .comparisons.look import lookalike

    pos = 0
    for ch in short:
        while pos < len(long) and not (ch == long[pos] or lookalike(ch, long[pos]) > 0):
            pos += 1
        if pos == len(long):
            return False
        pos += 1
    return True


def fuzzy_sequence(nm: NormalisedMark) -> tuple[str, ...]:
    return tuple(fuzzy_syllable(s) for s in nm.pinyin)


def _max_edits(length: int) -> int:
    return int((1.0 - SOUND_NEAR_MIN_SIMILARITY) * length + 1e-9)


def sound_near_possible(b: NormalisedMark, c: NormalisedMark, *, at_least: float = 0.0) -> bool:
    """The partial sound rule can fire (and, with `at_least`, its score 0.85 x similarity reach it)."""
    if min(len(b.pinyin), len(c.pinyin)) < 3:
        return False
    from rapidfuzz.distance import Levenshtein

    n = max(len(b.pinyin), len(c.pinyin))
    d = Levenshtein.distance(fuzzy_sequence(b), fuzzy_sequence(c))
    if d > _max_edits(n):
        return False
    return at_least <= 0 or SOUND_NEAR_BOUND * (1.0 - d / n) >= at_least - 1e-9


def latin_metaphones_near(a: str, b: str) -> bool:
    """The metaphone condition of the Latin sound rule (comparisons.latin), with a little slack."""
    from rapidfuzz import fuzz

    from .comparisons.latin import metaphone

    ma, mb = metaphone(a), metaphone(b)
    return bool(ma and mb and (ma == mb or (len(ma) >= 4 and fuzz.ratio(ma, mb) >= 79)))


def _deletion_keys(seq: tuple[str, ...]) -> set[str]:
    k = _max_edits(len(seq))
    out = {"n" + " ".join(seq)}
    for d in range(1, k + 1):
        for drop in combinations(range(len(seq)), d):
            out.add("n" + " ".join(s for i, s in enumerate(seq) if i not in drop))
    return out


def _is_han(ch: str) -> bool:
    """normalise.is_han without the regular expression (same ranges)."""
    return ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"
            or "\U00020000" <= ch <= "\U0003134f")


def _HAN2(pair: str) -> bool:
    return len(pair) == 2 and _is_han(pair[0]) and _is_han(pair[1])


def _wildcards(text: str) -> list[str]:
    return [text[:i] + "*" + text[i + 1:] for i in range(len(text))]


# ================================================================ form keys
def sound_keys(nm: NormalisedMark, han: str, out: set[str]) -> None:
    """Keys of the first two syllables (with every fuzzy reading) and syllable deletions; the same on
    the brand and the mark side, so that any pair the sound channel can flag shares one."""
    py = nm.pinyin
    if py and len(py) == len(han):
        if len(py) == 1:
            for f0 in _fuzzy_readings(han[0], py[0]):
                out.add("p1" + f0)
        else:
            for f0 in _fuzzy_readings(han[0], py[0]):
                for f1 in _fuzzy_readings(han[1], py[1]):
                    out.add(f"p{len(py)}{f0}|{f1}")
    if 3 <= len(py) <= DELETION_MAX_SYLLABLES:
        out |= _deletion_keys(fuzzy_sequence(nm))


def mark_form_keys(c: NormalisedMark, out: set[str], *, one_char_places: bool = True,
                   search_look: bool = True) -> None:
    """Keys of one written form of a gazette / register mark (the cheap side).

    `one_char_places`: also the keys of one-character place names (a watchlist without such a
    geographical-indication brand does not need them). `search_look`: also the look keys over the
    first two characters, which only clearance queries have ("K"; a watchlist has "k")."""
    cs = c.core
    if not cs:
        return
    n = len(cs)
    out.add("r" + collapse_repeats(cs))
    if n >= 2:
        out.add("o" + "".join(sorted(cs)))
        out.add("c" + cs)
        for i in range(n - 1):
            pair = cs[i:i + 2]
            if _HAN2(pair):
                out.add("b" + pair)
            else:
                for k in (2, 3, 4):
                    if i + k <= n:
                        out.add("B" + cs[i:i + k])
        if n <= 3:
            for ch in cs:
                out.add("u" + ch)
        if n >= 4:
            # A brand embedded as a subsequence keeps its k-th character within positions k..k+3.
            head = f"q{n}{cs[0]}"
            for a in range(1, min(4, n - 2) + 1):
                for b in range(a + 1, min(5, n - 1) + 1):
                    out.add(head + cs[a] + cs[b])
            out.add(f"Q{cs[:2]}{n - 1}")
            out.add(f"Q{cs[:2]}{n - 2}")
    ct = c.chinese
    if len(ct) >= 3:
        for w in _wildcards(ct):
            out.add("1" + w)
    if ct:
        out.add(f"k{len(ct)}{ct[0]}")
        if search_look:
            out.add(f"K{len(ct)}{ct[:2]}")
    sound_keys(c, ct, out)
    cl = c.latin
    ptext = c.pinyin_text
    if cl:
        out.add("y" + cl)
        out.add("l" + cl)
        for k in LATIN_WINDOWS:
            for i in range(len(cl) - k + 1):
                out.add("L" + cl[i:i + k])
        if 2 <= len(cl) <= 3:
            for w in _wildcards(cl):
                out.add("w" + w)
        if 3 <= len(cl) <= 7:
            for i in set(range(len(cl))):
                out.add("x" + "".join(sorted(cl[:i] + cl[i + 1:])))
        if len(cl) >= LATIN_RATIO_MIN_LENGTH:
            from .comparisons.latin import metaphone

            mp = metaphone(cl)
            if mp:
                out.add("m" + mp)
    if ptext:
        out.add("Y" + ptext)
    text = c.text
    if text != cs:
        # Place names are looked for in the text (generic words included): its bigrams too.
        for i in range(len(text) - 1):
            pair = text[i:i + 2]
            if _HAN2(pair):
                out.add("b" + pair)
    if one_char_places:
        for ch in text:
            out.add("G" + ch)


@dataclass
class BrandKeyContext:
    """What brand-side keys need besides the form: look-alikes, the lexicon, place splitting."""

    lexicon: object | None = None
    goods_table: object | None = None
    lookalike_floor: float | None = None
    _lookalike_cache: dict = field(default_factory=dict, repr=False)

    def neighbours(self, ch: str) -> set[str]:
        got = self._lookalike_cache.get(ch)
        if got is None:
            from .glyphs import lookalikes
            from .rules import LOOK

            floor = LOOK["lookalike_floor"] if self.lookalike_floor is None else self.lookalike_floor
            got = {ch} | {other for other, _ in lookalikes(ch, floor)}
            self._lookalike_cache[ch] = got
        return got


def brand_form_keys(b: NormalisedMark, ctx: BrandKeyContext, out: set[str], *, search: bool = False) -> None:
    """Keys of one written form of a watched brand (the widened side).

    `search`: keys for a clearance query against the register, where the query is one and the
    register is huge: look-alikes are widened over the first two characters ("K", a few hundred
    keys, few hits) instead of the first one ("k", a few dozen keys per brand for screening).
    """
    bs = b.core
    if not bs:
        return
    n = len(bs)
    out.add("r" + collapse_repeats(bs))
    if n >= 2:
        out.add("o" + "".join(sorted(bs)))
        low = max(2, (n + 1) // 2)
        for k in range(low, n):
            for i in range(n - k + 1):
                out.add("c" + bs[i:i + k])
        if _HAN2(bs[:2]):
            out.add("b" + bs[:2])
        else:
            out.add("B" + bs[:4])
    else:
        out.add("u" + bs)
    if n >= 3:
        # The subsequence rule wants a mark 1 to 3 characters longer: its keys carry its length.
        for longer in range(n + 1, n + 4):
            out.add(f"q{longer}{bs[:3]}")
        out.add(f"Q{bs[:2]}{n}")
    bt = b.chinese
    if len(bt) >= 3:
        for w in _wildcards(bt):
            out.add("1" + w)
    if bt:
        if not search or len(bt) == 1:
            for x in ctx.neighbours(bt[0]):
                out.add(f"k{len(bt)}{x}")
        else:
            for x in ctx.neighbours(bt[0]):
                for y in ctx.neighbours(bt[1]):
                    out.add(f"K{len(bt)}{x}{y}")
    sound_keys(b, bt, out)
    bl = b.latin
    ptext = b.pinyin_text
    if bl:
        out.add("Y" + bl)
        out.add("l" + bl)
        if len(bl) >= 4:
            out.add("L" + bl[:LATIN_WINDOWS[-1]])
        if 2 <= len(bl) <= 3:
            for w in _wildcards(bl):
                out.add("w" + w)
        if 2 <= len(bl) <= 6:
            out.add("x" + "".join(sorted(bl)))
        if len(bl) >= LATIN_RATIO_MIN_LENGTH:
            from .comparisons.latin import metaphone

            mp = metaphone(bl)
            if mp:
                out.add("m" + mp)
    if ptext:
        out.add("y" + ptext)
        if len(ptext) >= 5:
            out.add("L" + ptext[:LATIN_WINDOWS[-1]])


def place_split(b: NormalisedMark, kind: str, ctx: BrandKeyContext) -> tuple[str, str] | None:
    """(place, product) when the place-name rule applies to this brand form, as the matcher decides."""
    from .comparisons.structure import GI_KINDS, place_and_product

    split = None
    if ctx.goods_table is not None and b.chinese:
        from .places import split_place_product

        split = split_place_product(b.chinese, ctx.goods_table.is_goods_word)  # type: ignore[attr-defined]
    if kind not in GI_KINDS and split is None:
        return None
    return split or place_and_product(b)


def place_keys(place: str) -> set[str]:
    """A place name's key: its first two characters share the "b" bigram keys (checked: the whole
    name in the mark's text); a one-character name has its own."""
    return {"b" + place[:2]} if len(place) >= 2 else ({"G" + place} if place else set())


# ================================================================ meaning keys
def _meaning_parts(text: str):
    from .comparisons.meaning import _parts

    return _parts(text)


def _word_runs(latin: str) -> list[str]:
    from .comparisons.meaning import _word_runs as runs

    return runs(latin)


def mark_meaning_keys(texts: Iterable[str], lexicon, out: set[str], *, p_heads: frozenset[str] | None = None,
                      p_tails: frozenset[str] | None = None, h_words: frozenset[str] | None = None,
                      s_firsts: frozenset[str] | None = None, s_ends: frozenset[tuple[str, str]] | None = None,
                      s_max_span: int | None = None) -> None:
    """Meaning-channel keys of a mark's texts (the whole text and its written parts).

    `p_heads`, `p_tails`, `h_words`, `s_firsts`, `s_ends`, `s_max_span`: what the brand side has keys
    for (composed-gloss heads and tails, headwords, synonym first characters and (first, last) pairs,
    longest synonym span); when given, mark keys that could not meet a brand key are not built.
    """
    if lexicon is None:
        return
    from .lexicon import normalize_english

    for text in texts:
        if not text:
            continue
        parts = _meaning_parts(text)
        for cz in parts.zh:
            out.add("i" + cz)
            n = len(cz)
            out.add(f"S={cz[0]}|{cz[-1]}|{n}")  # a whole part aligned with a one-character brand
            if h_words is None or cz in h_words:
                out.add("H" + cz)
            for i in range(n):
                for j in range(i + 2, n + 1):
                    if h_words is None or cz[i:j] in h_words:
                        out.add("H" + cz[i:j])
                if s_firsts is not None and cz[i] not in s_firsts:
                    continue
                top = n if s_max_span is None else min(n, i + s_max_span)
                first = cz[i]
                for j in range(i, top):
                    if s_ends is None or (first, cz[j]) in s_ends:
                        out.add(f"S{first}|{cz[j]}|{j - i + 1}")
            # Composed glosses: the first and the last segment of any span of two or more characters.
            for i in range(n):
                for j in range(i + 2, n + 1):
                    span = j - i
                    for a in range(1, min(span - 1, _MAX_WORD) + 1):
                        head = cz[i:i + a]
                        if p_heads is not None and head not in p_heads:
                            continue
                        for b in range(1, min(span - a, _MAX_WORD) + 1):
                            tail = cz[j - b:j]
                            if p_tails is None or tail in p_tails:
                                out.add(f"P{head}|{tail}")
        for cl in parts.latin:
            key = normalize_english(cl)
            if not key:
                continue
            out.add("j" + key)
            out.add("t" + key)
            for run in _word_runs(cl):
                rk = normalize_english(run)
                if rk:
                    out.add("t" + rk)
            for h in lexicon.chinese_for(cl):
                out.add("h" + h)
                if len(h) >= 2:
                    out.add("e" + h)


# Longest span a synonym alignment is followed to (longer spans are not emitted on either side).
_MAX_SPAN = 64
# Longest word a composed gloss segment can be (segments are lexicon words; brand names can be long).
_MAX_WORD = 8


def brand_meaning_keys(texts: Iterable[str], lexicon, out: set[str]) -> None:
    """Meaning-channel keys of a brand's texts (mark, aliases and written parts)."""
    if lexicon is None:
        return
    from .comparisons.meaning import DISTINCTIVE_GLOSS_MAX_HEADWORDS, PRIMARY_SENSES
    from .lexicon import normalize_english

    def partners(x: str) -> set[str]:
        got = {x} | lexicon.synonyms(x)
        if len(x) >= 2:
            for g in lexicon.word_glosses(x, names=False)[:PRIMARY_SENSES]:
                if lexicon.headword_count(g) <= DISTINCTIVE_GLOSS_MAX_HEADWORDS:
                    got |= {y for y in lexicon.chinese_for(g) if len(y) >= 2}
        return got

    for text in texts:
        if not text:
            continue
        parts = _meaning_parts(text)
        for bz in parts.zh:
            out.add("i" + bz)
            out.add("h" + bz)
            for k in lexicon.gloss_keys(bz):
                out.add("t" + k)
            # Synonym alignment (matched unit by unit, each unit equal, a synonym or sharing a gloss):
            # the first and last characters of the aligned span, and the span's possible lengths.
            # Units are at most _MAX_SPAN characters: every substring of a long text would cost
            # O(n^2) lexicon look-ups and O(n^3) bytes, and no aligned span is longer anyway.
            n = len(bz)
            unit_partners = {
                (i, k): partners(bz[i:k]) for i in range(n) for k in range(i + 1, min(n, i + _MAX_SPAN) + 1)
            }
            firsts = {y[0] for k in range(1, min(n, _MAX_SPAN) + 1) for y in unit_partners[(0, k)] if y}
            lasts = {y[-1] for i in range(max(0, n - _MAX_SPAN), n) for y in unit_partners[(i, n)] if y}
            reach: list[set[int]] = [set() for _ in range(n + 1)]
            reach[0].add(0)
            for i in range(n):
                if not reach[i]:
                    continue
                for k in range(i + 1, min(n, i + _MAX_SPAN) + 1):
                    lengths = {len(y) for y in unit_partners[(i, k)] if y}
                    reach[k] |= {t + ln for t in reach[i] for ln in lengths if t + ln <= _MAX_SPAN}
            # A one-character brand is only aligned with a whole part (no partial alignment).
            tag = "S=" if n == 1 else "S"
            for f in firsts:
                for la in lasts:
                    for span in reach[n]:
                        out.add(f"{tag}{f}|{la}|{span}")
        for bl in parts.latin:
            key = normalize_english(bl)
            if not key:
                continue
            out.add("j" + key)
            for h in lexicon.chinese_for(bl):
                out.add("H" + h)
                if len(h) >= 2:
                    out.add("e" + h)
            for h, t in composed_translation_ends(key, lexicon):
                out.add(f"P{h}|{t}")


def composed_translation_ends(key: str, lexicon) -> set[tuple[str, str]]:
    """(first segment, last segment) of the Chinese words whose composed gloss can be `key`.

    A composed gloss is the glosses of the segments end to end (lexicon.composed_glosses, spaces
    and case aside): a head gloss that is a prefix of the key, glosses of any middle segments, a tail
    gloss that is a suffix. Ends are only paired when they leave a middle made of glosses: TONELSUN
    pairs 到 (to) with 太阳 (sun) only if some word means "nel". A segment without glosses of its own
    borrows a synonym's, so the ends' synonyms count too.
    """
    n = len(key)
    glossed = [[False] * (n + 1) for _ in range(n + 1)]
    for i in range(n):
        for j in range(i + 1, n + 1):
            glossed[i][j] = lexicon.headword_count(key[i:j]) > 0

    def ends(words: set[str]) -> set[str]:
        words = words | {s for w in words for s in lexicon.synonyms(w)}
        return {w for w in words if len(w) <= _MAX_WORD}

    heads = {i: ends(lexicon.chinese_for(key[:i])) for i in range(1, n) if glossed[0][i]}
    tails = {j: ends(lexicon.chinese_for(key[j:])) for j in range(1, n) if glossed[j][n]}
    out: set[tuple[str, str]] = set()
    for j, tail_words in tails.items():
        if not tail_words:
            continue
        # fills[i]: key[i:j] is empty or splits into glosses, so a head ending at i meets this tail.
        fills = [False] * (j + 1)
        fills[j] = True
        for i in range(j - 1, 0, -1):
            fills[i] = any(glossed[i][k] and fills[k] for k in range(i + 1, j + 1))
        for i, head_words in heads.items():
            if i <= j and fills[i]:
                out.update((h, t) for h in head_words for t in tail_words)
    return out


def meaning_texts_of_brand(bp) -> list[str]:
    """The texts the matcher's meaning channel reads for a brand (matcher._meaning)."""
    return list(dict.fromkeys([bp.brand.mark, *bp.brand.aliases] + [f.original for f in bp.forms]))


def meaning_texts_of_mark(mp) -> list[str]:
    return list(dict.fromkeys([mp.text] + [f.original for f in mp.forms]))


# ================================================================ goods
def _bit(value: object, table) -> int:
    if isinstance(value, int):
        return value if 1 <= value <= 45 else 46 + value % 17
    code = str(value)
    cls = None
    if table is not None:
        try:
            cls = table.group_class(code)
        except (KeyError, ValueError, AttributeError):
            cls = None
    if isinstance(cls, int) and 1 <= cls <= 45:
        return cls
    return 46 + zlib.crc32(code.encode("utf-8")) % 17


def goods_mask(classes: Iterable[int], groups: Iterable[str], table=None) -> int:
    """Classes and similar groups folded into 63 bits: a shared class or group sets a shared bit."""
    mask = 0
    for c in classes or ():
        try:
            mask |= 1 << _bit(int(c), table)
        except (TypeError, ValueError):
            continue
    for g in groups or ():
        mask |= 1 << _bit(str(g), table)
    return mask


def goods_may_overlap(brand_mask: int, brand_has_classes: bool, well_known: bool,
                      mark_mask: int, mark_has_classes: bool) -> bool:
    """Necessary for goods.goods_overlap > 0: shared group or class, no classes on a side, well known."""
    return well_known or not brand_has_classes or not mark_has_classes or bool(brand_mask & mark_mask)


# ================================================================ the watch-side index
@dataclass
class CandidateStats:
    marks: int = 0
    keyed_pairs: int = 0  # pairs sharing a key, before checks
    checked_out: int = 0  # removed by the cheap checks
    goods_out: int = 0  # removed because goods cannot overlap
    pairs: int = 0  # what goes to the full scorer

    def add(self, other: CandidateStats) -> None:
        for k in ("marks", "keyed_pairs", "checked_out", "goods_out", "pairs"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("marks", "keyed_pairs", "checked_out", "goods_out", "pairs")}


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
        self.checked = self._of_families(CHECKED_FAMILIES)
        self.meaning = self._of_families(MEANING_FAMILIES)

    @classmethod
    def from_dict(cls, postings: dict[str, Sequence[int]]) -> FlatPostings:
        keys = sorted(postings)
        lengths = np.fromiter((len(postings[k]) for k in keys), dtype=np.int64, count=len(keys))
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        data = np.fromiter((f for k in keys for f in postings[k]), dtype=np.int32, count=int(offsets[-1]))
        return cls(keys, offsets, data)

    def _run(self, family: str) -> tuple[int, int]:
        """Where the keys of one family are (keys are sorted, so a family is one run of them)."""
        import bisect

        lo = bisect.bisect_left(self.keys, family)
        return lo, bisect.bisect_left(self.keys, chr(ord(family) + 1), lo)

    def family(self, family: str) -> list[str]:
        lo, hi = self._run(family)
        return self.keys[lo:hi]

    def _of_families(self, families: Iterable[str]) -> np.ndarray:
        """Per key: whether it belongs to one of these (one-letter) families."""
        mask = np.zeros(len(self.keys), dtype=bool)
        for family in families:
            lo, hi = self._run(family)
            mask[lo:hi] = True
        return mask

    def as_dict(self) -> dict[str, tuple[int, ...]]:
        flat, bounds = self.data.tolist(), self.offsets.tolist()
        return {k: tuple(flat[bounds[n]:bounds[n + 1]]) for n, k in enumerate(self.keys)}


class KeyIndex:
    """Blocking keys of the watched brands, and the candidate brands of any mark.

    Postings map a key to brand-form ids (`self.form_brand[id]` is the brand position). Built from
    brand profiles (`from_profiles`) or read back from disk (`indexes.WatchIndexStore`).
    """

    def __init__(self) -> None:
        self.flat = FlatPostings([], np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32))
        self._postings: dict[str, tuple[int, ...]] | None = None
        self.form_brand: np.ndarray = np.zeros(0, dtype=np.int32)
        self.forms: list[NormalisedMark] = []
        self.places: dict[int, str] = {}  # brand-form id -> place name (first form of GI-like brands)
        self.brand_mask: np.ndarray = np.zeros(0, dtype=np.int64)
        self.brand_has_classes: np.ndarray = np.zeros(0, dtype=bool)
        self.well_known: np.ndarray = np.zeros(0, dtype=bool)
        self.latin_forms: list[int] = []  # brand-form ids with a Latin part long enough for cdist
        self.long_sound_forms: list[int] = []  # brand-form ids beyond DELETION_MAX_SYLLABLES
        self.sound_by_length: dict[int, list[int]] = {}  # brand-form ids with 9+ syllables by length
        self.size = 0
        self.p_heads: frozenset[str] = frozenset()
        self.p_tails: frozenset[str] = frozenset()
        self.s_ends: frozenset[tuple[str, str]] = frozenset()
        self.search_look = False
        self.h_words: frozenset[str] = frozenset()
        self.s_firsts: frozenset[str] = frozenset()
        self.s_max_span = 0
        self.one_char_places = False
        self._plain: tuple | None = None
        self.embedding = None  # vectors.EmbeddingCandidates when an embedding model is configured
        self.brand_threshold: list[float | None] = []  # per brand; None: the matcher's default
        self.default_threshold = 0.0  # set by the caller (the matcher's); 0 disables threshold checks
        self._threshold_list: list[float] | None = None
        self._look: BrandKeyContext | None = None
        self.lexicon = None
        self.goods_table = None

    # ---------------------------------------------------------------- building
    @classmethod
    def from_profiles(cls, profiles: Sequence, *, lexicon=None, goods_table=None,
                      lookalike_floor: float | None = None, embedder=None,
                      default_threshold: float | None = None) -> KeyIndex:
        """Index brand profiles (matcher.BrandProfile); with an embedder, also their embeddings."""
        ctx = BrandKeyContext(lexicon=lexicon, goods_table=goods_table, lookalike_floor=lookalike_floor)
        self = cls()
        self.lexicon, self.goods_table = lexicon, goods_table
        postings: dict[str, list[int]] = defaultdict(list)
        form_brand: list[int] = []
        masks, has_classes, well_known = [], [], []
        self.brand_threshold = [bp.brand.threshold for bp in profiles]
        if default_threshold is not None:
            self.default_threshold = default_threshold
        for j, bp in enumerate(profiles):
            brand = bp.brand
            meaning: set[str] = set()
            brand_meaning_keys(meaning_texts_of_brand(bp), lexicon, meaning)
            for f, nm in enumerate(bp.forms):
                fid = len(self.forms)
                self.forms.append(nm)
                form_brand.append(j)
                keys: set[str] = set()
                brand_form_keys(nm, ctx, keys)
                if f == 0:
                    keys |= meaning
                    split = place_split(nm, brand.kind, ctx)
                    if split is not None and split[0]:
                        self.places[fid] = split[0]
                        keys |= place_keys(split[0])
                for k in keys:
                    postings[k].append(fid)
                if len(nm.latin) >= LATIN_RATIO_MIN_LENGTH:
                    self.latin_forms.append(fid)
                if len(nm.pinyin) > DELETION_MAX_SYLLABLES:
                    self.long_sound_forms.append(fid)
                if len(nm.pinyin) >= 9:
                    self.sound_by_length.setdefault(len(nm.pinyin), []).append(fid)
            masks.append(goods_mask(brand.classes, bp.groups, goods_table))
            has_classes.append(bool(brand.classes))
            well_known.append(bool(brand.well_known))
        self.flat = FlatPostings.from_dict(postings)
        self._derive()
        self.form_brand = np.asarray(form_brand, dtype=np.int32)
        self.brand_mask = np.asarray(masks, dtype=np.int64)
        self.brand_has_classes = np.asarray(has_classes, dtype=bool)
        self.well_known = np.asarray(well_known, dtype=bool)
        self.size = len(profiles)
        if embedder is not None:
            self.attach_embedder(embedder, profiles, default_threshold)
        return self

    def attach_embedder(self, embedder, profiles: Sequence, default_threshold: float | None) -> None:
        """Embedding candidates: the cosine at which the embedding evidence could reach the lowest
        brand threshold (comparisons.meaning: EMBED_CAP at cosine 1, 0 at EMBED_FLOOR)."""
        from .comparisons.meaning import EMBED_CAP, EMBED_FLOOR
        from .rules import DEFAULT_THRESHOLD
        from .vectors import EmbeddingCandidates

        default = DEFAULT_THRESHOLD if default_threshold is None else default_threshold
        lowest = min((p.brand.threshold if p.brand.threshold is not None else default for p in profiles),
                     default=default)
        min_cosine = EMBED_FLOOR + (1 - EMBED_FLOOR) * min(1.0, max(0.0, lowest) / EMBED_CAP)
        self.embedding = EmbeddingCandidates(embedder, [meaning_texts_of_brand(p) for p in profiles],
                                             min_cosine=min_cosine)

    # ---------------------------------------------------------------- compact form (shipping, saving)
    def to_arrays(self) -> dict[str, np.ndarray]:
        """Postings as flat arrays: keys (one UTF-8 blob, newline-separated), offsets, form ids."""
        blob = "\n".join(self.flat.keys).encode("utf-8")
        return {"keys": np.frombuffer(blob, dtype=np.uint8), "offsets": self.flat.offsets, "data": self.flat.data,
                "form_brand": self.form_brand, "brand_mask": self.brand_mask,
                "brand_has_classes": self.brand_has_classes, "well_known": self.well_known}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        blob = arrays["keys"].tobytes().decode("utf-8")
        keys = blob.split("\n") if blob else []
        self.flat = FlatPostings(keys, arrays["offsets"], arrays["data"])
        self.form_brand = arrays["form_brand"].astype(np.int32)
        self.brand_mask = arrays["brand_mask"].astype(np.int64)
        self.brand_has_classes = arrays["brand_has_classes"].astype(bool)
        self.well_known = arrays["well_known"].astype(bool)
        self.size = len(self.brand_mask)
        self._derive()

    @property
    def postings(self) -> dict[str, tuple[int, ...]]:
        """Key -> brand-form ids, as a dict (for inspection; the search path uses `flat`)."""
        if self._postings is None:
            self._postings = self.flat.as_dict()
        return self._postings

    @property
    def key_count(self) -> int:
        return len(self.flat.keys)

    def _derive(self) -> None:
        self._postings = None
        family = self.flat.family
        p_keys = [k[1:].split("|", 1) for k in family("P")]
        self.p_heads = frozenset(head for head, _ in p_keys)
        self.p_tails = frozenset(tail for _, tail in p_keys)
        self.h_words = frozenset(k[1:] for k in family("H"))
        s_parts = [k[1:].split("|") for k in family("S") if not k.startswith("S=")]
        self.s_firsts = frozenset(first for first, _, _ in s_parts)
        self.s_ends = frozenset((first, last) for first, last, _ in s_parts)
        self.s_max_span = max((int(span) for _, _, span in s_parts), default=0)
        self.one_char_places = bool(family("G"))
        self.search_look = bool(family("K"))

    def __getstate__(self) -> dict:
        # Engines (lexicon, goods table) are not shipped: each worker has its own (engines._worker_state).
        return {"arrays": self.to_arrays(), "forms": [f.as_dict() for f in self.forms], "places": self.places,
                "latin_forms": self.latin_forms, "long_sound_forms": self.long_sound_forms,
                "sound_by_length": self.sound_by_length, "brand_threshold": self.brand_threshold,
                "default_threshold": self.default_threshold}

    def __setstate__(self, state: dict) -> None:
        self.__init__()  # type: ignore[misc]
        self.load_arrays(state["arrays"])
        self.forms = [NormalisedMark.from_dict(d) for d in state["forms"]]
        self.places = {int(k): v for k, v in state["places"].items()}
        self.latin_forms = list(state["latin_forms"])
        self.long_sound_forms = list(state["long_sound_forms"])
        self.sound_by_length = {int(k): list(v) for k, v in state["sound_by_length"].items()}
        self.brand_threshold = list(state.get("brand_threshold", [None] * self.size))
        self.default_threshold = float(state.get("default_threshold", 0.0))

    # ---------------------------------------------------------------- querying
    def _check(self, family: str, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
        """Cheap confirmation of a loose family. `threshold` (screening): the brand's threshold, for
        the one family whose score is known here and is its only evidence (partial sound)."""
        b = self.forms[fid]
        if family in "bB":
            if any(len(c.core) > len(b.core) and b.core in c.core for c in forms):
                return True
            place = self.places.get(fid)
            return place is not None and any(place in c.text for c in forms)
        if family == "q":
            bs = b.core
            return any(len(bs) < len(c.core) <= len(bs) + 3 and c.core[0] == bs[0] and is_subsequence(bs, c.core)
                       for c in forms)
        if family == "Q":
            bs = b.core
            return any(len(bs) < len(c.core) <= len(bs) + 2 and c.core[:2] == bs[:2]
                       and alike_subsequence(bs[2:], c.core[2:]) for c in forms)
        if family == "1":
            return any(c.latin == b.latin and len(c.chinese) == len(b.chinese) for c in forms)
        if family in "kK":
            # comparisons.look.lookalike(x, y) > 0 is the glyph similarity, the larger of the two
            # directions, at or above the floor: y among x's look-alikes or x among y's.
            nb = self._look_context().neighbours
            return any(len(c.chinese) == len(b.chinese) and c.chinese != b.chinese and all(
                x == y or y in nb(x) or x in nb(y) for x, y in zip(b.chinese, c.chinese)) for c in forms)
        if family == "p":
            return any(c.chinese != b.chinese and sound_positions_match(b, c) for c in forms)
        if family == "n":
            return any(sound_near_possible(b, c, at_least=threshold) for c in forms)
        if family == "L":
            bl, py = b.latin, b.pinyin_text
            return any(c.latin and ((len(bl) >= 4 and bl in c.latin)
                                    or (len(py) >= 5 and py in c.latin)) for c in forms)
        if family == "G":
            place = self.places.get(fid)
            return place is not None and any(place in c.text for c in forms)
        return True

    def confirms(self, families: Iterable[str], forms: Sequence[NormalisedMark]) -> bool:
        """Whether the cheap check of any of these (loose) families holds between any brand form
        and the mark's forms: without it, those families' evidence cannot exist."""
        for family in families:
            check = "1" if family == FIRST_CHANGED else family
            if any(self._check(check, fid, forms) for fid in range(len(self.forms))):
                return True
        return False

    def warm_up(self) -> None:
        """Build the lazily derived lists and the glyph look-alike table before the real work."""
        self._lists()
        self._thresholds()
        self._look_context().neighbours("康")

    def _look_context(self) -> BrandKeyContext:
        if self._look is None:
            self._look = BrandKeyContext()
        return self._look

    def _thresholds(self) -> list[float]:
        if self._threshold_list is None:
            self._threshold_list = [self.default_threshold if t is None else t for t in self.brand_threshold]
        return self._threshold_list

    def _lists(self) -> tuple[list[int], list[int], list[bool]]:
        """Plain lists of the per-form / per-brand arrays: the inner loop indexes them per posting."""
        if self._plain is None or len(self._plain[0]) != len(self.form_brand):
            opened = self._opened().tolist()
            self._plain = (self.form_brand.tolist(), self.brand_mask.tolist(), opened)
        return self._plain

    def _opened(self) -> np.ndarray:
        """Per brand: goods never rule it out (well known, or no classes)."""
        return self.well_known | ~self.brand_has_classes

    def candidate_forms(self, forms: Sequence[NormalisedMark], meaning_texts: Sequence[str] = (),
                        stats: CandidateStats | None = None, *, goods: tuple[int, bool] | None = None) -> set[int]:
        """Brand positions that share a key with this mark (checked families confirmed).

        `goods` = (the mark's goods mask, whether it has classes): brands whose goods cannot overlap
        are dropped before any check (`goods_may_overlap`).
        """
        return self._block_candidates([(forms, meaning_texts, goods)], stats)[0][0]

    def _block_candidates(self, items: Sequence[tuple[Sequence[NormalisedMark], Sequence[str], tuple[int, bool] | None]],
                          stats: CandidateStats | None = None) -> tuple[list[set[int]], list[set[int]]]:
        """Candidate brand positions of each (forms, meaning texts, goods) item, and the positions
        among them that a meaning family hit (without one the meaning channel finds nothing).

        The keys are computed per mark; their postings are then gathered and goods-filtered for the
        whole block in numpy, and only pairs that no exact family hit go through the cheap checks.
        """
        flat = self.flat
        slot_of, offsets, data, checked_slot, slot_keys = flat.slot, flat.offsets, flat.data, flat.checked, flat.keys
        nb = max(1, self.size)
        keys: list[str] = []
        counts: list[int] = []
        for forms, texts, _ in items:
            mine = self._mark_keys(forms, texts)
            keys.extend(mine)
            counts.append(len(mine))
        s = np.fromiter(map(slot_of.get, keys, repeat(-1, len(keys))), dtype=np.int64, count=len(keys))
        owners = np.repeat(np.arange(len(items), dtype=np.int64), counts)
        known = s >= 0
        s, owners = s[known], owners[known]
        lens = offsets[s + 1] - offsets[s]
        ends = np.cumsum(lens)
        # Posting n of slot s sits at offsets[s] + n: one arange shifted per slot run.
        at = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) + np.repeat(offsets[s] - (ends - lens), lens)
        fid = data[at]
        mark = np.repeat(owners, lens)
        posting_slot = np.repeat(s, lens)
        brand = self.form_brand[fid].astype(np.int64)
        code = mark * nb + brand
        filtering = np.fromiter((g is not None and g[1] for _, _, g in items), dtype=bool, count=len(items))
        mark_mask = np.fromiter((g[0] if g is not None else 0 for _, _, g in items), dtype=np.int64, count=len(items))
        ok = ~filtering[mark] | self._opened()[brand] | ((self.brand_mask[brand] & mark_mask[mark]) != 0)
        checked = checked_slot[posting_slot]
        direct = np.unique(code[ok & ~checked])
        found: set[int] = set(direct.tolist())
        # Checked families: only for pairs no exact family hit, grouped by (mark, brand form).
        rest = np.flatnonzero(ok & checked)
        rest = rest[~np.isin(code[rest], direct, assume_unique=False)]
        families: dict[tuple[int, int], set[str]] = {}
        for n, f, sl in zip(mark[rest].tolist(), fid[rest].tolist(), posting_slot[rest].tolist()):
            families.setdefault((n, f), set()).add(slot_keys[sl][0])
        thresholds = self._thresholds() if families else None
        form_brand = self._lists()[0]
        for (n, f), fams in families.items():
            j = form_brand[f]
            c = n * nb + j
            if c in found:
                continue
            # Partial sound alone must reach the brand's threshold; with another family hitting the
            # pair, the other evidence decides (and the bonus needs it).
            t = thresholds[j] if filtering[n] and fams == {"n"} else 0.0
            forms = items[n][0]
            if any(self._check(fam, f, forms, t) for fam in fams):
                found.add(c)
        keyed = np.unique(code)
        passed = np.unique(code[ok])
        out: list[set[int]] = [set() for _ in items]
        for c in found:
            out[c // nb].add(c % nb)
        meaning: list[set[int]] = [set() for _ in items]
        for c in np.unique(code[ok & flat.meaning[posting_slot]]).tolist():
            if c in found:
                meaning[c // nb].add(c % nb)
        extra = self._direct_candidates(items, out)
        if stats is not None:
            stats.keyed_pairs += len(keyed) + extra
            stats.goods_out += len(keyed) - len(passed)
            stats.checked_out += len(passed) + extra - sum(len(o) for o in out)
        if self.embedding is not None:
            meaning = [set(o) for o in out]  # embeddings have no keys: the channel may find anything
        return out, meaning

    def _direct_candidates(self, items, out: list[set[int]]) -> int:
        """Candidates found without keys (long syllable sequences, embeddings), added to `out`;
        returns how many (goods-filtered) were looked at."""
        _, masks, opened = self._lists()
        looked = 0
        for n, (forms, texts, goods) in enumerate(items):
            filtering = goods is not None and goods[1]
            mmask = goods[0] if goods is not None else 0
            brands = out[n]
            for c in forms:
                for fid in self._long_sound_partners(c):
                    j = int(self.form_brand[fid])
                    if j in brands or (filtering and not (opened[j] or masks[j] & mmask)):
                        continue
                    looked += 1
                    if sound_near_possible(self.forms[fid], c):
                        brands.add(j)
            if self.embedding is not None:
                for j in self.embedding.candidates(texts):
                    if j not in brands and (not filtering or opened[j] or masks[j] & mmask):
                        looked += 1
                        brands.add(j)
        return looked

    def _mark_keys(self, forms: Sequence[NormalisedMark], meaning_texts: Sequence[str]) -> set[str]:
        """A mark's keys (no cache: gazette marks are mostly distinct, and a cache costs more than it saves)."""
        keys: set[str] = set()
        for c in forms:
            mark_form_keys(c, keys, one_char_places=self.one_char_places, search_look=self.search_look)
        mark_meaning_keys(meaning_texts, self.lexicon, keys, p_heads=self.p_heads, p_tails=self.p_tails,
                          h_words=self.h_words, s_firsts=self.s_firsts, s_ends=self.s_ends,
                          s_max_span=self.s_max_span)
        return keys

    def hit_families(self, forms: Sequence[NormalisedMark], meaning_texts: Sequence[str] = ()) -> dict[int, set[str]]:
        """For each candidate brand, the key families that hit it (checks applied): for bounds and tests."""
        keys = self._mark_keys(forms, meaning_texts)
        form_brand = self._lists()[0]
        out: dict[int, set[str]] = {}
        for k in keys:
            for fid in self.postings.get(k, ()):
                fam = k[0]
                if fam in CHECKED_FAMILIES and not self._check(fam, fid, forms):
                    continue
                out.setdefault(form_brand[fid], set()).add(fam)
        for c in forms:
            for fid in self._long_sound_partners(c):
                if sound_near_possible(self.forms[fid], c):
                    out.setdefault(form_brand[fid], set()).add("n")
        return out

    def _long_sound_partners(self, c: NormalisedMark) -> Iterator[int]:
        """Brand forms to compare directly by syllable edit distance (too long for deletion keys)."""
        n = len(c.pinyin)
        if n < 3:
            return
        for fid in self.long_sound_forms:
            nb = len(self.forms[fid].pinyin)
            if n >= nb - _max_edits(nb):
                yield fid
        if n > DELETION_MAX_SYLLABLES:
            low = n - _max_edits(n)
            for nb, fids in self.sound_by_length.items():
                if low <= nb <= DELETION_MAX_SYLLABLES:
                    yield from fids

    def candidates(self, forms: Iterable[NormalisedMark], meaning_texts: Sequence[str] = ()) -> set[int]:
        """Brand positions to compare with a mark of these forms (no goods filter, no Latin ratio)."""
        return self.candidate_forms(list(forms), meaning_texts)

    def latin_pairs(self, marks: Sequence) -> list[tuple[int, int]]:
        """(mark position, brand position) pairs whose Latin parts are alike by ratio: one `cdist`."""
        if not self.latin_forms:
            return []
        from rapidfuzz import fuzz, process

        mark_latin: dict[str, list[int]] = defaultdict(list)
        for i, mp in enumerate(marks):
            for c in mp.forms:
                if len(c.latin) >= LATIN_RATIO_MIN_LENGTH:
                    mark_latin[c.latin].append(i)
        if not mark_latin:
            return []
        brand_latin: dict[str, list[int]] = defaultdict(list)
        for fid in self.latin_forms:
            brand_latin[self.forms[fid].latin].append(int(self.form_brand[fid]))
        queries = list(mark_latin)
        choices = list(brand_latin)
        out: list[tuple[int, int]] = []
        step = max(1, 4_000_000 // max(1, len(choices)))
        for start in range(0, len(queries), step):
            block = queries[start:start + step]
            scores = process.cdist(block, choices, scorer=fuzz.ratio, dtype=np.uint8,
                                   score_cutoff=LATIN_RATIO_CUTOFF, workers=-1)
            rows, cols = np.nonzero(scores)
            for r, c in zip(rows.tolist(), cols.tolist()):
                if block[r] == choices[c]:
                    continue  # equal Latin parts have their own key
                if scores[r, c] < 80 and not latin_metaphones_near(block[r], choices[c]):
                    continue  # below 0.8 the Latin rules need the metaphones alike
                for i in mark_latin[block[r]]:
                    for j in brand_latin[choices[c]]:
                        out.append((i, j))
        return out

    def candidate_pairs(self, marks: Sequence, *, goods: bool = True,
                        stats: CandidateStats | None = None) -> list[tuple[int, int]]:
        """Every (mark position, brand position) pair to score for these mark profiles.

        With `goods`, pairs whose goods cannot overlap (so cannot be flagged) are left out.
        """
        return self.candidate_pairs_with_meaning(marks, goods=goods, stats=stats)[0]

    def candidate_pairs_with_meaning(self, marks: Sequence, *, goods: bool = True,
                                     stats: CandidateStats | None = None
                                     ) -> tuple[list[tuple[int, int]], list[bool]]:
        """`candidate_pairs`, and for each pair whether a meaning family hit it: the scorer can skip
        the meaning channel of the others (`Matcher.compare_profiles(meaning=False)`)."""
        local = CandidateStats(marks=len(marks))
        table = self.goods_table
        _, masks, opened = self._lists()
        goods_of = [(goods_mask(mp.classes, mp.groups, table), bool(mp.classes)) if goods else None for mp in marks]
        per_mark: list[set[int]] = []
        with_meaning: list[set[int]] = []
        for start in range(0, len(marks), PAIRS_BLOCK):
            block = marks[start:start + PAIRS_BLOCK]
            found, meaning = self._block_candidates(
                [(mp.forms, meaning_texts_of_mark(mp), g) for mp, g in zip(block, goods_of[start:start + PAIRS_BLOCK])],
                local)
            per_mark.extend(found)
            with_meaning.extend(meaning)
        for i, j in self.latin_pairs(marks):
            if j in per_mark[i]:
                continue
            g = goods_of[i]
            local.keyed_pairs += 1
            if g is not None and g[1] and not (opened[j] or masks[j] & g[0]):
                local.goods_out += 1
                continue
            per_mark[i].add(j)
        pairs: list[tuple[int, int]] = []
        flags: list[bool] = []
        for i, brands in enumerate(per_mark):
            if brands:
                ordered = sorted(brands)
                pairs.extend((i, j) for j in ordered)
                flags.extend(j in with_meaning[i] for j in ordered)
        local.pairs = len(pairs)
        if stats is not None:
            stats.add(local)
        return pairs, flags


# ================================================================ exact reference
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
