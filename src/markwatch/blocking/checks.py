"""The cheap conditions of the blocking keys: text helpers, and each loose family's check.

A loose ("checked") key family is a wide net; before the full scorer runs, its check confirms on
the brand form and the mark's forms that the evidence the family stands for can exist at all. A
check has the signature `check(index, fid, forms, threshold)`: `index` is the `KeyIndex` holding
brand form `fid` (its `forms`, `places` and `look_context()`), `forms` the mark's written forms and
`threshold` (screening, partial sound only) the brand's threshold its score must reach.
"""

from __future__ import annotations

from collections.abc import Sequence

from markwatch.matching.comparisons.alignment import has_anchor
from markwatch.matching.comparisons.latin import (
    latin_containment_needles,
    metaphone,
    metaphones_near,
    one_latin_edit,
)
from markwatch.matching.comparisons.sound import (
    PARTIAL_MIN_SYLLABLES,
    SOUND_NEAR_MIN_SIMILARITY,
    fuzzy_syllable,
    near_reach,
    readings,
)
from markwatch.matching.comparisons.structure import ALIKE_TAIL_MAX_EXTRA, SUBSEQUENCE_MAX_EXTRA
from markwatch.text.normalise import NormalisedMark


# ================================================================ text helpers
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


def alike_subsequence(short: str, long: str) -> bool:
    """`short` in order within `long`, each character equal or a look-alike (structure's rule)."""
    from markwatch.matching.comparisons.look import lookalike

    pos = 0
    for ch in short:
        while pos < len(long) and not (ch == long[pos] or lookalike(ch, long[pos]) > 0):
            pos += 1
        if pos == len(long):
            return False
        pos += 1
    return True


def is_han(ch: str) -> bool:
    """normalise.is_han without the regular expression (same ranges)."""
    return ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"
            or "\U00020000" <= ch <= "\U0003134f")


def han2(pair: str) -> bool:
    return len(pair) == 2 and is_han(pair[0]) and is_han(pair[1])


def wildcards(text: str) -> list[str]:
    return [text[:i] + "*" + text[i + 1:] for i in range(len(text))]


def core_needle(nm: NormalisedMark) -> tuple[str]:
    """What the containment families look for in a stored mark's text: the whole core."""
    return (nm.core,)


# ================================================================ sound
_FUZZY_READINGS: dict[tuple[str, str], frozenset[str]] = {}


def fuzzy_readings(ch: str, primary: str) -> frozenset[str]:
    got = _FUZZY_READINGS.get((ch, primary))
    if got is None:
        got = frozenset(fuzzy_syllable(s) for s in (readings(ch) | {primary}))
        _FUZZY_READINGS[(ch, primary)] = got
    return got


def sound_positions_match(b: NormalisedMark, c: NormalisedMark) -> bool:
    """Every position shares a (fuzzy, heteronym) reading: the same-length sound rule's condition."""
    if len(b.pinyin) != len(c.pinyin) or not b.pinyin or len(b.chinese) != len(b.pinyin) \
            or len(c.chinese) != len(c.pinyin):
        return False
    return all(fuzzy_readings(x, px) & fuzzy_readings(y, py)
               for x, px, y, py in zip(b.chinese, b.pinyin, c.chinese, c.pinyin))


_FUZZY_SYLLABLES: dict[str, str] = {}


def fuzzy_sequence(nm: NormalisedMark) -> tuple[str, ...]:
    memo = _FUZZY_SYLLABLES  # fuzzy_syllable once per distinct syllable (a few hundred)
    out = []
    for s in nm.pinyin:
        f = memo.get(s)
        if f is None:
            f = memo[s] = fuzzy_syllable(s)
        out.append(f)
    return tuple(out)


def max_edits(length: int) -> int:
    """The most syllable edits the partial sound rule allows between sequences of this length."""
    return int((1.0 - SOUND_NEAR_MIN_SIMILARITY) * length + 1e-9)


def sound_near_possible(b: NormalisedMark, c: NormalisedMark, *, at_least: float = 0.0) -> bool:
    """The partial sound rule can fire (and, with `at_least`, its score weight x similarity reach it)."""
    if min(len(b.pinyin), len(c.pinyin)) < PARTIAL_MIN_SYLLABLES:
        return False
    from rapidfuzz.distance import Levenshtein

    n = max(len(b.pinyin), len(c.pinyin))
    d = Levenshtein.distance(fuzzy_sequence(b), fuzzy_sequence(c))
    if d > max_edits(n):
        return False
    return at_least <= 0 or near_reach(d, len(b.pinyin), len(c.pinyin)) >= at_least - 1e-9


# ================================================================ Latin
def latin_metaphones_near(a: str, b: str) -> bool:
    """The metaphone condition of the Latin sound rules (comparisons.latin): equal or near metaphones."""
    ma, mb = metaphone(a), metaphone(b)
    return bool(ma and mb and (ma == mb or metaphones_near(ma, mb)))


# ================================================================ the checks, per family
def check_contains(index, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
    """The brand's whole core inside a longer mark core, or its place name in the mark's text."""
    b = index.forms[fid]
    if any(len(c.core) > len(b.core) and b.core in c.core for c in forms):
        return True
    return check_place(index, fid, forms)


def check_place(index, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
    place = index.places.get(fid)
    return place is not None and any(place in c.text for c in forms)


def check_subsequence(index, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
    bs = index.forms[fid].core
    return any(len(bs) < len(c.core) <= len(bs) + SUBSEQUENCE_MAX_EXTRA and c.core[0] == bs[0]
               and is_subsequence(bs, c.core) for c in forms)


def check_alike_tail(index, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
    bs = index.forms[fid].core
    return any(len(bs) < len(c.core) <= len(bs) + ALIKE_TAIL_MAX_EXTRA and c.core[:2] == bs[:2]
               and alike_subsequence(bs[2:], c.core[2:]) for c in forms)


def check_shared_part(index, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
    """The alignment's anchor: two neighbouring brand characters in the mark's Han part."""
    b = index.forms[fid].chinese
    return any(c.chinese != b and has_anchor(b, c.chinese) for c in forms)


def check_one_changed(index, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
    b = index.forms[fid]
    return any(c.latin == b.latin and len(c.chinese) == len(b.chinese) for c in forms)


def check_look(index, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
    # comparisons.look.lookalike(x, y) > 0 is the glyph similarity, the larger of the two
    # directions, at or above the floor: y among x's look-alikes or x among y's.
    b = index.forms[fid].chinese
    alike = index.look_context().alike
    for c in forms:
        m = c.chinese
        if len(m) != len(b) or m == b:
            continue
        for x, y in zip(b, m):
            if x != y and not alike(x, y):
                break
        else:
            return True
    return False


def check_same_sound(index, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
    b = index.forms[fid]
    return any(c.chinese != b.chinese and sound_positions_match(b, c) for c in forms)


def check_sound_near(index, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
    b = index.forms[fid]
    return any(sound_near_possible(b, c, at_least=threshold) for c in forms)


def check_latin_one_edit(index, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
    b = index.forms[fid]
    return any(one_latin_edit(b.latin, c.latin) for c in forms if b.latin and c.latin)


def check_latin_window(index, fid: int, forms: Sequence[NormalisedMark], threshold: float = 0.0) -> bool:
    needles = [x for x in latin_containment_needles(index.forms[fid]) if x]
    return any(c.latin and any(x in c.latin for x in needles) for c in forms)
