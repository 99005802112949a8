"""Distinctiveness, character components and the alignment, on constructed pairs (marks made up for
the tests, not taken from decisions) and a few well-known brands."""

from __future__ import annotations

import pytest

from markwatch.composition import build_matcher
from markwatch.matching.comparisons.alignment import (
    align,
    alignment_reach,
    char_alike,
    has_anchor,
    shared_part_evidence,
)
from markwatch.matching.distinctiveness import Distinctiveness, Weights, WordCounts
from markwatch.text.components import holds_component, written_as


@pytest.fixture(scope="module")
def matcher():
    return build_matcher()


@pytest.fixture(scope="module")
def dist(matcher):
    return matcher.distinctiveness


def plain(text: str) -> Weights:
    return Weights(text, tuple(1.0 for _ in text))


# ---------------------------------------------------------------- components (拆字/合字)
def test_components_split_merge_and_keep_a_part():
    assert written_as("林", "木木") and written_as("晶", "日日日")
    assert holds_component("祥", "羊") and holds_component("鹭", "路")
    # radical forms and characters that serve mostly as radicals are no composition
    assert not holds_component("海", "氵") and not holds_component("银", "金") and not holds_component("鹭", "鸟")


# ---------------------------------------------------------------- distinctiveness (显著性)
@pytest.mark.parametrize("text, classes, weak", [
    ("稻香村月饼", (30,), [("月饼", "goods")]),  # a goods name of the class
    ("咖啡之翼", (43,), [("咖啡", "goods")]),  # a café's goods: the 区分表's item names
    ("青花椒", (43,), [("花椒", "goods")]),  # a restaurant is described by the foods it serves
    ("徐福记", (30,), [("徐", "surname")]),
    ("王氏", (30,), [("王氏", "surname")]),
    ("杭州小笼包", (43,), [("杭州", "place")]),
    ("鲍师傅", (30,), [("鲍", "surname"), ("师傅", "common")]),  # an everyday word
    ("海尔电器", (11,), [("电器", "generic")]),  # a trade word; 海尔 is a name, not an everyday word
    ("蜜雪冰城", (43,), []),
])
def test_weak_parts(dist, text, classes, weak):
    assert dist.weights(text, classes).weak_words() == weak


def test_goods_words_are_weak_for_their_own_goods_only(dist):
    assert dist.weights("悦川手机", (9,)).weak_words() == [("手机", "goods")]
    assert ("咖啡", "goods") not in dist.weights("咖啡之翼", (12,)).weak_words()


def test_a_place_name_mark_keeps_its_place(dist):
    assert dist.weights("杭州小笼包", (43,), place_distinctive=True).weak_words() == []


def test_word_counts_make_frequent_words_weak(tmp_path):
    marks = ["金龙鱼", "金龙汽车", "金龙大厦", "金龙", "银河", "天天"]
    counts = WordCounts.from_marks(marks)
    assert counts.share("金龙") == pytest.approx(4 / 6)
    path = tmp_path / "counts.json"
    counts.save(path)
    loaded = WordCounts.load(path)
    d = Distinctiveness(mark_frequency=loaded)
    assert ("金龙", "frequent") in d.weights("金龙宝宝").weak_words()


# ---------------------------------------------------------------- the alignment (constructed pairs)
def test_character_likeness():
    assert char_alike("粮", "粮") == (1.0, "same")
    assert char_alike("五", "午")[1] == "sound"
    assert char_alike("师", "帅")[1] == "look"
    assert char_alike("祥", "羊")[1] == "component"
    assert char_alike("海", "天")[0] == 0.0


@pytest.mark.parametrize("brand, mark", [
    ("悦川", "川悦坊"), ("禾木丰", "禾木"), ("禾木丰", "金禾木丰"), ("禾木丰", "禾大木丰"), ("禾木丰", "禾丰木"),
    ("禾木丰", "禾大木"),
])
def test_anchor(brand, mark):
    assert has_anchor(brand, mark)


@pytest.mark.parametrize("brand, mark", [("禾木丰", "禾金银铜丰"), ("禾木", "木"), ("禾木丰", "禾丰"), ("禾木丰", "禾大小木")])
def test_no_anchor(brand, mark):
    # two neighbouring brand characters must appear, with at most one character between them
    assert not has_anchor(brand, mark)


