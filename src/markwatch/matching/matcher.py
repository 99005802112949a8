"""The matcher: compiles a brand into profiles, runs every comparison, and gives one verdict with reasons.

No I/O here. The comparisons each return evidence (a score with its reason); the matcher keeps the
strongest, lets exception rules cap it, weighs it by how far the goods overlap, and sets a severity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from markwatch.goods.table import mark_groups
from markwatch.matching.combination import LearnedCombination, rules_score
from markwatch.matching.comparisons.alignment import has_anchor, shared_part_evidence
from markwatch.matching.comparisons.base import Evidence, evidence
from markwatch.matching.comparisons.image import Figure, image_evidence, recognised
from markwatch.matching.comparisons.latin import latin_similarity
from markwatch.matching.comparisons.look import look_similarity
from markwatch.matching.comparisons.sound import homophone_rule, sound_similarity
from markwatch.matching.comparisons.structure import GI_KINDS, place_rule, structure_similarity
from markwatch.matching.distinctiveness import Distinctiveness, Weights
from markwatch.matching.pair_features import pair_features
from markwatch.matching.rules import (
    AGREEMENT_BONUS,
    AGREEMENT_MAX_KINDS,
    DEFAULT_THRESHOLD,
    GOODS_DISSIMILAR_CAP,
    GOODS_FACTOR_FLOOR,
    KEY_BRAND_BONUS,
    SEVERITY_BANDS,
)
from markwatch.matching.wording import pair_reasons
from markwatch.model import Brand, Match, Reason, Severity
from markwatch.ports import Embedder, GoodsTable, Lexicon
from markwatch.text.normalise import NormalisedMark, Normaliser


@dataclass(frozen=True)
class BrandProfile:
    """A brand compiled for matching: every written form normalised once."""

    brand: Brand
    forms: tuple[NormalisedMark, ...]
    groups: frozenset[str]
    figure: Figure | None = None  # its logo and Vienna codes (comparisons/image.py)


@dataclass(frozen=True)
class MarkProfile:
    """A gazette mark (or any candidate) compiled for matching."""

    text: str
    forms: tuple[NormalisedMark, ...]
    classes: tuple[int, ...] = ()
    groups: frozenset[str] = frozenset()
    applicant: str | None = None
    ref: object = None  # the caller's handle (database id, index position)
    groups_complete: bool = True  # False when some goods texts could not be placed in a 类似群
    figure: Figure | None = None  # its picture and Vienna codes (comparisons/image.py)
    # words read in its picture that are not written in its text: (core of the form, text, OCR confidence)
    recognised: tuple[tuple[str, str, float], ...] = ()

    @property
    def main(self) -> NormalisedMark:
        return self.forms[0]


def recognised_forms(text: str, forms: Sequence[NormalisedMark], words: Sequence[tuple[str, float]],
                     normalise: Callable[[str], NormalisedMark]) -> tuple[tuple[str, str, float], ...]:
    """The forms among `forms` that come only from words read in the picture (not from `text`)."""
    if not words:
        return ()
    written = {f.core for f in written_forms(text, (), normalise)}
    present = {f.core for f in forms}
    out: dict[str, tuple[str, str, float]] = {}
    for word, confidence in words:
        core = normalise(word).core
        if core and core in present and core not in written and core not in out:
            out[core] = (core, word, confidence)
    return tuple(out.values())


def written_parts(text: str) -> list[str]:
    """A mark's separately written parts: words split by spaces, and the Chinese and Latin parts apart."""
    parts = [p for p in re.split(r"[\s/|，,;；、]+", text or "") if p]
    out: list[str] = []
    for p in parts:
        out.append(p)
        han = "".join(re.findall(r"[\u3400-\u9fff]+", p))
        latin = "".join(re.findall(r"[A-Za-zＡ-Ｚａ-ｚ]+", p))
        if han and latin:
            out.extend([han, latin])
    return out


