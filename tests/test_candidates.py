"""Candidate generation against the exact reference: no pair the full scorer flags may be lost.

The data are generated (scripts/bench.py, seeded) with planted variants of every kind the matcher
knows; the exact reference scores every (mark, brand) pair. The batch profiler is checked field by
field against the plain normaliser, and each blocking-key family against hand-picked pairs.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import pickle
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from markwatch.blocking.goods_mask import brand_goods_mask, goods_mask, goods_may_overlap
from markwatch.blocking.key_index import CandidateStats, KeyIndex
from markwatch.blocking.keys import meaning_texts_of_mark
from markwatch.blocking.meaning_keys import composed_translation_ends
from markwatch.blocking.reference import brute_force
from markwatch.composition import MatcherSpec, build_matcher
from markwatch.matching import registry
from markwatch.matching.profiles import FastProfiler
from markwatch.matching.rules import SOUND
from markwatch.model import Brand

ROOT = Path(__file__).resolve().parents[1]


def load_bench():
    if "markwatch_bench" in sys.modules:
        return sys.modules["markwatch_bench"]
    spec = importlib.util.spec_from_file_location("markwatch_bench", ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["markwatch_bench"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def matcher():
    # the rules' combination: the bounds below are the rules' (the learned one's have their own test)
    return build_matcher(MatcherSpec(combination="rules"))


@pytest.fixture(scope="module")
def world(matcher):
    """450 marks (40% planted) and 100 brands, profiled; the index; candidates; the brute force."""
    bench = load_bench()
    data = bench.generate(450, 100, seed=5, planted_share=0.4)
    profiler = FastProfiler(matcher)
    matcher.normaliser.add_brand_words(w for b in data.brands for w in (b.mark, *b.aliases))
    brands = [profiler.profile_brand(b) for b in data.brands]
    marks = [profiler.profile_mark(r.mark, r.classes, goods=r.goods, similar_groups=r.similar_groups,
                                   applicant=r.applicant) for r in data.records]
    index = KeyIndex.from_profiles(brands, lexicon=matcher.lexicon, goods_table=matcher.goods_table,
                                   default_threshold=matcher.default_threshold)
    stats = CandidateStats()
    pairs = set(index.candidate_pairs(marks, stats=stats))
    flagged = _parallel_brute_force(matcher, brands, marks)
    return data, brands, marks, index, pairs, flagged, stats


def _bf_chunk(bounds):
    lo, hi = bounds
    m, brands, marks = _BF
    return brute_force(m, brands, marks, mark_positions=range(lo, hi))


_BF: tuple = ()


def _parallel_brute_force(matcher, brands, marks):
    global _BF
    _BF = (matcher, brands, marks)
    n = len(marks)
    parts = [(lo, min(n, lo + 150)) for lo in range(0, n, 150)]
    if "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(2) as pool:
            results = pool.map(_bf_chunk, parts)
    else:  # pragma: no cover
        results = [_bf_chunk(p) for p in parts]
    return set().union(*results)


def test_candidates_lose_no_pair_the_brute_force_flags(world):
    _data, _brands, _marks, _index, pairs, flagged, _stats = world
    assert flagged, "the generated data must contain flagged pairs"
    missed = flagged - pairs
    assert not missed, f"candidate generation lost {len(missed)} of {len(flagged)} flagged pairs: {sorted(missed)[:10]}"


def test_candidates_are_few(world):
    _data, brands, marks, _index, pairs, flagged, stats = world
    # A small multiple of the true hits, and a tiny share of all pairs.
    assert len(pairs) <= 4 * len(flagged) + 50
    assert len(pairs) < 0.02 * len(brands) * len(marks)
    assert stats.pairs == len(pairs)


def test_a_block_of_marks_gets_what_each_mark_gets_alone(world):
    _data, _brands, marks, index, pairs, _flagged, stats = world
    table = index.goods_table
    alone = set()
    for i, mp in enumerate(marks):
        g = (goods_mask(mp.classes, mp.groups, table), bool(mp.classes))
        alone |= {(i, j) for j in index.candidate_forms(mp.forms, meaning_texts_of_mark(mp), goods=g)}
    latin = {(i, j) for i, j in index.latin_pairs(marks) if (i, j) in pairs}
    assert alone | latin == pairs
    # Every keyed pair is accounted for: scored, checked out, or out on goods.
    assert stats.keyed_pairs == stats.pairs + stats.checked_out + stats.goods_out
    assert stats.goods_out > 0 and stats.checked_out > 0


def test_a_repeated_mark_gets_what_it_gets_alone(world, matcher):
    """Screening keeps a mark's key slots and check answers per distinct mark: a later copy of the
    same text with other goods must get the candidates a fresh index gives that copy."""
    _data, brands, marks, index, _pairs, _flagged, _stats = world
    copies = [replace(mp, classes=((mp.classes[0] % 45) + 1,) if mp.classes else (30,), groups=frozenset())
              for mp in marks]
    fresh = KeyIndex.from_profiles(brands, lexicon=matcher.lexicon, goods_table=matcher.goods_table,
                                   default_threshold=matcher.default_threshold)
    alone = set(fresh.candidate_pairs(copies))
    index.candidate_pairs(marks)  # the memo now holds every text
    n = len(marks)
    together = {(i - n, j) for i, j in index.candidate_pairs(marks + copies) if i >= n}
    assert alone and together == alone


def test_family_bounds_hold_for_every_candidate(world, matcher):
    """The clearance search stops on these bounds: no candidate may score above its bound."""
    from markwatch.blocking.bounds import pair_bound

    _data, brands, marks, index, _pairs, _flagged, _stats = world
    latin = set(index.latin_pairs(marks))
    checked = 0
    for i, mp in enumerate(marks):
        fams = index.hit_families(mp.forms, meaning_texts_of_mark(mp))
        for j, fs in fams.items():
            if (i, j) in latin:
                fs = fs | {registry.LATIN_RATIO}
            match = matcher.compare_profiles(brands[j], mp)
            own = registry.LATIN_RATIO.bound if registry.LATIN_RATIO in fs else None
            assert match.mark_score <= pair_bound(fs, own=own) + 1e-9, (
                mp.text, brands[j].brand.mark, sorted(f.name for f in fs), match.reasons)
            checked += 1
    assert checked > 100


def test_stored_sound_and_look_forms_give_the_channels_scores(world, matcher):
    """The search's second-stage bound: sound and look scored on the forms an index stores equal
    the channels' findings on the full profiles, and the bound they make holds for every candidate."""
    from markwatch.blocking.bounds import (
        pair_bound,
        parse_sound_look_forms,
        shared_part_reach,
        sound_look_forms,
        sound_look_reach,
        sound_look_scores,
    )

    _data, brands, marks, index, _pairs, _flagged, _stats = world
    checked = tightened = 0
    for mp in marks:
        stored = parse_sound_look_forms(sound_look_forms(mp.forms))
        assert [(c.chinese, c.pinyin, c.pinyin_tone) for c in stored] == [
            (c.chinese, c.pinyin, c.pinyin_tone) for c in mp.forms if c.chinese]
        for j, fs in index.hit_families(mp.forms, meaning_texts_of_mark(mp)).items():
            if not fs & registry.SOUND_LOOK:
                continue
            sound, look, cap = sound_look_scores(brands[j].forms, stored)
            reach = sound_look_reach(brands[j].forms, stored, same_sound_key=registry.SOUND_SAME_LENGTH in fs)
            assert reach[0] >= sound and reach[1] >= look, (mp.text, brands[j].brand.mark, reach, sound, look)
            found = matcher.mark_evidence(brands[j], mp)
            assert sound == max([e.score for e in found if e.kind == "sound"], default=0.0)
            assert look == max([e.score for e in found if e.kind == "look"], default=0.0)
            assert cap == min([e.cap for e in found if e.kind == "sound" and e.cap is not None], default=1.0)
            overrides = {f: sound if f.kind == "sound" else look for f in registry.SOUND_LOOK}
            weights = (lambda b, bp=brands[j]: matcher.brand_weights(bp, b)) if brands[j].brand.classes else None
            overrides[registry.SHARED_PART] = shared_part_reach(brands[j].forms, stored, weights)
            rest = {f for f in fs if overrides.get(f, 1.0) > 0}
            match = matcher.compare_profiles(brands[j], mp)
            bound = min(cap, pair_bound(rest, overrides=overrides)) if rest else 0.0
            assert match.mark_score <= bound + 1e-9, (mp.text, brands[j].brand.mark, fs, match.reasons)
            checked += 1
            tightened += bound < pair_bound(fs)
    assert checked > 50 and tightened > checked // 2, (checked, tightened)


