"""Structure: the CNIPA rules for word marks (商标审查审理指南, 文字商标近似).

Containment (周黑鸭 → 汉味周黑鸭), the brand plus generic words, reordering (安途/途安), one character
changed in a mark of three or more characters, repetition, and the place-name rule for geographical
indications, collective and certification marks (五常大米 / 五常醇香米 similar; 五常大米 / 响水大米 not).
"""

from __future__ import annotations

import re
import unicodedata

from markwatch.matching.comparisons.base import Evidence, evidence
from markwatch.matching.distinctiveness import Weights, weak_reason, weak_reason_en
from markwatch.matching.rules import CONTAINS_MAX_EXTRA_CHARS, CONTAINS_SINGLE_MAX_CHARS, STRUCTURE
from markwatch.model import Reason
from markwatch.text.normalise import NormalisedMark, strip_punctuation

GI_KINDS = ("geographical_indication", "collective", "certification")

IDENTICAL_SCORE = 1.0  # identical cores, or the same characters in traditional form
GENERIC_ADDED_SCORE = 0.93  # the brand plus a generic word
# The brand as a subsequence of a mark up to SUBSEQUENCE_MAX_EXTRA characters longer (六个核桃 →
# 六个石磨核桃), and its head kept with the rest look-alike in a mark up to ALIKE_TAIL_MAX_EXTRA longer.
SUBSEQUENCE_SCORE = STRUCTURE["contains_multi"] - 0.08
SUBSEQUENCE_MAX_EXTRA = 3
ALIKE_TAIL_SCORE = STRUCTURE["contains_multi"] - 0.15
ALIKE_TAIL_MAX_EXTRA = 2
ONE_CHANGED_MIN_CHARS = 3  # the one-character-changed rule needs marks of this many characters


def single_contained(brand_chars: int, mark_chars: int) -> bool:
    """The lengths for which a one-character brand counts as contained in a (longer) mark."""
    return brand_chars == 1 and brand_chars < mark_chars <= CONTAINS_SINGLE_MAX_CHARS


def contained_spread(brand: str, mark: str, is_word=None) -> tuple[str, str] | None:
    """The mark, shorter than the brand, as a part of it with one character put inside (蜜雪冰城 /
    蜜念雪: 蜜雪 with 念): (the part, the character), or None. A character that makes a word with a
    neighbour (蜜桃雪: 蜜桃) gives the mark a sense of its own and is not a mere insertion."""
    if len(mark) < 3 or len(mark) >= len(brand):
        return None
    for j in range(1, len(mark) - 1):
        part = mark[:j] + mark[j + 1:]
        if part in brand and not (is_word is not None and (is_word(mark[j - 1:j + 1]) or is_word(mark[j:j + 2]))):
            return part, mark[j]
    return None


def _is_distinctive_part(bc: str, part: str, is_common_word, brand_weights: Weights | None, b: NormalisedMark) -> bool:
    """A part of the brand (len(part) < len(bc)) that stands for it: at least half of it, not an everyday
    word, and carrying enough of its distinctiveness (`_contained_weighs`)."""
    return len(part) >= 2 and len(part) * 2 >= len(bc) and not (
        is_common_word is not None and is_common_word(part)) and _contained_weighs(
        bc, part, brand_weights if bc == b.chinese else None)


def _collapse_repeats(text: str) -> str:
    return re.sub(r"(.)\1+", r"\1", text)


def _is_subsequence(short: str, long: str, *, alike=lambda x, y: x == y) -> bool:
    """Whether `short` appears in `long` in order, with other characters between (六个核桃 → 六个石磨核桃)."""
    pos = 0
    for ch in short:
        while pos < len(long) and not alike(ch, long[pos]):
            pos += 1
        if pos == len(long):
            return False
        pos += 1
    return True


def _alike(x: str, y: str) -> bool:
    from markwatch.matching.comparisons.look import lookalike

    return x == y or lookalike(x, y) > 0


def _front_alike(place: str, other: str) -> bool:
    """Another front as long as the place name, differing from it only by look-alike characters,
    all but one kept as written: the place imitated, not another place."""
    if len(other) != len(place) or other == place:
        return False
    diffs = [(x, y) for x, y in zip(place, other) if x != y]
    return len(diffs) < len(place) and all(_alike(x, y) for x, y in diffs)


def _plain(text: str) -> str:
    """Width and case folded, punctuation removed, but not simplified: shows 繁简 differences."""
    return strip_punctuation(unicodedata.normalize("NFKC", text).lower())


