"""Sound (音): toneless and toned pinyin, fuzzy-pinyin equivalences and heteronyms per character."""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from markwatch.matching.comparisons.base import Evidence, evidence
from markwatch.matching.rules import FUZZY_FINALS, FUZZY_INITIALS, SOUND
from markwatch.text.normalise import NormalisedMark, each_character

# The partial rule: SOUND_NEAR_WEIGHT x similarity, from SOUND_NEAR_MIN_SIMILARITY (2 of 3 syllables alike).
SOUND_NEAR_WEIGHT = SOUND["near_weight"]
SOUND_NEAR_MIN_SIMILARITY = SOUND["near_min_similarity"]
PARTIAL_MIN_SYLLABLES = 3
SOUND_ONE_CHANGED = SOUND["one_changed"]


def near_score(distance: int, longer: int) -> float:
    """The partial rule's score for a fuzzy-syllable edit distance over the longer syllable count."""
    sim = 1.0 - distance / longer
    return round(SOUND_NEAR_WEIGHT * sim, 4) if sim >= SOUND_NEAR_MIN_SIMILARITY - 1e-9 else 0.0


def near_reach(distance: int, brand_syllables: int, mark_syllables: int) -> float:
    """The highest score the partial rule (with its one-syllable-changed case) can give two marks of
    these syllable counts at this edit distance or more: what the screening's checks and the
    search's bounds allow for."""
    if min(brand_syllables, mark_syllables) < PARTIAL_MIN_SYLLABLES:
        return 0.0
    score = near_score(distance, max(brand_syllables, mark_syllables))
    if brand_syllables == mark_syllables and distance <= 1:
        score = max(score, SOUND_ONE_CHANGED)
    return score

_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c",
             "s", "y", "w")


@lru_cache(maxsize=20000)
def split_syllable(syllable: str) -> tuple[str, str]:
    for ini in _INITIALS:
        if syllable.startswith(ini) and len(syllable) > len(ini):
            return ini, syllable[len(ini):]
    return "", syllable