def test_every_planted_kind_is_exercised_and_found(world):
    data, _brands, _marks, _index, pairs, flagged, _stats = world
    kinds_flagged = {kind for i, j, kind in data.planted if (i, j) in flagged}
    bench = load_bench()
    # The look-alike table may lack a character; every other kind must be present and flagged.
    assert set(bench.KINDS) - kinds_flagged <= {"gi"}, sorted(set(bench.KINDS) - kinds_flagged)
    for i, j, kind in data.planted:
        if (i, j) in flagged:
            assert (i, j) in pairs, (kind, data.records[i].mark, data.brands[j].mark)


PAIRS = [
    # (brand, aliases, kind, candidate)
    ("康师傅", (), "enterprise", "康帅傅"),  # look-alike
    ("雪碧", (), "enterprise", "雷碧"),
    ("立康", (), "enterprise", "利康"),  # homophone
    ("周黑鸭", (), "enterprise", "汉味周黑鸭"),  # contains
    ("周黑鸭", (), "enterprise", "周黑鸭食品有限公司"),  # generic words
    ("安途", (), "enterprise", "途安"),  # reordered
    ("六个核桃", (), "enterprise", "六个石磨核桃"),  # subsequence
    ("恒源祥", (), "enterprise", "恒源彩羊"),  # look-alike tail
    ("帕尔斯", (), "enterprise", "帕尔特"),  # one changed
    ("洽洽", (), "enterprise", "洽洽洽"),  # repeated
    ("茅", (), "enterprise", "金茅"),  # one-character brand
    ("农夫山泉", (), "enterprise", "農夫山泉"),  # traditional
    ("蒙牛", ("MENGNIU",), "enterprise", "MENGNIU"),  # pinyin
    ("蓝妹", (), "enterprise", "LANMEIJINGLIANG"),  # pinyin prefix
    ("BMW", (), "enterprise", "BMN"),  # Latin look-alike letter
    ("SPRITE", (), "enterprise", "SPRIT"),  # Latin ratio
    ("苹果", (), "enterprise", "APPLE"),  # translation
    ("RED BULL", (), "enterprise", "红牛"),  # translation the other way
    ("红牛", (), "enterprise", "赤牛"),  # synonym
    ("小天鹅", (), "enterprise", "LITTLE SWAN"),
    ("五常大米", (), "geographical_indication", "五常香米"),  # place name
    ("星巴克", (), "enterprise", "星巴克咖啡"),
]