def structure_similarity(b: NormalisedMark, c: NormalisedMark, *, meaning_differs=None,
                         is_common_word=None, is_word=None, brand_weights: Weights | None = None) -> list[Evidence]:
    """`meaning_differs(brand, candidate, i)` tells whether changing character i makes another word;
    `is_common_word(text)` whether a text is an everyday word (师傅, 农夫), never a brand's distinctive part;
    `is_word(text)` whether it is a word at all (蜜桃);
    `brand_weights` the distinctiveness of the brand's Han characters (distinctiveness.py): a brand
    made of weak parts weighs less when contained, and a part of the brand counts as its distinctive
    part only when it carries enough of the brand's weight."""
    found = _structure(b, c, meaning_differs, is_common_word, brand_weights, is_word)
    if brand_weights is None or b.core != b.chinese or len(brand_weights.weights) != len(b.chinese):
        return found
    factor = min(1.0, CONTAINS_WEAK_FLOOR + brand_weights.mean)
    if factor >= 1.0:
        return found
    # Containing a weak word is no conflict: the brand's own distinctiveness scales what containing it means.
    weak = brand_weights.weak_words()
    out = []
    for e in found:
        if e.reason.kind == "contains":
            r = e.reason
            e = Evidence(Reason(kind=r.kind, detail=r.detail, detail_en=r.detail_en,
                                score=round(e.score * factor, 4)), cap=e.cap)
            if factor <= CONTAINS_SAY_WEAK:
                e = e.with_detail(weak_reason(weak), weak_reason_en(weak))
        out.append(e)
    return out


# A brand's containment findings are scaled by min(1, this + the mean weight of its characters).
CONTAINS_WEAK_FLOOR = 0.4
CONTAINS_SAY_WEAK = 0.9  # from this factor down, the reason names the weak parts
# The new mark counts as the brand's distinctive part when it carries at least this share of the
# brand's weight, and its characters weigh more than an everyday word's on average.
CONTAINED_MIN_SHARE = 0.5
CONTAINED_MIN_MEAN = 0.6


def _contained_weighs(bc: str, cc: str, w: Weights | None) -> bool:
    if w is None or len(w.weights) != len(bc):
        return True
    at = bc.find(cc)
    covered = w.weights[at:at + len(cc)]
    return sum(covered) >= CONTAINED_MIN_SHARE * w.total and sum(covered) / len(covered) > CONTAINED_MIN_MEAN


def _structure(b: NormalisedMark, c: NormalisedMark, meaning_differs, is_common_word,
               brand_weights: Weights | None, is_word=None) -> list[Evidence]:
    found: list[Evidence] = []
    bc, cc = b.core, c.core
    if not bc or not cc:
        return found
    if bc == cc:
        if c.generic and c.text != b.text:
            found.append(evidence("generic", "generic_added", GENERIC_ADDED_SCORE, w="、".join(c.generic)))
        elif _plain(b.original) != _plain(c.original) and b.text == c.text:
            found.append(evidence("traditional", "traditional", IDENTICAL_SCORE))
        else:
            found.append(evidence("identical", "identical", IDENTICAL_SCORE, a=c.original.strip()))
        return found
    if len(cc) > len(bc) and bc in cc:
        extra = len(cc) - len(bc)
        if len(bc) >= 2 and extra <= CONTAINS_MAX_EXTRA_CHARS:
            found.append(evidence("contains", "contains", STRUCTURE["contains_multi"], a=b.core))
        elif single_contained(len(bc), len(cc)):
            found.append(evidence("contains", "contains", STRUCTURE["contains_single"], a=b.core))
    elif len(bc) >= 3 and len(bc) < len(cc) <= len(bc) + SUBSEQUENCE_MAX_EXTRA and cc[0] == bc[0] \
            and _is_subsequence(bc, cc):
        # 六个核桃 → 六个石磨核桃: the brand with words put inside it.
        found.append(evidence("contains", "contains_spread", SUBSEQUENCE_SCORE, a=b.core))
    elif len(bc) >= 3 and len(bc) < len(cc) <= len(bc) + ALIKE_TAIL_MAX_EXTRA and cc[:2] == bc[:2] \
            and _is_subsequence(bc, cc, alike=_alike):
        # 恒源祥 → 恒源彩羊: the brand's head kept, its last character echoed by a look-alike.
        found.append(evidence("contains", "contains_alike_tail", ALIKE_TAIL_SCORE, a=b.core))
    if len(bc) > len(cc) >= 2 and cc in bc and _is_distinctive_part(bc, cc, is_common_word, brand_weights, b):
        found.append(evidence("contains", "contained", STRUCTURE["contained_in_brand"], a=b.core, b=c.core))
    elif cc not in bc:
        spread = contained_spread(bc, cc, is_word)
        if spread is not None and _is_distinctive_part(bc, spread[0], is_common_word, brand_weights, b):
            found.append(evidence("contains", "contained_spread", STRUCTURE["contained_spread"], a=b.core, b=c.core,
                                  p=spread[0], x=spread[1]))
    if len(bc) >= 2 and len(bc) == len(cc) and sorted(bc) == sorted(cc):
        found.append(evidence("order", "reordered", STRUCTURE["reordered"], a=b.core, b=c.core))
    if _collapse_repeats(bc) == _collapse_repeats(cc) and len(_collapse_repeats(bc)) >= 2:
        found.append(evidence("repeated", "repeated", STRUCTURE["repeated"], a=b.core, b=c.core))
    found.extend(_one_changed(b, c, meaning_differs))
    return found