def written_forms(text: str, extra: Iterable[str],
                  normalise: Callable[[str], NormalisedMark]) -> tuple[NormalisedMark, ...]:
    """Every written form of a mark to compare: the whole, its separate parts, and extra forms
    (a brand's aliases), normalised, one per distinct core."""
    whole = normalise(text)
    candidates = [whole]
    parts = written_parts(text)
    if len(parts) > 1:
        candidates += [normalise(p) for p in parts]
    candidates += [normalise(a) for a in extra]
    seen: dict[str, NormalisedMark] = {}
    for nm in candidates:
        if nm.core and nm.core not in seen:
            seen[nm.core] = nm
    return tuple(seen.values()) or (whole,)


@dataclass
class Matcher:
    """Compares brands with marks. Engines it needs (goods table, lexicon, embedder) are passed in."""

    normaliser: Normaliser = field(default_factory=Normaliser)
    goods_table: GoodsTable | None = None
    lexicon: Lexicon | None = None
    embedder: Embedder | None = None
    default_threshold: float = DEFAULT_THRESHOLD
    distinctiveness: Distinctiveness | None = None  # built from the goods table when not given
    combination: LearnedCombination | None = None  # None: the rules' (strongest finding + agreement bonus)
    _place_cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.distinctiveness is None:
            self.distinctiveness = Distinctiveness.from_goods_table(self.goods_table)

    # ---------------------------------------------------------------- profiles
    def forms_of(self, text: str, extra: Iterable[str] = ()) -> tuple[NormalisedMark, ...]:
        return written_forms(text, extra, self.normaliser.normalise)

    def profile_brand(self, brand: Brand) -> BrandProfile:
        return BrandProfile(brand=brand, forms=self.forms_of(brand.mark, brand.aliases),
                            groups=frozenset(brand.similar_groups))

    def profile_query(self, brand: Brand) -> BrandProfile:
        """`profile_brand` for a brand that is not on a watchlist (a compare or search query): its
        own words are watched while it is profiled, and the shared normaliser is left unchanged."""
        words = self.normaliser.query_words([brand.mark, *brand.aliases])
        forms = written_forms(brand.mark, brand.aliases, lambda t: self.normaliser.normalise(t, extra_words=words))
        return BrandProfile(brand=brand, forms=forms, groups=frozenset(brand.similar_groups))

    def profile_mark(self, text: str, classes: Sequence[int] = (), *, goods: Sequence[str] = (),
                     similar_groups: Sequence[str] = (), applicant: str | None = None,
                     ref: object = None, normal: NormalisedMark | None = None,
                     normalise: Callable[[str], NormalisedMark] | None = None,
                     words: Sequence[tuple[str, float]] = (), figure: Figure | None = None) -> MarkProfile:
        """`words`: (text, OCR confidence) read in the mark's picture, compared as further written forms."""
        found = mark_groups(self.goods_table, similar_groups, goods, classes)  # the record's, else from goods
        normalise = normalise or self.normaliser.normalise
        forms = written_forms(text, [w for w, _ in words], normalise)
        if normal is not None and normal.core and forms and forms[0].core != normal.core:
            forms = (normal,) + forms
        return MarkProfile(text=text, forms=forms, classes=tuple(classes), groups=found.groups,
                           applicant=applicant, ref=ref, groups_complete=found.complete, figure=figure,
                           recognised=recognised_forms(text, forms, words, normalise))

    # ---------------------------------------------------------------- comparing
    def mark_evidence(self, bp: BrandProfile, mp: MarkProfile, *, meaning: bool = True) -> list[Evidence]:
        """Every finding on the signs alone, over every pair of written forms.

        `meaning=False` leaves the meaning channel out: for a caller that knows it can find nothing
        (a clearance search whose meaning key families did not hit the pair, without an embedding model).
        """
        found: list[Evidence] = []
        kind = bp.brand.kind
        mark_classes = mp.classes or bp.brand.classes
        dist = self.distinctiveness
        assert dist is not None  # built in __post_init__

        def weak_word(text: str) -> bool:
            return dist.is_weak_word(text, bp.brand.classes or mark_classes)

        def mark_weights(c: NormalisedMark) -> Callable[[], Weights]:
            return lambda: dist.weights(c.chinese, mark_classes)

        read = {core: (text, conf) for core, text, conf in mp.recognised}
        brand_forms = [b for b in bp.forms if not self._weak_part(b, bp.forms[0])]
        mark_forms = [c for c in mp.forms if not self._weak_part(c, mp.forms[0])]
        for b in brand_forms:
            for c in mark_forms:
                start = len(found)
                bw = self.brand_weights(bp, b, mp.classes) if b.chinese else None
                found += structure_similarity(b, c, meaning_differs=self._meaning_differs,
                                              is_common_word=is_common_word, is_word=is_dictionary_word,
                                              brand_weights=bw)
                if bw is not None and c.chinese and b.chinese != c.chinese and has_anchor(b.chinese, c.chinese):
                    found += shared_part_evidence(b.chinese, c.chinese, bw, mark_weights(c), weak_word=weak_word)
                found += sound_similarity(b, c)
                found += look_similarity(b, c)
                found += latin_similarity(b, c, well_known=bp.brand.well_known)
                found += homophone_rule(b, c)
                if b is bp.forms[0] and c is mp.forms[0]:
                    split = self._place_product(b)
                    if kind in GI_KINDS or split is not None:
                        found += place_rule(b, c, split)
                if c.core in read:  # words read in the picture: said so, weighed by the OCR confidence
                    found[start:] = [recognised(e, *read[c.core]) for e in found[start:]]
        if meaning:
            found += self._meaning(bp, mp)
        return found

    def _weak_part(self, form: NormalisedMark, whole: NormalisedMark) -> bool:
        """A separately written Latin word that is not a mark on its own: a single letter, or, in a
        phrase of several words, a pinyin syllable (TIAN of TIAN MAO) or an everyday English word
        (GREAT of GREAT WALL). The whole phrase is still compared."""
        if form is whole or form.chinese or not form.latin or len(form.latin_words) > 1:
            return False
        word = form.latin
        if len(word) <= 1:
            return True
        if len(whole.latin_words) < 2:
            return False
        from markwatch.matching.comparisons.latin import pinyin_syllables

        return word in pinyin_syllables() or (self.lexicon is not None and self.lexicon.headword_count(word) > 0)

    def brand_weights(self, bp: BrandProfile, b: NormalisedMark, mark_classes: Sequence[int] = ()) -> Weights:
        """The distinctiveness weights of a brand form's Han part, for the brand's goods (the mark's
        when the brand has no classes); a place-name mark's place is not weak."""
        place_mark = bp.brand.kind in GI_KINDS or self._place_product(b) is not None or _place_noun(b.chinese)
        return self.distinctiveness.weights(  # type: ignore[union-attr]
            b.chinese, bp.brand.classes or tuple(mark_classes), place_distinctive=place_mark)

    def _place_product(self, b: NormalisedMark) -> tuple[str, str] | None:
        """A brand written as a known place plus a goods word is read like a geographical indication."""
        if self.goods_table is None or not b.chinese:
            return None
        if b.chinese not in self._place_cache:
            from markwatch.text.places import split_place_product

            self._place_cache[b.chinese] = split_place_product(
                b.chinese, self.goods_table.is_goods_word)
        return self._place_cache[b.chinese]

    def _meaning_differs(self, brand: str, candidate: str, i: int) -> bool:
        """Whether character i sits in a common word in both marks, and the words differ
        (电老虎 tiger / 电飞虎 flying tiger), unlike meaningless renderings (帕尔斯/帕尔特)."""
        numerals = "零一二两三四五六七八九十百千万"
        if brand[i] in numerals and candidate[i] in numerals:
            return False  # a swapped numeral keeps the mark's structure (五粮液/九粮液, 六个核桃/九个核桃)
        wb, wc = _words_at(brand, i), _words_at(candidate, i)
        if not wb or not wc or wb & wc:
            return False
        if self.lexicon is not None:  # 师傅/师父: other words, the same meaning
            lex = self.lexicon
            for x in wb:
                glosses = set(lex.word_glosses(x, names=False))
                synonyms = lex.synonyms(x)
                if any(y in synonyms or glosses & set(lex.word_glosses(y, names=False))
                       for y in wc):
                    return False
        return True

    def _meaning(self, bp: BrandProfile, mp: MarkProfile) -> list[Evidence]:
        if self.lexicon is None:
            return []
        from markwatch.matching.comparisons.meaning import meaning_similarity

        found: list[Evidence] = []
        # The whole texts only: meaning_similarity looks at the Chinese and Latin parts itself.
        brand_texts = [bp.brand.mark, *bp.brand.aliases]
        read = {text: conf for _, text, conf in mp.recognised}
        cand_texts = [mp.text, *read]
        seen: set[tuple[str, str]] = set()
        for a in dict.fromkeys(brand_texts):
            for c in dict.fromkeys(cand_texts):
                if (a, c) in seen or not a or not c:
                    continue
                seen.add((a, c))
                score, reasons = meaning_similarity(a, c, lexicon=self.lexicon, embedder=self.embedder)  # type: ignore[arg-type]
                if score > 0:
                    for r in reasons:
                        e = Evidence(Reason(kind=r.kind, detail=r.detail, detail_en=r.detail_en, score=score))
                        found.append(recognised(e, c, read[c]) if c in read and c != mp.text else e)
        return found

    def goods_overlap(self, bp: BrandProfile, mp: MarkProfile):
        from markwatch.goods.overlap import goods_overlap

        table = self.goods_table
        overlap = goods_overlap(bp.brand.classes, bp.groups, mp.classes, mp.groups, well_known=bp.brand.well_known,
                                table=table)
        if not overlap.same_groups and not mp.groups_complete and mp.groups:
            # Some goods could not be placed: they may be in the brand's group, so groups count as unknown.
            overlap = goods_overlap(bp.brand.classes, bp.groups, mp.classes, (), well_known=bp.brand.well_known,
                                    table=table)
        if overlap.needs_same_sign and not self._reproduces(bp, mp):
            overlap = _unrelated(overlap)  # related goods count only against a mark reproducing the brand
        return overlap

    def compare_profiles(self, bp: BrandProfile, mp: MarkProfile, *, meaning: bool = True) -> Match:
        brand = bp.brand
        excluded = self._exception(brand, mp)
        found = self.mark_evidence(bp, mp, meaning=meaning)
        notes: list[Reason] = []
        if bp.figure is not None and mp.figure is not None:
            words_score = max((e.score for e in found), default=0.0)
            pictured, notes = image_evidence(bp.figure, mp.figure, words_score=words_score)
            found += pictured
        caps = [e.cap for e in found if e.cap is not None]
        scored = sorted((e for e in found if e.score > 0), key=lambda e: -e.score)
        overlap = self.goods_overlap(bp, mp)
        pair = self.pair_features(bp, mp, overlap.score) if self.combination is not None and scored else None
        mark_score = self.combine(scored, pair)
        if caps:
            mark_score = min(mark_score, min(caps))
        if overlap.score <= 0:
            score = min(mark_score, GOODS_DISSIMILAR_CAP)
        else:
            score = mark_score * (GOODS_FACTOR_FLOOR + (1 - GOODS_FACTOR_FLOOR) * overlap.score)
        threshold = brand.threshold if brand.threshold is not None else self.default_threshold
        similar = score >= threshold and overlap.score > 0 and excluded is None
        reasons = pair_reasons(brand, bp.forms, mp.forms, scored + [e for e in found if e.cap is not None])
        reasons += notes + list(overlap.reasons)
        if excluded is not None:
            reasons.insert(0, excluded.reason)
        severity = severity_for(score, key=brand.key) if similar else None
        return Match(score=round(score, 4), similar=similar, severity=severity, reasons=tuple(reasons),
                     mark_score=round(mark_score, 4), goods_score=round(overlap.score, 4))

    def combine(self, scored: Sequence[Evidence], pair: Mapping[str, float] | None = None) -> float:
        """The mark score of the findings (positive scores, strongest first), before caps and goods;
        `pair`: the pair's features (`pair_features`), which the learned combination reads."""
        if self.combination is not None:
            return self.combination.score(scored, pair)
        return rules_score(scored)

    def _reproduces(self, bp: BrandProfile, mp: MarkProfile) -> bool:
        """Whether the mark writes every character of a form of the brand (in any order, with
        insertions): what related, not similar, goods ask of a mark before they count."""
        from markwatch.matching.pair_features import found_positions

        return any(len(found_positions(b.core, c.core)[0]) == len(b.core) > 0
                   for b in bp.forms for c in mp.forms if len(b.core) >= 2)

    def pair_features(self, bp: BrandProfile, mp: MarkProfile, goods: float) -> dict[str, float]:
        """The graded features of the pair beyond its findings (pair_features.py), over the written
        forms the findings are looked for in."""
        dist = self.distinctiveness
        assert dist is not None
        mark_classes = mp.classes or bp.brand.classes
        forms = []
        for b in (b for b in bp.forms if not self._weak_part(b, bp.forms[0])):
            bw = self.brand_weights(bp, b, mp.classes) if b.chinese else None
            for c in (c for c in mp.forms if not self._weak_part(c, mp.forms[0])):
                forms.append((b, c, bw, lambda c=c: dist.weights(c.chinese, mark_classes)))
        return pair_features(forms, goods)

    @property
    def combination_name(self) -> str:
        return "rules" if self.combination is None else "learned"

    @property
    def score_lift(self) -> float:
        """How far the combination may raise a lone finding (the screening's threshold checks)."""
        return 0.0 if self.combination is None else self.combination.max_lift

    def mark_bound(self, best: float, further_kinds: int) -> float:
        """An upper bound of `combine` for findings none above `best`, with at most `further_kinds`
        evidence kinds beside the strongest (what the clearance search's bounds need)."""
        if self.combination is not None:
            return self.combination.bound(best, further_kinds)
        return min(1.0, best + AGREEMENT_BONUS * min(AGREEMENT_MAX_KINDS, further_kinds)) if best > 0 else 0.0

    def warm_up(self, profiler=None) -> None:
        """Load the lazily built tables (lexicon reverse index, glyph table, both segmenters) now, not
        in the first real comparison: a server does this at start, a batch before it forks workers."""
        profile_brand = profiler.profile_brand if profiler is not None else self.profile_brand
        profile_mark = profiler.profile_mark if profiler is not None else self.profile_mark
        for brand, candidate in (("康师傅", "康帅傅"), ("苹果", "APPLE"), ("红牛", "赤牛饮料"), ("帕尔斯", "帕尔特"),
                                 ("五常大米", "五常香米"), ("额头华", "额头花"), ("BMW", "BMN")):
            self.compare_profiles(profile_brand(Brand(brand_id="warm-up", mark=brand)), profile_mark(candidate, (30,)))
        is_common_word("师傅")  # the general dictionary, which the one-character-changed rule reads
        if self.distinctiveness is not None:
            self.distinctiveness.warm_up()  # its part-of-speech table and character components
        self.normaliser.normalise("康师傅方便面")  # its segmenter, which the profiler's spot checks use

    def _exception(self, brand: Brand, mp: MarkProfile) -> Evidence | None:
        applicant = (mp.applicant or "").strip()
        if applicant:
            owners = {o.strip() for o in (brand.owner, *brand.exclude_applicants) if o}
            if applicant in owners:
                return evidence("exception", "excluded_applicant", 0.0, w=applicant)
        for word in brand.exclude_words:
            if word and word in mp.text:
                return evidence("exception", "excluded_word", 0.0, w=word)
        return None

    def compare(self, brand: Brand | str, candidate: str, *, brand_classes: Sequence[int] = (),
                candidate_classes: Sequence[int] = (), candidate_goods: Sequence[str] = (),
                candidate_groups: Sequence[str] = (), applicant: str | None = None,
                brand_figure: Figure | None = None, candidate_figure: Figure | None = None,
                candidate_words: Sequence[tuple[str, float]] = ()) -> Match:
        """Compare one brand (or a bare mark text) with one candidate text; figures and words read in
        the candidate's picture, when given, go to the image channel and the word channels."""
        if isinstance(brand, str):
            brand = Brand(brand_id="-", mark=brand, classes=tuple(brand_classes))
        # The brand's words are watched for this comparison only (as a run watches its brands),
        # without entering the shared normaliser.
        words = self.normaliser.query_words([brand.mark, *brand.aliases])

        def normalise(text: str) -> NormalisedMark:
            return self.normaliser.normalise(text, extra_words=words)

        bp = self.profile_query(brand)
        if brand_figure is not None:
            bp = replace(bp, figure=brand_figure)
        mp = self.profile_mark(candidate, candidate_classes, goods=candidate_goods,
                               similar_groups=candidate_groups, applicant=applicant, normalise=normalise,
                               words=candidate_words, figure=candidate_figure)
        return self.compare_profiles(bp, mp)