@pytest.mark.parametrize("brand, aliases, kind, candidate", PAIRS)
def test_each_evidence_kind_has_a_key(matcher, brand, aliases, kind, candidate):
    profiler = FastProfiler(matcher)
    b = Brand(brand_id="b", mark=brand, aliases=aliases, classes=(30,), kind=kind)
    matcher.normaliser.add_brand_words([brand, *aliases])
    bp = profiler.profile_brand(b)
    mp = profiler.profile_mark(candidate, (30,))
    match = matcher.compare_profiles(bp, mp)
    if match.mark_score <= 0:
        pytest.skip(f"the scorer finds nothing in {brand}/{candidate} today: no key family to test")
    index = KeyIndex.from_profiles([bp], lexicon=matcher.lexicon, goods_table=matcher.goods_table)
    found = index.candidate_forms(mp.forms, meaning_texts_of_mark(mp)) or {
        j for _, j in index.latin_pairs([mp])}
    assert found == {0}


def test_batch_profiler_equals_the_normaliser(matcher, world):
    data = world[0]
    profiler = FastProfiler(matcher, spot_check_every=0)
    texts = [r.mark for r in data.records[:200]] + [
        "農夫山泉", "ＷＡＨＡＨＡ", "Red-Bull 红牛!", "周黑鸭食品有限公司", "老鼎豊", "⼤白兔", "壹号土猪", "杜客DUKE 2000",
        "重庆", "银行", "长城牌", "天牌食品", "", "   ", "A/B 康师傅，KANGSHIFU",
    ]
    for t in texts:
        assert profiler.normalise(t) == matcher.normaliser.normalise(t), t
        assert profiler.forms_of(t) == matcher.forms_of(t), t
        fast = profiler.profile_mark(t, (30,), goods=("方便面",))
        slow = matcher.profile_mark(t, (30,), goods=("方便面",))
        assert fast == slow, t


