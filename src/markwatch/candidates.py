"""Candidate generation (blocking): which brands a mark should be fully compared with.

Each blocking key is a small function from a normalised form to a set of keys (as in dedupe): a mark
and a brand become a candidate pair when they share a key. Brand-side keys are widened (look-alike
characters, every reading of a heteronym, translations) so that the mark side stays cheap. The exact
reference, `all_pairs`, compares every pair; tests check that blocking loses none it flags.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable, Iterator, Sequence

from .comparisons.sound import fuzzy_syllable, readings
from .normalise import NormalisedMark

KeyFn = Callable[[NormalisedMark], set[str]]


def char_keys(nm: NormalisedMark) -> set[str]:
    return {"c:" + ch for ch in nm.chinese}


def lookalike_char_keys(nm: NormalisedMark) -> set[str]:
    from .glyphs import lookalikes
    from .rules import LOOK

    keys = set()
    for ch in nm.chinese:
        keys |= {"c:" + other for other, _ in lookalikes(ch, LOOK["lookalike_floor"])}
    return keys


def syllable_keys(nm: NormalisedMark) -> set[str]:
    return {"s:" + fuzzy_syllable(s) for s in nm.pinyin}


def heteronym_keys(nm: NormalisedMark) -> set[str]:
    return {"s:" + fuzzy_syllable(r) for ch in nm.chinese for r in readings(ch)}


def _trigrams(text: str) -> set[str]:
    if len(text) < 3:
        return {text} if text else set()
    return {text[i:i + 3] for i in range(len(text) - 2)}


def latin_keys(nm: NormalisedMark) -> set[str]:
    return {"l:" + t for t in _trigrams(nm.latin)}


def pinyin_as_latin_keys(nm: NormalisedMark) -> set[str]:
    return {"l:" + t for t in _trigrams(nm.pinyin_text)} if len(nm.pinyin_text) >= 3 else set()


def short_latin_keys(nm: NormalisedMark) -> set[str]:
    """Short Latin marks (BMW, QQ) block on each letter so look-alike letters and reorderings meet."""
    return {"a:" + ch for ch in nm.latin} if 0 < len(nm.latin) <= 4 else set()


def translation_keys_for(lexicon) -> KeyFn:
    def keys(nm: NormalisedMark) -> set[str]:
        out = {"t:" + w for w in nm.latin_words if len(w) >= 2}
        if nm.latin:
            out.add("t:" + nm.latin)
        if lexicon is not None and nm.chinese:
            out |= {"t:" + g.replace(" ", "").replace("-", "") for g in lexicon.glosses(nm.chinese)}
        return out

    return keys


MARK_KEYS: tuple[KeyFn, ...] = (char_keys, syllable_keys, latin_keys, pinyin_as_latin_keys, short_latin_keys)
BRAND_KEYS: tuple[KeyFn, ...] = (
    char_keys, lookalike_char_keys, syllable_keys, heteronym_keys, latin_keys, pinyin_as_latin_keys,
    short_latin_keys,
)


class KeyIndex:
    """An inverted index from blocking keys to brand positions."""

    def __init__(self, brand_forms: Sequence[Sequence[NormalisedMark]], *, lexicon=None):
        self.translation_keys = translation_keys_for(lexicon)
        self.postings: dict[str, set[int]] = defaultdict(set)
        for pos, forms in enumerate(brand_forms):
            for nm in forms:
                for key in self._brand_keys(nm):
                    self.postings[key].add(pos)
        self.size = len(brand_forms)

    def _brand_keys(self, nm: NormalisedMark) -> set[str]:
        keys: set[str] = set()
        for fn in BRAND_KEYS:
            keys |= fn(nm)
        return keys | self.translation_keys(nm)

    def mark_keys(self, nm: NormalisedMark) -> set[str]:
        keys: set[str] = set()
        for fn in MARK_KEYS:
            keys |= fn(nm)
        return keys | self.translation_keys(nm)

    def candidates(self, forms: Iterable[NormalisedMark]) -> set[int]:
        out: set[int] = set()
        for nm in forms:
            for key in self.mark_keys(nm):
                hit = self.postings.get(key)
                if hit:
                    out |= hit
        return out


def all_pairs(n_marks: int, n_brands: int) -> Iterator[tuple[int, int]]:
    """The exact reference: every pair."""
    for i in range(n_marks):
        for j in range(n_brands):
            yield i, j
