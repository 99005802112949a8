"""Meaning-channel blocking keys, per key family (the registry says which builder is whose).

The drivers in `blocking.keys` split each text into its Chinese parts and its Latin parts (as
comparisons.meaning reads them; Latin parts as (as written, normalised key), empty keys left out)
and call each family's builders: brand side `build(code, zh, latin, lexicon, out)`, mark side
`build(code, zh, latin, lexicon, out, want)`, where `want` (a `BrandSideWords`, or None) says what
the brand side has keys for, so that mark keys that could not meet one are not built.
"""

from __future__ import annotations

from dataclasses import dataclass

# Longest span a synonym alignment is followed to (longer spans are not emitted on either side).
MAX_SPAN = 64
# Longest word a composed gloss segment can be (segments are lexicon words; brand names can be long).
MAX_WORD = 8
# The synonym-span keys of a one-character brand carry this after the family's code: such a brand is
# only aligned with a whole part.
WHOLE_PART = "="


@dataclass(frozen=True)
class BrandSideWords:
    """What the brand side of an index has meaning keys for (None: anything)."""

    p_heads: frozenset[str] | None = None  # composed-gloss heads
    p_tails: frozenset[str] | None = None  # composed-gloss tails
    h_words: frozenset[str] | None = None  # headwords glossed by a brand's Latin part
    s_firsts: frozenset[str] | None = None  # synonym spans' first characters
    s_ends: frozenset[tuple[str, str]] | None = None  # synonym spans' (first, last) characters
    s_max_span: int | None = None  # the longest synonym span


NO_FILTER = BrandSideWords()


def meaning_parts(text: str) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """The Chinese parts and the (Latin part, normalised key) pairs of a text, as the meaning channel reads them."""
    from markwatch.matching.comparisons.meaning import meaning_parts
    from markwatch.text.lexicon import normalize_english

    parts = meaning_parts(text)
    latin = []
    for cl in parts.latin:
        key = normalize_english(cl)
        if key:
            latin.append((cl, key))
    return parts.zh, latin


def _word_runs(latin: str) -> list[str]:
    from markwatch.matching.comparisons.meaning import word_runs as runs

    return runs(latin)


# ================================================================ a part written the same
def brand_same_chinese_part(code, zh, latin, lexicon, out):
    for bz in zh:
        out.add(code + bz)


def mark_same_chinese_part(code, zh, latin, lexicon, out, want):
    for cz in zh:
        out.add(code + cz)


def brand_same_latin_part(code, zh, latin, lexicon, out):
    for _, key in latin:
        out.add(code + key)


def mark_same_latin_part(code, zh, latin, lexicon, out, want):
    brand_same_latin_part(code, zh, latin, lexicon, out)


# ================================================================ translation
def brand_translation(code, zh, latin, lexicon, out):
    for bz in zh:
        for k in lexicon.gloss_keys(bz):
            out.add(code + k)


def mark_translation(code, zh, latin, lexicon, out, want):
    from markwatch.text.lexicon import normalize_english

    for cl, key in latin:
        out.add(code + key)
        for run in _word_runs(cl):
            rk = normalize_english(run)
            if rk:
                out.add(code + rk)


def brand_translation_headword(code, zh, latin, lexicon, out):
    for bz in zh:
        out.add(code + bz)


def mark_translation_headword(code, zh, latin, lexicon, out, want):
    for cl, _ in latin:
        for h in lexicon.chinese_for(cl):
            out.add(code + h)


def brand_contained_translation(code, zh, latin, lexicon, out):
    for bl, _ in latin:
        for h in lexicon.chinese_for(bl):
            out.add(code + h)


def mark_contained_translation(code, zh, latin, lexicon, out, want):
    h_words = want.h_words
    for cz in zh:
        n = len(cz)
        if h_words is None or cz in h_words:
            out.add(code + cz)
        for i in range(n):
            for j in range(i + 2, n + 1):
                if h_words is None or cz[i:j] in h_words:
                    out.add(code + cz[i:j])


def brand_composed_translation(code, zh, latin, lexicon, out):
    for _, key in latin:
        for h, t in composed_translation_ends(key, lexicon):
            out.add(f"{code}{h}|{t}")


