"""The blocking keys of a brand and of a mark: every registered family's builders, in one pass.

Brand-side keys are widened (look-alike characters, every reading of a heteronym, glosses,
synonyms) so that the mark side stays cheap: the mark side is the big one (a whole gazette or a
register of millions). Which families there are, and which builder is whose, is the registry's
(`matching.registry`); the builders are in `blocking.form_keys` and `blocking.meaning_keys`.
"""

from __future__ import annotations

from collections.abc import Iterable

from markwatch.blocking.form_keys import BrandKeyContext, place_split  # noqa: F401  (the drivers' callers use them)
from markwatch.blocking.meaning_keys import NO_FILTER, BrandSideWords, meaning_parts
from markwatch.matching import registry
from markwatch.text.normalise import NormalisedMark

_BRAND_FORM = tuple((f.brand_keys, f.code) for f in registry.FAMILIES if f.channel == "form" and f.brand_keys)
_MARK_FORM = tuple((f.mark_keys, f.code) for f in registry.FAMILIES if f.channel == "form" and f.mark_keys)
# for forms without a Latin part: the families whose mark keys read only it are left out
_MARK_FORM_NO_LATIN = tuple((f.mark_keys, f.code) for f in registry.FAMILIES
                            if f.channel == "form" and f.mark_keys and not f.latin_only)
_PLACE = tuple((f.place_keys, f.code) for f in registry.FAMILIES if f.place_keys)
_BRAND_MEANING = tuple((f.brand_keys, f.code) for f in registry.FAMILIES if f.channel == "meaning" and f.brand_keys)
_MARK_MEANING = tuple((f.mark_keys, f.code) for f in registry.FAMILIES if f.channel == "meaning" and f.mark_keys)


def brand_form_keys(b: NormalisedMark, ctx: BrandKeyContext, out: set[str], *, search: bool = False) -> None:
    """Keys of one written form of a watched brand (the widened side).

    `search`: keys for a clearance query against the register, where the query is one and the
    register is huge: look-alikes are widened over the first two characters (a few hundred keys,
    few hits) instead of the first one (a few dozen keys per brand for screening).
    """
    if not b.core:
        return
    for build, code in _BRAND_FORM:
        build(code, b, ctx, out, search)


def mark_form_keys(c: NormalisedMark, out: set[str], *, one_char_places: bool = True,
                   search_look: bool = True) -> None:
    """Keys of one written form of a gazette / register mark (the cheap side).

    `one_char_places`: also the keys of one-character place names (a watchlist without such a
    geographical-indication brand does not need them). `search_look`: also the look keys over the
    first two characters, which only clearance queries have (a watchlist has the first-character ones)."""
    if not c.core:
        return
    for build, code in _MARK_FORM if c.latin else _MARK_FORM_NO_LATIN:
        build(code, c, out, one_char_places, search_look)


def place_keys(place: str) -> set[str]:
    """A place name's keys: its first two characters share the containment bigram keys (checked: the
    whole name in the mark's text); a one-character name has its own."""
    out: set[str] = set()
    if place:
        for build, code in _PLACE:
            build(code, place, out)
    return out


def brand_meaning_keys(texts: Iterable[str], lexicon, out: set[str]) -> None:
    """Meaning-channel keys of a brand's texts (mark, aliases and written parts)."""
    if lexicon is None:
        return
    for text in texts:
        if not text:
            continue
        zh, latin = meaning_parts(text)
        for build, code in _BRAND_MEANING:
            build(code, zh, latin, lexicon, out)


def mark_meaning_keys(texts: Iterable[str], lexicon, out: set[str], want: BrandSideWords | None = None) -> None:
    """Meaning-channel keys of a mark's texts (the whole text and its written parts). `want`: what
    the brand side has keys for; mark keys that could not meet a brand key are not built."""
    if lexicon is None:
        return
    want = want or NO_FILTER
    for text in texts:
        if not text:
            continue
        zh, latin = meaning_parts(text)
        for build, code in _MARK_MEANING:
            build(code, zh, latin, lexicon, out, want)


def meaning_texts_of_brand(bp) -> list[str]:
    """The texts the matcher's meaning channel reads for a brand (matcher._meaning)."""
    return list(dict.fromkeys([bp.brand.mark, *bp.brand.aliases] + [f.original for f in bp.forms]))


def meaning_texts_of_mark(mp) -> list[str]:
    return list(dict.fromkeys([mp.text] + [f.original for f in mp.forms]))