def test_batch_profiler_places_goods_as_the_matcher_does(matcher):
    """Goods the table cannot place leave the mark's groups incomplete on both paths (and so count as
    unknown against a brand in another group): screening and compare read the goods alike."""
    profiler = FastProfiler(matcher, spot_check_every=0)
    for goods, groups in ((("方便面",), ()), (("方便面", "某种谁也不认识的商品"), ()), (("方便面",), ("3007",)), ((), ())):
        slow = matcher.profile_mark("康帅傅", (30,), goods=goods, similar_groups=groups)
        fast = profiler.profile_mark("康帅傅", (30,), goods=goods, similar_groups=groups)
        stored = profiler.profile_stored("康帅傅", (30,), goods=goods, similar_groups=groups, stored=None)
        for got in (fast, stored):
            assert (got.groups, got.groups_complete) == (slow.groups, slow.groups_complete), goods
    unplaced = matcher.profile_mark("康帅傅", (30,), goods=("方便面", "某种谁也不认识的商品"))
    assert unplaced.groups and not unplaced.groups_complete


def test_batch_profiler_falls_back_when_it_differs(matcher, monkeypatch):
    profiler = FastProfiler(matcher, spot_check_every=1)
    monkeypatch.setattr(profiler.batch, "_segment", lambda core: ("wrong",))
    profiler.normalise("康师傅方便面")
    assert profiler.plain
    assert profiler.normalise("康师傅") == matcher.normaliser.normalise("康师傅")


def test_index_survives_pickling(world):
    _data, _brands, marks, index, pairs, _flagged, _stats = world
    copy = pickle.loads(pickle.dumps(index))
    copy.lexicon, copy.goods_table = index.lexicon, index.goods_table
    assert set(copy.candidate_pairs(marks)) == pairs


CLASSES = st.lists(st.integers(min_value=1, max_value=45), max_size=3)
GROUPS = st.lists(st.sampled_from(["3001", "3002", "3201", "0901", "9999", "x"]), max_size=2)


@settings(max_examples=300, deadline=None)
@given(CLASSES, GROUPS, CLASSES, GROUPS, st.booleans())
@example([30], [], [43], [], False)  # a cake brand and a cake shop: related goods
@example([43], ["3001"], [29, 5], [], False)
def test_goods_filter_is_a_necessary_condition(bc, bg, cc, cg, well_known):
    """The brand's goods bits (as the index builds them) let through every pair whose goods overlap."""
    from markwatch.goods.overlap import goods_overlap
    from markwatch.goods.table import SimilarGoodsTable

    table = SimilarGoodsTable.load()
    overlap = goods_overlap(bc, bg, cc, cg, well_known=well_known, table=table)
    allowed = goods_may_overlap(brand_goods_mask(bc, bg, table), bool(bc), well_known, goods_mask(cc, cg, table),
                                bool(cc))
    if overlap.score > 0:
        assert allowed


def test_lookalike_table_is_symmetric_where_keys_rely_on_it():
    from markwatch.matching.rules import LOOK
    from markwatch.text.glyphs import char_similarity, lookalikes

    floor = LOOK["lookalike_floor"]
    for ch in "师帅雪雷午牛日白鸭鸡大太己已未末土士":
        for other, _sim in lookalikes(ch, floor):
            assert any(x == ch for x, _ in lookalikes(other, floor)), (ch, other)
            assert char_similarity(other, ch) >= floor


class FakeEmbedder:
    """Unit vectors by hand: 'A' and 'B' texts point the same way, everything else elsewhere."""

    name = "fake"

    def __init__(self):
        import numpy as np

        self.np = np

    def can_read(self, text: str) -> bool:
        return bool(text.strip())

    def vector(self, text: str):
        v = self.np.zeros(4, dtype=self.np.float32)
        v[0 if ("金" in text or "GOLD" in text.upper()) else 1 + len(text) % 3] = 1.0
        return v

    def similarity(self, a: str, b: str) -> float:
        return float(self.vector(a) @ self.vector(b))


def test_embedding_evidence_has_candidates(matcher):
    """With an embedding model, pairs the model alone links (no other key) are still candidates."""
    from markwatch.matching.matcher import Matcher

    emb = Matcher(normaliser=matcher.normaliser, goods_table=matcher.goods_table, lexicon=matcher.lexicon,
                  embedder=FakeEmbedder())
    profiler = FastProfiler(emb)
    bp = profiler.profile_brand(Brand(brand_id="b", mark="金谷", classes=(30,)))
    mp = profiler.profile_mark("GOLDVALE", (30,))
    assert emb.compare_profiles(bp, mp).similar
    index = KeyIndex.from_profiles([bp], lexicon=emb.lexicon, goods_table=emb.goods_table,
                                   embedder=emb.embedder)
    assert index.candidate_pairs([mp]) == [(0, 0)]
    plain = KeyIndex.from_profiles([bp], lexicon=emb.lexicon, goods_table=emb.goods_table)
    assert plain.candidate_pairs([mp]) == []