@pytest.mark.parametrize("brand, mark, ops", [
    ("悦川坊", "悦大川坊", ["match", "insert", "match", "match"]),  # a character put inside
    ("悦川", "川悦居", ["swap"]),  # reordered with a character added
    ("林悦坊", "木木悦坊", ["split", "match", "match"]),  # 拆字
    ("木木悦坊", "林悦坊", ["merge", "match", "match"]),  # 合字
    ("恒悦祥", "恒悦羊", ["match", "match", "match"]),  # a component kept
])
def test_alignment_steps(brand, mark, ops):
    found = align(brand, mark, plain(brand), plain(mark))
    assert found is not None
    assert [s.op for s in found.steps] == ops
    assert found.coverage >= 0.75


def test_weak_parts_of_the_brand_weigh_little(dist):
    # constructed: the same distinctive name with other goods words
    bw, mw = dist.weights("悦川坊月饼", (30,)), dist.weights("悦川坊粽子", (30,))
    found = shared_part_evidence("悦川坊月饼", "悦川坊粽子", bw, mw)
    assert found and found[0].reason.detail.startswith("显著部分“悦川坊”相同")
    assert "“月饼”为商品或服务的通用名称" in found[0].reason.detail
    # without the goods vocabulary, the two words weigh as much as the name: no evidence
    assert not shared_part_evidence("悦川坊月饼", "悦川坊粽子", plain("悦川坊月饼"), plain("悦川坊粽子"))


def test_sharing_a_weak_half_is_no_evidence(dist):
    # constructed: two marks sharing only the goods word
    assert not shared_part_evidence("悦川咖啡", "禾丰咖啡", dist.weights("悦川咖啡", (43,)),
                                    dist.weights("禾丰咖啡", (43,)))


@pytest.mark.parametrize("brand, mark", [
    ("悦川坊", "悦大川坊"), ("悦川", "川悦居"), ("林悦坊", "木木悦坊"), ("悦川坊月饼", "悦川坊粽子"),
    ("五粮液", "大午粮液"), ("恒源祥", "恒源彩羊"),
])
def test_reach_bounds_the_score(dist, brand, mark):
    for classes in ((30,), (43,), ()):
        bw, mw = dist.weights(brand, classes), dist.weights(mark, classes)
        found = align(brand, mark, bw, mw)
        assert found is not None
        assert alignment_reach(brand, mark) >= found.score - 1e-9
        assert alignment_reach(brand, mark, bw) >= found.score - 1e-9


@pytest.mark.parametrize("brand, classes, candidate, similar", [
    ("五粮液", (33,), "大午粮液", True),  # insertion and a homophone
    ("恒源祥", (25,), "恒源彩羊", True),  # 祥 ⊃ 羊, 彩 inserted
    ("稻香村月饼", (30,), "稻香村粽子", True),  # the name kept, the goods word changed
    ("安途", (12,), "途安行", True),  # reordered, a character added
    ("华为", (9,), "华润", False),
    ("娃哈哈", (32,), "哈哈镜", False),
    ("蜜雪冰城", (43,), "冰雪皇后", False),
])
def test_alignment_in_the_matcher(matcher, brand, classes, candidate, similar):
    m = matcher.compare(brand, candidate, brand_classes=classes, candidate_classes=classes)
    assert m.similar is similar, m.reasons


# ---------------------------------------------------------------- the first-character rule, graded
@pytest.mark.parametrize("brand, candidate, key", [
    ("立悦坊", "利悦坊", "首字读音相同"),  # constructed: a first character of the same sound
    ("帅悦坊", "师悦坊", "首字字形相近"),  # constructed: a look-alike first character
    ("海悦坊", "江悦坊", "首字音、形均明显不同"),  # constructed: clearly different in both
])
def test_first_character_rule_is_graded(matcher, brand, candidate, key):
    from markwatch.matching.rules import STRUCTURE

    found = [e for e in matcher.mark_evidence(matcher.profile_brand(_brand(brand)), matcher.profile_mark(candidate))
             if e.kind == "structure"]
    assert found and key in found[0].reason.detail
    clear = STRUCTURE["one_changed_first_clear"]
    assert (found[0].score == clear) == ("明显不同" in key)


def test_numeral_first_keeps_the_structure(matcher):
    from markwatch.matching.rules import STRUCTURE

    found = [e.score for e in matcher.mark_evidence(matcher.profile_brand(_brand("五悦坊")),
                                                     matcher.profile_mark("九悦坊")) if e.kind == "structure"]
    assert found == [STRUCTURE["one_changed_first_differs"]]