COMMON_WORD_FREQ = 50  # jieba dictionary frequency from which a word counts as an everyday word
DICTIONARY_WORD_FREQ = 3  # ... from which it is a word at all (蜜桃), not a chance pair of characters


def _dictionary_freq(text: str) -> int:
    import jieba

    from markwatch.text.segmenter import initialise_default

    initialise_default()  # one read of the dictionary for every tokenizer (text.segmenter)
    return jieba.get_FREQ(text) or 0


def is_common_word(text: str) -> bool:
    """An everyday word of the general dictionary (师傅, 农夫, 白兔): not distinctive on its own."""
    return _dictionary_freq(text) >= COMMON_WORD_FREQ


def is_dictionary_word(text: str) -> bool:
    """A word of the general dictionary, however rare (蜜桃): characters that have a sense together."""
    return _dictionary_freq(text) >= DICTIONARY_WORD_FREQ


def _words_at(text: str, i: int) -> frozenset[str]:
    """Everyday words of the general dictionary (not the watched brands) that cover character i."""
    import jieba

    from markwatch.text.segmenter import initialise_default

    initialise_default()  # one read of the dictionary for every tokenizer (text.segmenter)
    found = set()
    for start in range(max(0, i - 3), i + 1):
        for end in range(i + 1, min(len(text), start + 4) + 1):
            word = text[start:end]
            if len(word) >= 2 and (jieba.get_FREQ(word) or 0) >= COMMON_WORD_FREQ:
                found.add(word)
    return frozenset(found)


def _unrelated(overlap):
    """Related goods that do not count (the mark does not reproduce the brand): dissimilar, with why."""
    from markwatch.goods.overlap import GoodsOverlap

    why = [Reason("goods", f"{r.detail}；但新商标未完整再现商标文字，不构成类似",
                  f"{r.detail_en}; but the mark does not reproduce the brand, so they do not count", 0.0)
           for r in overlap.reasons]
    return GoodsOverlap(0.0, reasons=why)


def severity_for(score: float, *, key: bool = False) -> Severity:
    boosted = score + (KEY_BRAND_BONUS if key else 0.0)
    for name, floor in SEVERITY_BANDS:
        if boosted >= floor:
            return name
    return SEVERITY_BANDS[-1][0]


def _place_noun(text: str) -> bool:
    """A known place followed by a plain noun of the general dictionary (阳澄湖 + 大闸蟹): the shape of a
    regional brand even where the goods table has no item of that name, so the place is what
    distinguishes it, not a weak head."""
    from markwatch.matching.distinctiveness import is_plain_noun
    from markwatch.text.places import leading_place

    place = leading_place(text)
    return place is not None and len(text) > len(place) and is_plain_noun(text[len(place):])