def test_composed_translation_keys_need_a_middle_made_of_glosses(matcher):
    lexicon = matcher.lexicon
    assert ("金", "天鹅") in composed_translation_ends("goldenswan", lexicon)  # 金天鹅 = golden swan
    # No word means "qzx": nothing can be composed between "golden" and "swan".
    assert ("金", "天鹅") not in composed_translation_ends("goldenqzxswan", lexicon)
    bp = FastProfiler(matcher).profile_brand(Brand(brand_id="b", mark="GOLDEN SWAN"))
    mp = FastProfiler(matcher).profile_mark("金天鹅", (30,))
    index = KeyIndex.from_profiles([bp], lexicon=lexicon, goods_table=matcher.goods_table)
    assert registry.COMPOSED_TRANSLATION in index.hit_families(mp.forms, meaning_texts_of_mark(mp))[0]
    assert matcher.compare_profiles(bp, mp).mark_score > 0


def test_pair_bound_is_not_below_the_rounded_score():
    """Reported scores are rounded to 4 places (0.95 − 0.02 is 0.9299999999999999 before, 0.93 after):
    a bound from a computed finding must not fall below the rounded score it stands for."""
    from markwatch.blocking.bounds import pair_bound

    same_sound = registry.SOUND_SAME_LENGTH
    assert pair_bound({same_sound}, overrides={same_sound: 0.95 - 0.02}) >= round(0.95 - 0.02, 4)
    assert pair_bound({registry.CONTAINED_IN_BRAND}) == 0.75  # exact bounds stay exact


def test_sound_near_bound_holds_for_every_candidate(world, matcher):
    """The search's first-stage bound: the partial sound rule bounded by the syllable lengths."""
    from markwatch.blocking.bounds import pair_bound, sound_near_bound, syllable_shape

    _data, brands, marks, index, _pairs, _flagged, _stats = world
    near_family = registry.SOUND_NEAR
    checked = tightened = 0
    for mp in marks:
        shape = syllable_shape(mp.forms)
        for j, fs in index.hit_families(mp.forms, meaning_texts_of_mark(mp)).items():
            if near_family not in fs:
                continue
            near = sound_near_bound(brands[j].forms, shape, same_sound_key=registry.SOUND_SAME_LENGTH in fs)
            rest = fs - {near_family} if near <= 0 else fs
            match = matcher.compare_profiles(brands[j], mp)
            bound = pair_bound(rest, overrides={near_family: near}) if rest else 0.0
            assert match.mark_score <= bound, (mp.text, brands[j].brand.mark, sorted(f.name for f in fs), near, match.reasons)
            checked += 1
            tightened += near < near_family.bound
    assert checked > 50 and tightened > checked // 2


@pytest.mark.parametrize("brand, mark, expected", [
    # same length, no same-sound key: a syllable differs, which may be the one changed syllable (奥利奥/奥力给)
    ("欣黑信", "欣飞盛", max(round(0.85 * 2 / 3, 4), SOUND["one_changed"])),
    ("欣黑信", "欣黑信乐", round(0.85 * 3 / 4, 4)),  # one syllable longer
    ("欣黑信", "欣黑", 0.0),  # fewer than three syllables: no partial sound finding
    ("欣黑信", "欣黑信乐园家", 0.0),  # three syllables apart of six: below two of three alike
])
def test_sound_near_bound_from_lengths(matcher, brand, mark, expected):
    from markwatch.blocking.bounds import sound_near_bound, syllable_shape

    profiler = FastProfiler(matcher)
    bp = profiler.profile_brand(Brand(brand_id="b", mark=brand))
    shape = syllable_shape(profiler.profile_mark(mark, ()).forms)
    assert sound_near_bound(bp.forms, shape, same_sound_key=False) == expected
    if len(mark) == len(brand):  # with a same-sound key the lengths cannot exclude equal sequences
        assert sound_near_bound(bp.forms, shape, same_sound_key=True) == 0.85


