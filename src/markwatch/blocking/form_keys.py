"""Blocking keys of one written form, per key family (the registry says which builder is whose).

Brand-side builders are `build(code, b, ctx, out, search)`: `ctx` a `BrandKeyContext`, `search`
whether the keys are a clearance query's (look-alikes widened over the first two characters).
Mark-side builders are `build(code, c, out, one_char_places, search_look)`: whether the index
holds one-character place names, and first-two-character look keys. A place builder is
`build(code, place, out)`. Every key starts with its family's `code`; the drivers in
`blocking.keys` call the builders only for forms with a core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from markwatch.blocking.checks import (
    collapse_repeats,
    fuzzy_readings,
    fuzzy_sequence,
    han2,
    is_han,
    max_edits,
    wildcards,
)
from markwatch.matching.comparisons.alignment import ANCHOR_GAP, anchor_pairs
from markwatch.matching.comparisons.latin import latin_containment_needles, metaphone, one_letter_added_reach
from markwatch.matching.comparisons.structure import (
    ALIKE_TAIL_MAX_EXTRA,
    ONE_CHANGED_MIN_CHARS,
    SUBSEQUENCE_MAX_EXTRA,
    single_contained,
)
from markwatch.matching.rules import LATIN_RATIO_MIN_LENGTH
from markwatch.text.normalise import NormalisedMark

# Syllable sequences up to this length use deletion neighbourhoods (at most ~800 keys); a longer one is
# compared directly with the few forms whose length can be within reach.
DELETION_MAX_SYLLABLES = 12
# Latin containment keys: the brand's first (up to) 6 letters; the mark's windows of 4, 5 and 6 letters.
LATIN_WINDOWS = (4, 5, 6)


@dataclass
class BrandKeyContext:
    """What brand-side keys need besides the form: look-alikes, the lexicon, place splitting."""

    lexicon: object | None = None
    goods_table: object | None = None
    lookalike_floor: float | None = None
    _lookalike_cache: dict = field(default_factory=dict, repr=False)
    _alike_cache: dict = field(default_factory=dict, repr=False)

    def neighbours(self, ch: str) -> set[str]:
        got = self._lookalike_cache.get(ch)
        if got is None:
            from markwatch.matching.rules import LOOK
            from markwatch.text.glyphs import lookalikes

            floor = LOOK["lookalike_floor"] if self.lookalike_floor is None else self.lookalike_floor
            got = {ch} | {other for other, _ in lookalikes(ch, floor)}
            self._lookalike_cache[ch] = got
        return got

    def alike(self, x: str, y: str) -> bool:
        """Whether two characters look alike: either is among the other's look-alikes (cached per pair)."""
        got = self._alike_cache.get((x, y))
        if got is None:
            if len(self._alike_cache) > 1_000_000:
                self._alike_cache.clear()
            got = self._alike_cache[(x, y)] = y in self.neighbours(x) or x in self.neighbours(y)
        return got


# ================================================================ structure
def brand_repeat_collapsed(code, b, ctx, out, search):
    out.add(code + collapse_repeats(b.core))


def mark_repeat_collapsed(code, c, out, one_char_places, search_look):
    out.add(code + collapse_repeats(c.core))


def brand_reordered(code, b, ctx, out, search):
    if len(b.core) >= 2:
        out.add(code + "".join(sorted(b.core)))


def mark_reordered(code, c, out, one_char_places, search_look):
    if len(c.core) >= 2:
        out.add(code + "".join(sorted(c.core)))