def mark_composed_translation(code, zh, latin, lexicon, out, want):
    p_heads, p_tails = want.p_heads, want.p_tails
    for cz in zh:
        n = len(cz)
        # Composed glosses: the first and the last segment of any span of two or more characters.
        for i in range(n):
            for j in range(i + 2, n + 1):
                span = j - i
                for a in range(1, min(span - 1, MAX_WORD) + 1):
                    head = cz[i:i + a]
                    if p_heads is not None and head not in p_heads:
                        continue
                    for b in range(1, min(span - a, MAX_WORD) + 1):
                        tail = cz[j - b:j]
                        if p_tails is None or tail in p_tails:
                            out.add(f"{code}{head}|{tail}")


def composed_key_ends(code: str, keys) -> list[tuple[str, str]]:
    """(head, tail) of composed-translation keys."""
    return [tuple(k[len(code):].split("|", 1)) for k in keys]


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
        return {w for w in words if len(w) <= MAX_WORD}

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


# ================================================================ synonyms
def brand_shared_headword(code, zh, latin, lexicon, out):
    for bl, _ in latin:
        for h in lexicon.chinese_for(bl):
            if len(h) >= 2:
                out.add(code + h)


def mark_shared_headword(code, zh, latin, lexicon, out, want):
    brand_shared_headword(code, zh, latin, lexicon, out)


def brand_synonym_span(code, zh, latin, lexicon, out):
    """Synonym alignment (matched unit by unit, each unit equal, a synonym or sharing a gloss): the
    first and last characters of the aligned span, and the span's possible lengths. Units are at
    most MAX_SPAN characters: every substring of a long text would cost O(n^2) lexicon look-ups and
    O(n^3) bytes, and no aligned span is longer anyway."""
    from markwatch.matching.comparisons.meaning import DISTINCTIVE_GLOSS_MAX_HEADWORDS, PRIMARY_SENSES

    def partners(x: str) -> set[str]:
        got = {x} | lexicon.synonyms(x)
        if len(x) >= 2:
            for g in lexicon.word_glosses(x, names=False)[:PRIMARY_SENSES]:
                if lexicon.headword_count(g) <= DISTINCTIVE_GLOSS_MAX_HEADWORDS:
                    got |= {y for y in lexicon.chinese_for(g) if len(y) >= 2}
        return got

    for bz in zh:
        n = len(bz)
        unit_partners = {
            (i, k): partners(bz[i:k]) for i in range(n) for k in range(i + 1, min(n, i + MAX_SPAN) + 1)
        }
        firsts = {y[0] for k in range(1, min(n, MAX_SPAN) + 1) for y in unit_partners[(0, k)] if y}
        lasts = {y[-1] for i in range(max(0, n - MAX_SPAN), n) for y in unit_partners[(i, n)] if y}
        reach: list[set[int]] = [set() for _ in range(n + 1)]
        reach[0].add(0)
        for i in range(n):
            if not reach[i]:
                continue
            for k in range(i + 1, min(n, i + MAX_SPAN) + 1):
                lengths = {len(y) for y in unit_partners[(i, k)] if y}
                reach[k] |= {t + ln for t in reach[i] for ln in lengths if t + ln <= MAX_SPAN}
        # A one-character brand is only aligned with a whole part (no partial alignment).
        tag = code + WHOLE_PART if n == 1 else code
        for f in firsts:
            for la in lasts:
                for span in reach[n]:
                    out.add(f"{tag}{f}|{la}|{span}")


def mark_synonym_span(code, zh, latin, lexicon, out, want):
    s_firsts, s_ends, s_max_span = want.s_firsts, want.s_ends, want.s_max_span
    for cz in zh:
        n = len(cz)
        out.add(f"{code}{WHOLE_PART}{cz[0]}|{cz[-1]}|{n}")  # a whole part aligned with a one-character brand
        for i in range(n):
            if s_firsts is not None and cz[i] not in s_firsts:
                continue
            top = n if s_max_span is None else min(n, i + s_max_span)
            first = cz[i]
            for j in range(i, top):
                if s_ends is None or (first, cz[j]) in s_ends:
                    out.add(f"{code}{first}|{cz[j]}|{j - i + 1}")


def synonym_key_parts(code: str, keys) -> list[tuple[str, str, int]]:
    """(first, last, span) of synonym-span keys, the whole-part ones left out."""
    out = []
    for k in keys:
        if k.startswith(WHOLE_PART, len(code)):
            continue
        first, last, span = k[len(code):].split("|")
        out.append((first, last, int(span)))
    return out