@pytest.mark.parametrize("brand, candidate, similar", [
    ("立康", "利康", False),  # two characters: the homophone cap as before
    ("立悦坊", "利悦坊", True),  # constructed: a first-character homophone in three characters
    ("金利坊", "今礼坊", False),  # constructed: two of three characters only sound the same
])
def test_homophones_graded_by_length_and_share(matcher, brand, candidate, similar):
    m = matcher.compare(brand, candidate, brand_classes=(30,), candidate_classes=(30,))
    assert m.similar is similar, m.reasons


def _brand(mark):
    from markwatch.model import Brand

    return Brand(brand_id="t", mark=mark, classes=(30,))


# ---------------------------------------------------------------- Latin parts (constructed marks)
@pytest.mark.parametrize("brand, candidate, similar", [
    ("GREAT WALL", "GREAT CHINA", False),  # an everyday word of a phrase is not a mark on its own
    ("HAPPY RIVER", "HAPPY LAKE", False),
    ("LAFITE", "CHATEAU LAFITTE", True),  # a distinctive word of a phrase still is
    ("K 悦川坊", "K 禾丰居", False),  # one letter in common
    ("悦川 YUECHUAN", "越川 YUECHUAN", False),  # each Latin part only spells its own characters
    ("悦川", "YUECHUAN", True),  # the bare pinyin of the mark
    ("悦川 YUECHUAN", "YUECHUAN", True),
])
def test_latin_parts(matcher, brand, candidate, similar):
    m = matcher.compare(brand, candidate, brand_classes=(33,), candidate_classes=(33,))
    assert m.similar is similar, m.reasons


# ---------------------------------------------------------------- containment weighed by distinctiveness
def test_a_weak_brand_contained_weighs_less(matcher):
    # constructed: a brand made of a surname and a goods word, inside a longer mark
    strong = matcher.compare("悦川坊", "悦川坊小馆", brand_classes=(30,), candidate_classes=(30,))
    weak = matcher.compare("王氏月饼", "王氏月饼小馆", brand_classes=(30,), candidate_classes=(30,))
    contains = [r for r in weak.reasons if r.kind == "contains" and "完整包含" in r.detail]
    assert contains and contains[0].score < 0.9 and "为姓氏" in contains[0].detail
    assert strong.mark_score > weak.mark_score


def test_a_weak_part_is_not_the_brands_distinctive_part(matcher):
    # constructed: the new mark is only the brand's goods word
    m = matcher.compare("悦川坊月饼", "月饼", brand_classes=(30,), candidate_classes=(30,))
    assert not any("显著部分" in r.detail for r in m.reasons) and not m.similar
    m = matcher.compare("悦川坊月饼", "悦川坊", brand_classes=(30,), candidate_classes=(30,))
    assert m.similar


def test_a_brand_cut_down_to_an_everyday_word_shares_nothing_distinctive(matcher):
    # constructed: the surname dropped, an everyday word left
    m = matcher.compare("鲍悦师傅", "悦师傅", brand_classes=(30,), candidate_classes=(30,))
    assert any("显著部分" in r.detail or "文字近似" in r.detail for r in m.reasons)
    m = matcher.compare("康师傅", "师傅", brand_classes=(30,), candidate_classes=(30,))
    assert not m.similar


def test_a_transliteration_is_not_translated(matcher):
    # 杜客 is read du ke: its DUKE spells the characters and does not mean "duke" (公爵)
    m = matcher.compare("杜客DUKE", "公爵", brand_classes=(25,), candidate_classes=(25,))
    assert not m.similar, m.reasons
    assert matcher.compare("DUKE", "公爵", brand_classes=(25,), candidate_classes=(25,)).similar


def test_only_readings_in_use_count():
    from markwatch.matching.comparisons.sound import readings

    assert {"xing", "hang"} <= readings("行") and {"zai", "zi"} <= readings("仔")
    assert readings("感") == {"gan"}  # its archaic reading han is read in no word


@pytest.mark.parametrize("brand, candidate, classes", [
    ("太湖大闸蟹", "高淳大闸蟹", (31,)),  # a place plus a plain noun the goods table does not name
    ("兴化大闸蟹", "太湖大闸蟹", (31,)),
])
def test_a_place_with_a_plain_noun_is_a_regional_brand_whose_place_distinguishes(matcher, brand, candidate, classes):
    m = matcher.compare(brand, candidate, brand_classes=classes, candidate_classes=classes)
    assert not m.similar, (brand, candidate, m.score, [r.detail for r in m.reasons])
    assert not any("显著部分" in r.detail and "为地名" in r.detail for r in m.reasons)
    # the same product from the same place is still caught
    assert matcher.compare(brand, brand + "专卖", brand_classes=classes, candidate_classes=classes).similar