def brand_contained_in_brand(code, b, ctx, out, search):
    bs = b.core
    n = len(bs)
    for k in range(max(2, (n + 1) // 2), n):
        for i in range(n - k + 1):
            out.add(code + bs[i:i + k])


def mark_contained_in_brand(code, c, out, one_char_places, search_look):
    if len(c.core) >= 2:
        out.add(code + c.core)


def mark_contained_spread(code, c, out, one_char_places, search_look):
    """The mark's core less one inner character (蜜念雪 → 蜜雪): against the brand's parts (longer brands)."""
    cs = c.core
    for j in range(1, len(cs) - 1):
        out.add(code + cs[:j] + cs[j + 1:])


def brand_contains_prefix2(code, b, ctx, out, search):
    if len(b.core) >= 2 and han2(b.core[:2]):
        out.add(code + b.core[:2])


def _han_bigrams(code, text, out):
    """code + each two neighbouring Han characters of `text` (the pairs `han2` accepts)."""
    han = [is_han(ch) for ch in text]
    for i in range(len(text) - 1):
        if han[i] and han[i + 1]:
            out.add(code + text[i:i + 2])


def mark_contains_prefix2(code, c, out, one_char_places, search_look):
    cs = c.core
    _han_bigrams(code, cs, out)
    text = c.text
    if text != cs:
        # Place names are looked for in the text (generic words included): its bigrams too.
        _han_bigrams(code, text, out)


def place_contains_prefix2(code, place, out):
    if len(place) >= 2:
        out.add(code + place[:2])


def brand_contains_prefix4(code, b, ctx, out, search):
    if len(b.core) >= 2 and not han2(b.core[:2]):
        out.add(code + b.core[:4])


def mark_contains_prefix4(code, c, out, one_char_places, search_look):
    cs = c.core
    n = len(cs)
    han = [is_han(ch) for ch in cs]
    for i in range(n - 1):
        if not (han[i] and han[i + 1]):  # not han2(cs[i:i + 2])
            for k in (2, 3, 4):
                if i + k <= n:
                    out.add(code + cs[i:i + k])


def brand_contains_single(code, b, ctx, out, search):
    if len(b.core) == 1:
        out.add(code + b.core)


def mark_contains_single(code, c, out, one_char_places, search_look):
    if single_contained(1, len(c.core)):
        for ch in c.core:
            out.add(code + ch)


def brand_contains_subsequence(code, b, ctx, out, search):
    n = len(b.core)
    if n >= 3:
        # The subsequence rule wants a mark 1 to SUBSEQUENCE_MAX_EXTRA characters longer: its keys carry its length.
        for longer in range(n + 1, n + SUBSEQUENCE_MAX_EXTRA + 1):
            out.add(f"{code}{longer}{b.core[:3]}")


def mark_contains_subsequence(code, c, out, one_char_places, search_look):
    cs = c.core
    n = len(cs)
    if n >= 4:
        # A brand embedded as a subsequence keeps its k-th character within positions k..k+extra.
        head = f"{code}{n}{cs[0]}"
        for a in range(1, min(1 + SUBSEQUENCE_MAX_EXTRA, n - 2) + 1):
            for b in range(a + 1, min(2 + SUBSEQUENCE_MAX_EXTRA, n - 1) + 1):
                out.add(head + cs[a] + cs[b])


def brand_lookalike_tail(code, b, ctx, out, search):
    n = len(b.core)
    if n >= 3:
        out.add(f"{code}{b.core[:2]}{n}")


def mark_lookalike_tail(code, c, out, one_char_places, search_look):
    cs = c.core
    n = len(cs)
    if n >= 4:
        for extra in range(1, ALIKE_TAIL_MAX_EXTRA + 1):
            out.add(f"{code}{cs[:2]}{n - extra}")


def brand_one_changed(code, b, ctx, out, search):
    if len(b.chinese) >= ONE_CHANGED_MIN_CHARS:
        for w in wildcards(b.chinese):
            out.add(code + w)


def mark_one_changed(code, c, out, one_char_places, search_look):
    if len(c.chinese) >= ONE_CHANGED_MIN_CHARS:
        for w in wildcards(c.chinese):
            out.add(code + w)


def brand_shared_part(code, b, ctx, out, search):
    if len(b.chinese) >= 2:
        for pair in anchor_pairs(b.chinese):
            out.add(code + pair)


def mark_shared_part(code, c, out, one_char_places, search_look):
    # alignment.mark_anchor_pairs, written out: each two characters with at most ANCHOR_GAP between
    # them, as a sorted pair (of two characters: the smaller one first).
    t = c.chinese
    n = len(t)
    if n >= 2:
        for k in range(n - 1):
            x = t[k]
            for y in t[k + 1:k + ANCHOR_GAP + 2]:
                out.add(code + (x + y if x <= y else y + x))


# ================================================================ look
def brand_look_same_length(code, b, ctx, out, search):
    bt = b.chinese
    if bt and (not search or len(bt) == 1):
        for x in ctx.neighbours(bt[0]):
            out.add(f"{code}{len(bt)}{x}")


def mark_look_same_length(code, c, out, one_char_places, search_look):
    ct = c.chinese
    if ct:
        out.add(f"{code}{len(ct)}{ct[0]}")


def brand_look_first_two(code, b, ctx, out, search):
    bt = b.chinese
    if bt and search and len(bt) > 1:
        for x in ctx.neighbours(bt[0]):
            for y in ctx.neighbours(bt[1]):
                out.add(f"{code}{len(bt)}{x}{y}")


def mark_look_first_two(code, c, out, one_char_places, search_look):
    ct = c.chinese
    if ct and search_look:
        out.add(f"{code}{len(ct)}{ct[:2]}")


# ================================================================ sound (the same on both sides)
_SAME_SOUND: dict[tuple, tuple[str, ...]] = {}  # (code, length, first two characters and readings) -> keys


def same_sound_keys(code, nm, out):
    """The first two syllables, with every fuzzy reading, when read one syllable per character."""
    py, han = nm.pinyin, nm.chinese
    if py and len(py) == len(han):
        # The keys depend only on the length and the first two characters and readings, which
        # many marks share: built once per distinct head.
        head = (code, len(py), han[:2], py[0], py[1] if len(py) > 1 else "")
        got = _SAME_SOUND.get(head)
        if got is None:
            keys: set[str] = set()
            if len(py) == 1:
                for f0 in fuzzy_readings(han[0], py[0]):
                    keys.add(f"{code}1{f0}")
            else:
                for f0 in fuzzy_readings(han[0], py[0]):
                    for f1 in fuzzy_readings(han[1], py[1]):
                        keys.add(f"{code}{len(py)}{f0}|{f1}")
            if len(_SAME_SOUND) >= 1_000_000:
                _SAME_SOUND.clear()  # bounded: a long-lived search process sees ever new heads
            got = _SAME_SOUND[head] = tuple(keys)
        out.update(got)


def brand_sound_same_length(code, b, ctx, out, search):
    same_sound_keys(code, b, out)


def mark_sound_same_length(code, c, out, one_char_places, search_look):
    same_sound_keys(code, c, out)


def sound_near_keys(code, nm, out):
    """Syllable deletions: sequences within the partial rule's edit distance share one."""
    if 3 <= len(nm.pinyin) <= DELETION_MAX_SYLLABLES:
        seq = fuzzy_sequence(nm)
        out.add(code + " ".join(seq))
        for d in range(1, max_edits(len(seq)) + 1):
            for drop in combinations(range(len(seq)), d):
                out.add(code + " ".join(s for i, s in enumerate(seq) if i not in drop))


def brand_sound_near(code, b, ctx, out, search):
    sound_near_keys(code, b, out)


def mark_sound_near(code, c, out, one_char_places, search_look):
    sound_near_keys(code, c, out)


# ================================================================ pinyin and Latin
def brand_pinyin_as_latin(code, b, ctx, out, search):
    if b.pinyin_text:
        out.add(code + b.pinyin_text)


def mark_pinyin_as_latin(code, c, out, one_char_places, search_look):
    if c.latin:
        out.add(code + c.latin)


def brand_latin_as_pinyin(code, b, ctx, out, search):
    if b.latin:
        out.add(code + b.latin)


def mark_latin_as_pinyin(code, c, out, one_char_places, search_look):
    if c.pinyin_text:
        out.add(code + c.pinyin_text)


def brand_latin_window(code, b, ctx, out, search):
    for needle in latin_containment_needles(b):
        if needle:
            out.add(code + needle[:LATIN_WINDOWS[-1]])


def mark_latin_window(code, c, out, one_char_places, search_look):
    cl = c.latin
    for k in LATIN_WINDOWS:
        for i in range(len(cl) - k + 1):
            out.add(code + cl[i:i + k])


def brand_latin_same(code, b, ctx, out, search):
    if b.latin:
        out.add(code + b.latin)


def mark_latin_same(code, c, out, one_char_places, search_look):
    if c.latin:
        out.add(code + c.latin)


def _one_letter_keys(code, latin, out):
    if 2 <= len(latin) < LATIN_RATIO_MIN_LENGTH:
        for w in wildcards(latin):
            out.add(code + w)


def brand_latin_one_letter(code, b, ctx, out, search):
    _one_letter_keys(code, b.latin, out)


def mark_latin_one_letter(code, c, out, one_char_places, search_look):
    _one_letter_keys(code, c.latin, out)


def _one_edit_keys(code, latin, out):
    """The part and the part less each one letter: two parts one edit apart (a letter changed, added,
    dropped, two neighbours swapped) share one of these."""
    if len(latin) >= LATIN_RATIO_MIN_LENGTH:
        out.add(code + latin)
        for i in range(len(latin)):
            out.add(code + latin[:i] + latin[i + 1:])


def brand_latin_one_edit(code, b, ctx, out, search):
    _one_edit_keys(code, b.latin, out)


def mark_latin_one_edit(code, c, out, one_char_places, search_look):
    _one_edit_keys(code, c.latin, out)


def brand_latin_reordered(code, b, ctx, out, search):
    if one_letter_added_reach(len(b.latin)):
        out.add(code + "".join(sorted(b.latin)))


def mark_latin_reordered(code, c, out, one_char_places, search_look):
    cl = c.latin
    if one_letter_added_reach(len(cl) - 1):
        for i in range(len(cl)):
            out.add(code + "".join(sorted(cl[:i] + cl[i + 1:])))


def _metaphone_key(code, latin, out):
    if len(latin) >= LATIN_RATIO_MIN_LENGTH:
        mp = metaphone(latin)
        if mp:
            out.add(code + mp)


def brand_latin_metaphone(code, b, ctx, out, search):
    _metaphone_key(code, b.latin, out)


def mark_latin_metaphone(code, c, out, one_char_places, search_look):
    _metaphone_key(code, c.latin, out)


# ================================================================ places
def mark_place_one_char(code, c, out, one_char_places, search_look):
    if one_char_places:
        for ch in c.text:
            out.add(code + ch)


def place_place_one_char(code, place, out):
    if len(place) == 1:
        out.add(code + place)


def place_split(b: NormalisedMark, kind: str, ctx: BrandKeyContext) -> tuple[str, str] | None:
    """(place, product) when the place-name rule applies to this brand form, as the matcher decides."""
    from markwatch.matching.comparisons.structure import GI_KINDS, place_and_product

    split = None
    if ctx.goods_table is not None and b.chinese:
        from markwatch.text.places import split_place_product

        split = split_place_product(b.chinese, ctx.goods_table.is_goods_word)  # type: ignore[attr-defined]
    if kind not in GI_KINDS and split is None:
        return None
    return split or place_and_product(b)
