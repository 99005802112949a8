"""Batch profiling (批量规范化): many marks normalised and profiled fast, identical to the plain path.

`Normaliser.normalise` and `Matcher.profile_mark` are the reference. At gazette scale two of their
steps dominate: pypinyin (called twice per mark, ≈ 60 µs) and the check of every watched word
against every mark (10,000 brands ≈ 0.5 ms a mark). `FastProfiler` produces the very same
`NormalisedMark` and `MarkProfile` objects with

- pinyin per pypinyin segment (its own max-match segmentation, then its own converter on each
  segment, cached): the same calls lazy_pinyin makes, without re-doing them for every mark;
- watched words found by looking up the mark's substrings in a set, not each word in the mark;
- caches for the steps whose result depends on a short string only (segmentation, goods groups).

It is an exact replica, not an approximation: tests compare it field by field with the reference
on generated and real marks, and at run time every `spot_check_every`-th mark is also normalised
the plain way. A difference (say the normaliser changed and this file did not follow) switches the
profiler to the plain path for good and is logged: slower, never different.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markwatch.goods.table import MarkGroups, mark_groups
from markwatch.matching.matcher import (
    BrandProfile,
    MarkProfile,
    Matcher,
    recognised_forms,
    written_forms,
    written_parts,
)
from markwatch.model import Brand
from markwatch.text import normalise as _norm
from markwatch.text.normalise import NormalisedMark, Normaliser, strip_generic

log = logging.getLogger(__name__)

# The normaliser version this replica was written against: any other version uses the plain path.
REPLICA_OF_VERSION = "2"

_NUMBER_RUN = re.compile(r"[零一二两三四五六七八九十百千万]+")
_LATIN_WORD = re.compile(r"[a-z]+")
_CACHE_LIMIT = 500_000


def _bounded(cache: dict, limit: int = _CACHE_LIMIT) -> None:
    if len(cache) > limit:
        cache.clear()


class _Pinyin:
    """`normalise.pinyin_of` without its repeated work: pypinyin's own segmentation and converter."""

    def __init__(self) -> None:
        from pypinyin import Style
        from pypinyin.converter import UltimateConverter
        from pypinyin.core import Pinyin

        # The two converters lazy_pinyin builds for pinyin_of's two calls.
        self._plain = Pinyin(UltimateConverter(v_to_u=False, neutral_tone_with_five=False, tone_sandhi=False))
        self._toned = Pinyin(UltimateConverter(v_to_u=False, neutral_tone_with_five=True, tone_sandhi=False))
        self._style_n, self._style_t = Style.NORMAL, Style.TONE3
        self._words: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._strings: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def _word(self, word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        got = self._words.get(word)
        if got is None:
            def err(s):
                return list(s)
            n = tuple(p for item in self._plain._converter.convert(word, self._style_n, False, err, strict=True)
                      for p in item)
            t = tuple(p for item in self._toned._converter.convert(word, self._style_t, False, err, strict=True)
                      for p in item)
            got = self._words[word] = (n, t)
        return got

    def __call__(self, han: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if not han:
            return (), ()
        got = self._strings.get(han)
        if got is None:
            n: tuple[str, ...] = ()
            t: tuple[str, ...] = ()
            for word in self._plain.seg(han):
                wn, wt = self._word(word)
                n += wn
                t += wt
            _bounded(self._strings)
            got = self._strings[han] = (n, t)
        return got


class _LazyTokens:
    """`tokens` of a batch-normalised mark, segmented on first read: the matcher reads the tokens of
    brands only (place names), so most gazette marks never pay for the segmenter."""

    def __get__(self, obj, objtype=None):
        if obj is None:
            return ()
        d = obj.__dict__
        value = d.get("_tokens")
        if value is None:
            segment = d.pop("_segment", None)
            value = d["_tokens"] = segment(obj.core) if segment is not None else ()
        return value

    def __set__(self, obj, value) -> None:
        obj.__dict__["_tokens"] = value


class LazyNormalisedMark(NormalisedMark):
    """A `NormalisedMark` whose tokens are computed when first read; equal to the plain one."""

    tokens = _LazyTokens()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NormalisedMark):
            return self.as_dict() == other.as_dict()
        return NotImplemented

    __hash__ = NormalisedMark.__hash__

    def __reduce__(self):
        # Shipped (Dask, pickled results) as a plain NormalisedMark, tokens included.
        return NormalisedMark.from_dict, (self.as_dict(),)


@dataclass
class BatchNormaliser:
    """Normalises many marks exactly as `normaliser.normalise` does, at batch speed (ingest, runs, the
    register index). Results are cached per distinct text by the steps it replaces."""

    normaliser: Normaliser
    spot_check_every: int = 997
    _pinyin: _Pinyin = field(default_factory=_Pinyin, init=False, repr=False)
    _clean: dict = field(default_factory=dict, init=False, repr=False)
    _tokens: dict = field(default_factory=dict, init=False, repr=False)
    _normal: dict = field(default_factory=dict, init=False, repr=False)  # mark → result (the same brand words)
    _rebuilt: dict = field(default_factory=dict, init=False, repr=False)  # (mark, core, generic) → from_stored
    _words_seen: int = field(default=-1, init=False, repr=False)
    _brand_set: frozenset = field(default=frozenset(), init=False, repr=False)
    _max_word: int = field(default=0, init=False, repr=False)
    _count: int = field(default=0, init=False, repr=False)
    plain: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if _norm.NORMALISER_VERSION != REPLICA_OF_VERSION:
            log.warning("normaliser version %s differs from the batch replica's %s: using the plain path",
                        _norm.NORMALISER_VERSION, REPLICA_OF_VERSION)
            self.plain = True

    def _sync_brand_words(self) -> None:
        words = self.normaliser.brand_words
        if len(words) != self._words_seen:
            self._brand_set = frozenset(w for w in words if w)
            self._max_word = max((len(w) for w in self._brand_set), default=0)
            self._words_seen = len(words)
            self._tokens.clear()  # the segmenter's dictionary now holds other words
            self._normal.clear()  # and other words are protected from stripping
            self._rebuilt.clear()

    def _protected(self, text: str) -> list[str]:
        """Watched words inside `text` other than `text` itself (what normalise() protects)."""
        brand_set, n = self._brand_set, len(text)
        if not brand_set:
            return []
        top = min(self._max_word, n)
        found = {text[i:i + k] for k in range(1, top + 1) for i in range(n - k + 1)} & brand_set
        found.discard(text)
        return list(found)

    def clean(self, text: str) -> str:
        got = self._clean.get(text)
        if got is None:
            _bounded(self._clean)
            got = self._clean[text] = self.normaliser.clean(text)
        return got

    def _segment(self, core: str) -> tuple[str, ...]:
        got = self._tokens.get(core)
        if got is None:
            _bounded(self._tokens)
            got = self._tokens[core] = self.normaliser._segment(core)
        return got

    def normalise(self, mark: str) -> NormalisedMark:
        """Equal to `self.matcher.normaliser.normalise(mark)`."""
        if self.plain:
            return self.normaliser.normalise(mark)
        self._sync_brand_words()
        original = mark or ""
        done = self._normal.get(original)
        if done is not None:
            return done
        text = self.clean(original)
        core, generic = strip_generic(text, protected=self._protected(text))
        chinese: list[str] = []
        latin: list[str] = []
        digits: list[str] = []
        for m in _norm._PART_RE.finditer(core):
            if m.group("han"):
                chinese.append(m.group("han"))
            elif m.group("latin"):
                latin.append(m.group("latin"))
            else:
                digits.append(m.group("digit"))
        spaced = unicodedata.normalize("NFKC", original).lower()
        words = tuple(_LATIN_WORD.findall(spaced)) or tuple(latin)
        han = "".join(chinese)
        pinyin, pinyin_tone = self._pinyin(han)
        numbers = tuple(int(d) for d in digits)
        for run in _NUMBER_RUN.findall(han):
            value = _norm.chinese_number_value(run)
            if value is not None and len(run) > 1:
                numbers += (value,)
        result = LazyNormalisedMark(
            original=original, text=text, core=core, chinese=han, latin="".join(latin),
            digits="".join(digits), latin_words=words, pinyin=pinyin, pinyin_tone=pinyin_tone,
            tokens=None, generic=generic, numbers=numbers,  # type: ignore[arg-type]
        )
        result.__dict__["_segment"] = self._segment
        _bounded(self._normal)
        self._normal[original] = result
        self._count += 1
        if self.spot_check_every and self._count % self.spot_check_every == 0:
            self._spot_check(mark, result)
        return result

    def _spot_check(self, mark: str, fast: NormalisedMark) -> bool:
        slow = self.normaliser.normalise(mark)
        if slow != fast:
            log.warning("batch normaliser differs from the normaliser on %r (%s / %s): using the plain path "
                        "from now on", mark, fast, slow)
            self.plain = True
        return not self.plain

    def from_stored(self, mark: str, stored: Mapping[str, Any]) -> NormalisedMark | None:
        """`normalise(mark)` rebuilt from the form ingest stored (`NormalisedMark.as_dict()`), without
        cleaning, converting or reading pinyin again; None when it could differ: another mark or
        normaliser version, or watched words that now keep another part from being stripped (ingest
        may have known other brands). Only the generic-word step is redone, on the stored text."""
        if self.plain or stored.get("version") != _norm.NORMALISER_VERSION or stored.get("original") != (mark or ""):
            return None
        self._sync_brand_words()
        # A text rebuilt once from a stored form with this core is rebuilt the same from every copy
        # (the other fields follow from the text); a copy stored under other watched words has
        # another core and is checked, and refused, on its own.
        try:
            memo_key = (mark, stored["core"], tuple(stored["generic"]))
        except (KeyError, TypeError):
            return None
        done = self._rebuilt.get(memo_key)
        if done is not None:
            return done
        try:
            text = stored["text"]
            core, generic = strip_generic(text, protected=self._protected(text))
            if core != stored["core"] or list(generic) != list(stored["generic"]):
                return None
            result = LazyNormalisedMark(
                original=stored["original"], text=text, core=core, chinese=stored["chinese"],
                latin=stored["latin"], digits=stored["digits"], latin_words=tuple(stored["latin_words"]),
                pinyin=tuple(stored["pinyin"]), pinyin_tone=tuple(stored["pinyin_tone"]),
                tokens=None, generic=generic, numbers=tuple(stored["numbers"]),  # type: ignore[arg-type]
            )
        except (KeyError, TypeError):  # not a stored normal form after all
            return None
        # Tokens as the segmenter cuts them now (with today's watched words), when first read.
        result.__dict__["_segment"] = self._segment
        self._count += 1
        if self.spot_check_every and self._count % self.spot_check_every == 0 and not self._spot_check(mark, result):
            return None
        _bounded(self._rebuilt)
        self._rebuilt[memo_key] = result
        return result


def stored_normal(normal: Mapping[str, Any] | None) -> NormalisedMark | None:
    """A mark's normal form as stored at ingest, when the normaliser has not changed since."""
    if normal and normal.get("version") == _norm.NORMALISER_VERSION:
        return NormalisedMark.from_dict(dict(normal))
    return None


@dataclass
class FastProfiler:
    """Profiles marks exactly as `matcher.profile_mark` does, at batch speed."""

    matcher: Matcher
    spot_check_every: int = 997
    _groups: dict = field(default_factory=dict, init=False, repr=False)
    _parts: dict = field(default_factory=dict, init=False, repr=False)  # text → written in one part
    batch: BatchNormaliser = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.batch = BatchNormaliser(self.matcher.normaliser, self.spot_check_every)

    @property
    def normaliser(self) -> Normaliser:
        return self.matcher.normaliser

    @property
    def plain(self) -> bool:
        """True once the batch path is off (another normaliser version, or a spot check that differed)."""
        return self.batch.plain

    @plain.setter
    def plain(self, value: bool) -> None:
        self.batch.plain = value

    def normalise(self, mark: str) -> NormalisedMark:
        """Equal to `self.matcher.normaliser.normalise(mark)`."""
        return self.batch.normalise(mark)

    def clean(self, text: str) -> str:
        """Equal to `self.matcher.normaliser.clean(text)` (cached)."""
        return self.batch.clean(text)

    # ---------------------------------------------------------------- profiles
    def forms_of(self, text: str, extra: Iterable[str] = ()) -> tuple[NormalisedMark, ...]:
        """Equal to `Matcher.forms_of`."""
        if self.plain:
            return self.matcher.forms_of(text, extra)
        return written_forms(text, extra, self.normalise)

    def profile_brand(self, brand: Brand) -> BrandProfile:
        """Equal to `Matcher.profile_brand`."""
        return BrandProfile(brand=brand, forms=self.forms_of(brand.mark, brand.aliases),
                            groups=frozenset(brand.similar_groups))

    def groups_for(self, similar_groups: Sequence[str], goods: Sequence[str], classes: Sequence[int]) -> MarkGroups:
        """`goods.table.mark_groups` (the one rule for a mark's 类似群), cached by goods and classes."""
        key = (tuple(similar_groups), tuple(goods), tuple(classes))
        got = self._groups.get(key)
        if got is None:
            _bounded(self._groups, 200_000)
            got = self._groups[key] = mark_groups(self.matcher.goods_table, similar_groups, goods, classes)
        return got

    def _one_part(self, text: str) -> bool:
        got = self._parts.get(text)
        if got is None:
            _bounded(self._parts)
            got = self._parts[text] = len(written_parts(text)) <= 1
        return got

    def profile_stored(self, text: str, classes: Sequence[int] = (), *, goods: Sequence[str] = (),
                       similar_groups: Sequence[str] = (), applicant: str | None = None, ref: object = None,
                       stored: Mapping[str, Any] | None = None, words: Sequence[tuple[str, float]] = (),
                       figure=None) -> MarkProfile:
        """Equal to `profile_mark(..., normal=stored_normal(stored))`: a stored gazette mark. A mark
        written in one part (no spaces, not Chinese and Latin side by side) and no words read in its
        picture has one form, its whole normal form, rebuilt from the stored one (`from_stored`)
        instead of being normalised again."""
        whole = None
        if stored and not words and not self.plain and self._one_part(text):
            whole = self.batch.from_stored(text, stored)
        if whole is None:
            return self.profile_mark(text, classes, goods=goods, similar_groups=similar_groups, applicant=applicant,
                                     ref=ref, normal=stored_normal(stored), words=words, figure=figure)
        found = self.groups_for(similar_groups, goods, classes)
        return MarkProfile(text=text, forms=(whole,), classes=tuple(classes), groups=found.groups,
                           applicant=applicant, ref=ref, groups_complete=found.complete, figure=figure, recognised=())

    def profile_mark(self, text: str, classes: Sequence[int] = (), *, goods: Sequence[str] = (),
                     similar_groups: Sequence[str] = (), applicant: str | None = None,
                     ref: object = None, normal: NormalisedMark | None = None,
                     words: Sequence[tuple[str, float]] = (), figure=None) -> MarkProfile:
        """Equal to `Matcher.profile_mark` with the same arguments."""
        if self.plain:
            return self.matcher.profile_mark(text, classes, goods=goods, similar_groups=similar_groups,
                                             applicant=applicant, ref=ref, normal=normal, words=words,
                                             figure=figure)
        found = self.groups_for(similar_groups, goods, classes)
        forms = self.forms_of(text, [w for w, _ in words])
        if normal is not None and normal.core and forms and forms[0].core != normal.core:
            forms = (normal,) + forms
        return MarkProfile(text=text, forms=forms, classes=tuple(classes), groups=found.groups,
                           applicant=applicant, ref=ref, groups_complete=found.complete, figure=figure,
                           recognised=recognised_forms(text, forms, words, self.normalise))