@pytest.mark.parametrize("brand, mark, cap", [("立康", "利康", 0.55), ("康师傅", "康帅傅", 1.0)])
def test_stored_forms_carry_the_homophone_cap(matcher, brand, mark, cap):
    """立康/利康 sound the same with another first character: the whole score is capped, and the
    stored forms say so before the mark is profiled."""
    from markwatch.blocking.bounds import parse_sound_look_forms, sound_look_forms, sound_look_scores

    profiler = FastProfiler(matcher)
    bp = profiler.profile_brand(Brand(brand_id="b", mark=brand))
    mp = profiler.profile_mark(mark, ())
    assert sound_look_scores(bp.forms, parse_sound_look_forms(sound_look_forms(mp.forms)))[2] == cap
    assert matcher.compare_profiles(bp, mp).mark_score <= cap


@pytest.mark.parametrize("brand, mark", [("欣黑信", "岛黑信"), ("电老虎", "水老虎"), ("帕尔斯", "怕尔斯")])
def test_first_character_changed_bound(matcher, brand, mark):
    """A search tags the one-changed keys whose wildcard is the first character apart: the structure
    finding of such a pair stays within that family's bound."""
    first_changed = registry.ONE_CHANGED_FIRST
    assert registry.family_of_key(first_changed.code + "黑信") is first_changed
    assert registry.family_of_key(registry.ONE_CHANGED.code + "欣*信") is registry.ONE_CHANGED
    profiler = FastProfiler(matcher)
    bp = profiler.profile_brand(Brand(brand_id="b", mark=brand))
    mp = profiler.profile_mark(mark, ())
    structure = [e.score for e in matcher.mark_evidence(bp, mp) if e.kind == "structure"]
    assert structure and max(structure) <= first_changed.bound


def test_screening_skips_the_meaning_channel_only_where_it_finds_nothing(world, matcher):
    _data, brands, marks, index, pairs, _flagged, _stats = world
    listed, meaning = index.candidate_pairs_with_meaning(marks)
    assert set(listed) == pairs and len(meaning) == len(listed)
    assert 0 < sum(meaning) < len(meaning)
    for (i, j), with_meaning in zip(listed, meaning):
        if not with_meaning:
            assert matcher.compare_profiles(brands[j], marks[i], meaning=False) == \
                matcher.compare_profiles(brands[j], marks[i])


def test_meaning_findings_need_a_meaning_family(world, matcher):
    """A clearance search skips the meaning channel for a candidate no meaning family hit: on every
    generated pair, meaning and translation findings come only with a meaning family's key."""
    from markwatch.matching.registry import MEANING_FAMILIES

    _data, brands, marks, index, _pairs, _flagged, _stats = world
    without = with_findings = 0
    for mp in marks:
        for j, fs in index.hit_families(mp.forms, meaning_texts_of_mark(mp)).items():
            kinds = {e.kind for e in matcher.mark_evidence(brands[j], mp) if e.score > 0}
            if fs & MEANING_FAMILIES:
                with_findings += bool(kinds & {"meaning", "translation"})
            else:
                without += 1
                assert not kinds & {"meaning", "translation"}, (mp.text, brands[j].brand.mark, sorted(f.name for f in fs), kinds)
                skipped = matcher.compare_profiles(brands[j], mp, meaning=False)
                assert skipped == matcher.compare_profiles(brands[j], mp)
    assert without > 50 and with_findings > 10


class _CountingLexicon:
    """The real lexicon, counting the look-ups made while building keys."""

    def __init__(self, lexicon):
        self._lexicon, self.calls = lexicon, 0

    def synonyms(self, text):
        self.calls += 1
        return self._lexicon.synonyms(text)

    def __getattr__(self, name):
        return getattr(self._lexicon, name)


def test_meaning_keys_of_a_long_brand_text_are_bounded(matcher):
    # Every substring of a 300-character text would be 45 150 look-ups (and O(n^3) bytes at 5000).
    from markwatch.blocking.keys import brand_meaning_keys
    from markwatch.blocking.meaning_keys import MAX_SPAN as _MAX_SPAN

    counting = _CountingLexicon(matcher.lexicon)
    text = "金龙鱼" * 100
    keys: set[str] = set()
    brand_meaning_keys([text], counting, keys)
    assert 0 < counting.calls <= len(text) * _MAX_SPAN
    assert len(keys) < 10_000