def _canonical_map(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {b: a for a, b in pairs}


_FUZZY_INITIAL = _canonical_map(FUZZY_INITIALS)
_FUZZY_FINAL = _canonical_map(FUZZY_FINALS)
# r/l and n/l chain: make l the canonical form of n, l and r.
_FUZZY_INITIAL.update({"n": "l", "r": "l"})


@lru_cache(maxsize=20000)
def fuzzy_syllable(syllable: str) -> str:
    """The canonical form of a syllable under the fuzzy-pinyin table (zhang → zan)."""
    ini, fin = split_syllable(syllable)
    return _FUZZY_INITIAL.get(ini, ini) + _FUZZY_FINAL.get(fin, fin)


@lru_cache(maxsize=50000)
def readings(ch: str) -> frozenset[str]:
    """The toneless readings of one character in use: its first reading, and the other readings
    (heteronyms: 仔 zai/zi, 行 xing/hang) that some word of pypinyin's phrase dictionary reads it
    with. Readings no word uses (感 han) are left out: nobody would read a mark so."""
    from pypinyin import Style, pinyin

    found = pinyin(ch, style=Style.NORMAL, heteronym=True, errors=each_character)[0]
    attested = _attested_readings().get(ch, frozenset())
    return frozenset(r for i, r in enumerate(found) if i == 0 or r in attested)


@lru_cache(maxsize=1)
def _attested_readings() -> dict[str, frozenset[str]]:
    """Each character's toneless readings as the words of pypinyin's phrase dictionary read it."""
    import unicodedata

    from pypinyin.phrases_dict import phrases_dict

    toneless: dict[str, str] = {}  # a few thousand distinct toned syllables

    def plain(r: str) -> str:
        got = toneless.get(r)
        if got is None:
            got = toneless[r] = "".join(c for c in unicodedata.normalize("NFKD", r).replace("u\u0308", "v")
                                        if not unicodedata.combining(c))
        return got

    out: dict[str, set[str]] = {}
    for phrase, syllables in phrases_dict.items():
        if len(phrase) != len(syllables):
            continue
        for ch, options in zip(phrase, syllables):
            out.setdefault(ch, set()).update(map(plain, options))
    return {ch: frozenset(rs) for ch, rs in out.items()}


def _position_match(bc: str, bp: str, cc: str, cp: str) -> float:
    if bp == cp:
        return 1.0
    br, cr = readings(bc) | {bp}, readings(cc) | {cp}
    if br & cr:
        return 1.0
    if any(fuzzy_pair(x, y) for x in br for y in cr):
        return SOUND["fuzzy"]
    return 0.0


@lru_cache(maxsize=100000)
def fuzzy_pair(x: str, y: str) -> bool:
    """Two syllables that differ by one fuzzy rule only: the initial (zhang/zang) or the final
    (zhang/zhan), not both (han/fang is two steps away and no longer sounds alike)."""
    xi, xf = split_syllable(x)
    yi, yf = split_syllable(y)
    same_initial_class = _FUZZY_INITIAL.get(xi, xi) == _FUZZY_INITIAL.get(yi, yi)
    same_final_class = _FUZZY_FINAL.get(xf, xf) == _FUZZY_FINAL.get(yf, yf)
    return (xi == yi and same_final_class) or (xf == yf and same_initial_class)


def sound_finding(b: NormalisedMark, c: NormalisedMark) -> tuple[str, float] | None:
    """The sound rule's finding on two Han parts as (reason key, score), before any reason is
    worded; identical text is not a sound finding."""
    if not b.pinyin or not c.pinyin or b.chinese == c.chinese:
        return None
    if len(b.pinyin) == len(c.pinyin):
        scores = [_position_match(x, px, y, py) for x, px, y, py in zip(b.chinese, b.pinyin, c.chinese, c.pinyin)]
        if all(s > 0 for s in scores):
            fuzzy = any(s < 1.0 for s in scores)
            tone_diff = sum(1 for x, y in zip(b.pinyin_tone, c.pinyin_tone) if x != y)
            score = (SOUND["fuzzy"] if fuzzy else SOUND["identical"]) - SOUND["tone_penalty"] * tone_diff
            return ("sound_fuzzy" if fuzzy else "sound_same"), max(score, 0.0)
    # Partial: syllable edit distance, meaningful only for 3+ syllables (2 of 3 alike).
    n = max(len(b.pinyin), len(c.pinyin))
    if min(len(b.pinyin), len(c.pinyin)) < PARTIAL_MIN_SYLLABLES:
        return None
    bf = [fuzzy_syllable(s) for s in b.pinyin]
    cf = [fuzzy_syllable(s) for s in c.pinyin]
    score = near_score(Levenshtein.distance(bf, cf), n)
    if score < SOUND_ONE_CHANGED and _one_syllable_changed(b, c, bf, cf):
        return "sound_one_changed", SOUND_ONE_CHANGED
    return ("sound_near", score) if score > 0 else None


def _one_syllable_changed(b: NormalisedMark, c: NormalisedMark, bf: list[str], cf: list[str]) -> bool:
    """Read one syllable per character, the marks sound alike at every position but one; the first
    character is written the same, and another position alike is a homophone written otherwise
    (奥利奥 / 奥力给): the guideline's one-character-changed rule, heard. A first character that only
    sounds the same (同仁堂 / 通道堂, 布布屋 / 不到屋: a homophone and a change make most of the mark
    new) and homophones with no character in common (奥利奥 / 傲力给) are left to the partial rule;
    marks written the same but for one character (电老虎 / 电飞虎) to the written rule, with its exceptions."""
    n = len(b.chinese)
    if n < PARTIAL_MIN_SYLLABLES or not (n == len(c.chinese) == len(b.pinyin) == len(c.pinyin)):
        return False
    # Alike as the partial rule's edit distance reads them (equal fuzzy syllables `bf`, `cf`), so that
    # its keys and bounds hold for this case too.
    alike = [x == y for x, y in zip(bf, cf)]
    if alike[0] is False or alike.count(False) != 1:
        return False
    same = [ok and x == y for ok, x, y in zip(alike, b.chinese, c.chinese)]
    return same[0] and alike.count(True) > same.count(True)


def sound_similarity(b: NormalisedMark, c: NormalisedMark) -> list[Evidence]:
    """Compare the Han parts by sound (`sound_finding`), with the reason worded."""
    found = sound_finding(b, c)
    if found is None:
        return []
    return [evidence("sound", found[0], found[1], a=" ".join(b.pinyin), b=" ".join(c.pinyin))]


def same_sound_different_chars(b: NormalisedMark, c: NormalisedMark) -> bool:
    return (
        bool(b.chinese) and len(b.chinese) == len(c.chinese) and b.chinese != c.chinese
        and all(_position_match(x, px, y, py) == 1.0
                for x, px, y, py in zip(b.chinese, b.pinyin, c.chinese, c.pinyin))
    )


HOMOPHONE_CAP = 0.55  # two-character marks
# Marks of three characters or more: the cap rises by this much times the share of characters written
# the same (立康宁 / 利康宁: two of three, 0.75; 金利来 / 今礼来: one of three, 0.65).
HOMOPHONE_SAME_SHARE = 0.3


def homophone_cap(b: NormalisedMark, c: NormalisedMark) -> float | None:
    """立康/利康: other characters that merely sound the same, with another first character that
    does not look alike, are generally not similar: the whole mark score is capped. A sound alone is
    weak evidence when the look and the meaning differ; in marks of three characters or more the cap
    is graded by how many characters are the same as written (the first-character rule itself is
    structure's). None when the rule does not apply."""
    from markwatch.matching.comparisons.look import lookalike

    if not same_sound_different_chars(b, c):
        return None
    if b.chinese[0] == c.chinese[0] or lookalike(b.chinese[0], c.chinese[0]):
        return None
    n = len(b.chinese)
    if n < 3:
        return HOMOPHONE_CAP
    same = sum(1 for x, y in zip(b.chinese, c.chinese) if x == y)
    return round(HOMOPHONE_CAP + HOMOPHONE_SAME_SHARE * same / n, 4)


def homophone_caps(b: NormalisedMark, c: NormalisedMark) -> bool:
    """Whether the homophone rule caps this pair (`homophone_cap`)."""
    return homophone_cap(b, c) is not None


def homophone_rule(b: NormalisedMark, c: NormalisedMark) -> list[Evidence]:
    """`homophone_cap` as a finding: the cap, with the reason worded."""
    cap = homophone_cap(b, c)
    if cap is None:
        return []
    key = "homophone_first_differs" if len(b.chinese) < 3 else "homophone_first_differs_long"
    return [evidence("sound", key, 0.0, cap=cap, x=b.chinese[0], y=c.chinese[0])]