def _one_changed(b: NormalisedMark, c: NormalisedMark, meaning_differs=None) -> list[Evidence]:
    bt, ct = b.chinese, c.chinese
    if len(bt) < ONE_CHANGED_MIN_CHARS or len(bt) != len(ct) or b.latin != c.latin:
        return []
    diffs = [i for i, (x, y) in enumerate(zip(bt, ct)) if x != y]
    if len(diffs) != 1:
        return []
    i = diffs[0]
    if meaning_differs is not None and meaning_differs(bt, ct, i):
        # 电老虎 / 电飞虎: the changed character makes another word with another meaning.
        return [evidence("structure", "one_changed_meaning", STRUCTURE["one_changed_meaning_differs"], a=bt, b=ct)]
    if i == 0:
        return [_first_changed(bt[0], ct[0])]
    return [evidence("structure", "one_changed", STRUCTURE["one_changed_3plus"], x=bt[i], y=ct[i])]


NUMERALS = "零一二两三四五六七八九十百千万"


def _first_changed(x: str, y: str) -> Evidence:
    """The guideline's exception for the first character, graded: marks of three or more characters
    with one character changed are similar unless the first character's sound or look is clearly
    different. A first character of the same (or a fuzzy) sound, or a look-alike, is not clearly
    different in that respect; one that differs in both is; a numeral swapped for a numeral keeps
    the mark's structure (五粮液 / 九粮液)."""
    from markwatch.matching.comparisons.look import lookalike
    from markwatch.matching.comparisons.sound import fuzzy_pair, readings
    from markwatch.text.components import holds_component
    from markwatch.text.normalise import pinyin_of

    if x in NUMERALS and y in NUMERALS:
        return evidence("structure", "one_changed_first", STRUCTURE["one_changed_first_differs"], x=x, y=y)
    rx, ry = readings(x), readings(y)
    sound = bool(rx & ry) or any(fuzzy_pair(a, b) for a in rx for b in ry)
    look = lookalike(x, y) > 0 or holds_component(x, y) or holds_component(y, x)
    if sound and look:
        return evidence("structure", "one_changed_first_alike", STRUCTURE["one_changed_3plus"], x=x, y=y,
                        how="音、形相近", how_en="sounds and looks alike")
    if sound or look:
        if not sound:
            how, how_en = "字形相近", "looks alike"
        elif pinyin_of(x)[0] == pinyin_of(y)[0]:
            how, how_en = "读音相同", "sounds the same"
        else:  # another reading, or a fuzzy initial or final: alike, not the same (娃 wa / 凹 ao)
            how, how_en = "读音相近", "sounds alike"
        return evidence("structure", "one_changed_first_alike", STRUCTURE["one_changed_first_alike"], x=x, y=y,
                        how=how, how_en=how_en)
    return evidence("structure", "one_changed_first_clear", STRUCTURE["one_changed_first_clear"], x=x, y=y)


def place_and_product(b: NormalisedMark) -> tuple[str, str] | None:
    """Split a geographical-indication style mark into place name and product (五常 + 大米)."""
    text = b.chinese
    if len(text) < 3:
        return None
    from markwatch.text.places import leading_place

    place = leading_place(text)  # a whole name of the place list (阳澄湖, not 阳澄)
    if place is not None and len(place) < len(text):
        return place, text[len(place):]
    tokens = [t for t in b.tokens if t and all("\u3400" <= ch <= "\u9fff" for ch in t)]
    if len(tokens) >= 2 and "".join(tokens) == text:
        return "".join(tokens[:-1]), tokens[-1]
    return text[:2], text[2:]


def place_rule(b: NormalisedMark, c: NormalisedMark, split: tuple[str, str] | None = None) -> list[Evidence]:
    """For GI, collective and certification marks the place name is what distinguishes."""
    split = split or place_and_product(b)
    if split is None:
        return []
    place, product = split
    if place in c.text:
        return [evidence("place", "gi_place", STRUCTURE["gi_same_place"], p=place)]
    if product in c.text or (len(product) >= 2 and product[-1] == c.text[-1:]):
        other = c.text.replace(product, "") or c.text
        if _front_alike(place, other):
            return []  # 五常大米 / 五棠大米, 青岛啤酒 / 青鸟啤酒: the place itself imitated, for the look channel to judge
        cap = STRUCTURE["gi_other_place"]
        return [evidence("place", "gi_other_place", 0.0, cap=cap, p=place, q=other)]
    return []