def test_index_keys_of_a_brand_at_the_text_limits_are_bounded(matcher):
    from markwatch.sources.watchlists import MAX_BRAND_LIST_ITEMS, MAX_BRAND_TEXT_CHARS, MAX_MARK_CHARS

    mark = ("娃哈哈康师傅金龙鱼" * 20)[:MAX_MARK_CHARS]
    aliases = tuple(f"{i}{'老干妈五芳斋知味观' * 20}"[:MAX_BRAND_TEXT_CHARS] for i in range(MAX_BRAND_LIST_ITEMS))
    bp = FastProfiler(matcher).profile_brand(Brand(brand_id="HZ-1", mark=mark, aliases=aliases, classes=(30,)))
    index = KeyIndex.from_profiles([bp], lexicon=matcher.lexicon, goods_table=matcher.goods_table)
    key_chars = sum(len(k) for k in index.postings)
    assert key_chars < 2_000_000  # a few MB for the largest brand the validator lets in


# ---------------------------------------------------------------- the learned combination
@pytest.fixture(scope="module")
def learned(matcher):
    from dataclasses import replace

    from markwatch.matching.combination import shipped_model

    return replace(matcher, combination=shipped_model())


def test_family_bounds_hold_for_the_learned_combination(world, learned):
    """The search's bounds with the learned combination (Matcher.mark_bound) hold for every candidate."""
    from markwatch.blocking.bounds import pair_bound

    _data, brands, marks, index, _pairs, _flagged, _stats = world
    latin = set(index.latin_pairs(marks))
    checked = 0
    for i, mp in enumerate(marks):
        for j, fs in index.hit_families(mp.forms, meaning_texts_of_mark(mp)).items():
            if (i, j) in latin:
                fs = fs | {registry.LATIN_RATIO}
            match = learned.compare_profiles(brands[j], mp)
            own = registry.LATIN_RATIO.bound if registry.LATIN_RATIO in fs else None
            assert match.mark_score <= pair_bound(fs, own=own, combine=learned.mark_bound) + 1e-9, (
                mp.text, brands[j].brand.mark, sorted(f.name for f in fs), match.reasons)
            checked += 1
    assert checked > 100


def test_candidates_lose_no_pair_the_learned_brute_force_flags(world, learned):
    """Screening with the learned combination (its threshold checks lowered by its lift) loses no
    pair the exact scorer with the learned combination flags."""
    _data, brands, marks, _index, _pairs, _flagged, _stats = world
    index = KeyIndex.from_profiles(brands, lexicon=learned.lexicon, goods_table=learned.goods_table,
                                   default_threshold=learned.default_threshold, score_lift=learned.score_lift)
    pairs = set(index.candidate_pairs(marks))
    flagged = _parallel_brute_force(learned, brands, marks)
    assert flagged
    missed = flagged - pairs
    assert not missed, f"lost {len(missed)} of {len(flagged)} flagged pairs: {sorted(missed)[:10]}"


@pytest.mark.parametrize("brand, brand_class, candidate, mark_class, family", [
    ("蜜雪冰城", 43, "蜜念雪", 43, "contained_spread"),  # the brand's part 蜜雪 with 念 put inside
    ("奥利奥", 30, "奥力给", 30, "sound_near"),  # alike in sound but for the last syllable
    ("老干妈", 30, "老干妈味牛肉棒", 29, "contains_prefix2"),  # kindred goods of another class
    ("NIKE", 25, "NIKA", 25, "latin_one_edit"),  # Latin letters one edit apart
    ("ADIDAS", 25, "ADIDASS", 25, "latin_one_edit"),
])
def test_new_findings_are_reached_by_their_family(matcher, brand, brand_class, candidate, mark_class, family):
    """Each finding has the family that stands for it among the families hitting the pair, so the
    screening reaches the pair through the finding's own keys (not by chance through another's)."""
    profiler = FastProfiler(matcher)
    bp = profiler.profile_brand(Brand(brand_id="b", mark=brand, classes=(brand_class,)))
    mp = profiler.profile_mark(candidate, (mark_class,))
    assert matcher.compare_profiles(bp, mp).similar
    index = KeyIndex.from_profiles([bp], lexicon=matcher.lexicon, goods_table=matcher.goods_table)
    assert family in {f.name for f in index.hit_families(mp.forms).get(0, set())}
    assert index.candidate_forms(mp.forms) == {0}  # and the goods do not filter it out
