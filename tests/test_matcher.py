"""The matcher judged like an examiner: labelled pairs from the CNIPA word-mark rules, and the dev set floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from markwatch.matching.evaluation import evaluate, read_pairs
from markwatch.matching.matcher import Matcher
from markwatch.model import Brand

from .conftest import SHARED

RULE_PAIRS = Path(__file__).parent / "data" / "cnipa_rule_pairs.jsonl"
DEV_PAIRS = SHARED / "eval" / "dev_pairs.jsonl"
TRAIN_PAIRS = SHARED / "eval" / "train_pairs.jsonl"
NOTES = SHARED / "data" / "goods-notes" / "cross_group_notes.jsonl"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    from markwatch.goods.table import SimilarGoodsTable
    from markwatch.text.lexicon import Lexicon

    return Matcher(goods_table=SimilarGoodsTable.load(), lexicon=Lexicon.load())


@pytest.mark.parametrize("pair", read_pairs(RULE_PAIRS), ids=lambda p: f"{p['id']}-{p['brand']}-{p['candidate']}")
def test_cnipa_rule_pairs(matcher, pair):
    result = evaluate(matcher, [pair])
    verdict = result["headline"]["tp"] + result["headline"]["tn"] == 1
    assert verdict, (pair["rule"], result["misses"] or result["false_alerts"])


def test_every_alert_explains_itself_in_two_languages(matcher):
    m = matcher.compare(Brand("b", "康师傅", classes=(30,)), "康帅傅", candidate_classes=(30,))
    assert m.similar
    assert all(r.detail and r.detail_en for r in m.reasons)
    assert any("师/帅" in r.detail for r in m.reasons)
    assert {"look", "goods"} <= {r.kind for r in m.reasons}


def test_exceptions_owner_and_words(matcher):
    brand = Brand("b", "娃哈哈", classes=(32,), owner="杭州娃哈哈集团有限公司", exclude_words=("哈哈镜",))
    own = matcher.compare(brand, "娃哈哈", candidate_classes=(32,), applicant="杭州娃哈哈集团有限公司")
    assert not own.similar and own.reasons[0].kind == "exception"
    word = matcher.compare(brand, "哇哈哈镜", candidate_classes=(32,))
    assert not word.similar
    other = matcher.compare(brand, "哇哈哈", candidate_classes=(32,), applicant="某某饮料有限公司")
    assert other.similar


def test_threshold_per_brand(matcher):
    loose = matcher.compare(Brand("b", "五粮液", classes=(33,)), "九粮液", candidate_classes=(33,))
    strict = matcher.compare(Brand("b", "五粮液", classes=(33,), threshold=0.95), "九粮液", candidate_classes=(33,))
    assert loose.score == strict.score
    assert loose.similar and not strict.similar


def test_severity_follows_score(matcher):
    strong = matcher.compare(Brand("b", "农夫山泉", classes=(32,)), "農夫山泉", candidate_classes=(32,))
    weaker = matcher.compare(Brand("b", "五粮液", classes=(33,)), "九粮液", candidate_classes=(33,))
    order = ["low", "medium", "high"]
    assert order.index(strong.severity) > order.index(weaker.severity)


@pytest.mark.parametrize("brand, candidate, similar", [
    # constructed pairs (奥力给 is the shape of a decided case, the others are made up)
    ("奥利奥", "奥力给", True),  # alike in sound but for the last syllable, 奥 written the same
    ("奥利奥", "奥丽达", True),
    ("娃哈哈", "娃蛤乐", True),  # wa ha ha / wa ha le
    ("奥利奥", "傲力给", False),  # two homophones and nothing written the same: the partial rule alone
    ("同仁堂", "通道堂", False),  # the first character only sounds the same
    ("奥利奥", "高利奥", False),  # the first syllable is the one changed: the guideline's exception
    ("娃哈哈", "蛙蛤乐", False),
])
def test_one_syllable_changed_in_three(matcher, brand, candidate, similar):
    """The one-character-changed rule heard rather than read: marks of three or more syllables alike in
    sound at every position but one, which is not the first, with a character written the same."""
    m = matcher.compare(Brand("b", brand, classes=(30,)), candidate, candidate_classes=(30,))
    assert m.similar is similar, (m.score, m.reasons)
    if similar and not any(x == y for x, y in zip(brand, candidate) if x != brand[0]):
        assert any("读音仅一字不同" in r.detail for r in m.reasons), m.reasons


@pytest.mark.parametrize("brand, candidate, similar", [
    # constructed pairs, beside the decided 蜜雪冰城 / 蜜念雪
    ("蜜雪冰城", "蜜念雪", True),  # the brand's part 蜜雪 with 念 put inside
    ("稻香村月饼", "稻花香村", True),  # 稻香村 with 花 inside
    ("蜜雪冰城", "蜜桃雪", False),  # 蜜桃 is a word: the mark means something of its own
    ("康师傅", "康大师", False),  # as long as the brand: no part of it stands out
    ("蜜雪冰城", "蜜雪冰城", True),
])
def test_the_brand_part_with_a_character_put_inside(matcher, brand, candidate, similar):
    m = matcher.compare(Brand("b", brand, classes=(43,)), candidate, candidate_classes=(43,))
    assert m.similar is similar, (m.score, m.reasons)
    if similar and brand != candidate:
        assert any("插入" in r.detail for r in m.reasons), m.reasons


@pytest.mark.parametrize("brand, candidate, similar", [
    # constructed pairs: Latin words one letter apart, the first letter kept
    ("NIKE", "NIKA", True),  # a letter changed
    ("ZARA", "ZALA", True),
    ("SONY", "SNOY", True),  # two neighbours swapped
    ("ADIDAS", "ADIDASS", True),  # a letter added
    ("NIKE", "MIKE", False),  # the first letter is the one changed
    ("NIKE", "NICER", False),  # two edits
])
def test_latin_words_one_letter_apart(matcher, brand, candidate, similar):
    m = matcher.compare(Brand("b", brand, classes=(25,)), candidate, candidate_classes=(25,))
    assert m.similar is similar, (m.score, m.reasons)


@pytest.mark.parametrize("brand, kind, candidate, similar", [
    # constructed pairs: a place-and-product mark against the same product under another front
    ("五常大米", "geographical_indication", "五棠大米", True),  # the place imitated by a look-alike
    ("青岛啤酒", "enterprise", "青鸟啤酒", True),
    ("五常大米", "geographical_indication", "响水大米", False),  # another real place
    ("逍遥镇胡辣汤", "enterprise", "方中山胡辣汤", False),  # another front altogether
])
def test_place_and_product_against_another_front(matcher, brand, kind, candidate, similar):
    m = matcher.compare(Brand("b", brand, classes=(30,), kind=kind), candidate, candidate_classes=(30,))
    assert m.similar is similar, (m.score, m.reasons)


@pytest.mark.skipif(not DEV_PAIRS.exists(), reason="development pairs not present beside the project")
def test_dev_set_quality_floor(matcher):
    report = evaluate(matcher, read_pairs(DEV_PAIRS))
    head = report["headline"]
    assert head["recall"] >= 0.95, json.dumps(report["misses"], ensure_ascii=False)
    assert head["precision"] >= 0.90, json.dumps(report["false_alerts"], ensure_ascii=False)


@pytest.mark.skipif(not TRAIN_PAIRS.exists(), reason="training pairs not present beside the project")
def test_train_set_quality_floor(matcher):
    """The training pairs, which no figure was fitted on (scripts/fit_rules.py: fitting the threshold
    and the alignment's coverage did not beat the written figures in grouped cross-validation)."""
    report = evaluate(matcher, read_pairs(TRAIN_PAIRS))
    head = report["headline"]
    assert head["recall"] >= 0.88, json.dumps(report["misses"], ensure_ascii=False)
    assert head["precision"] >= 0.95, json.dumps(report["false_alerts"], ensure_ascii=False)


@pytest.mark.skipif(not (TRAIN_PAIRS.exists() and DEV_PAIRS.exists()), reason="labelled pairs not present")
def test_learned_combination_quality_floor(matcher):
    """The shipped learned combination (fitted on both files: the fit, not the cross-validated figure,
    which tests/test_combination.py::test_cross_validated_quality_floor holds) on dev, and on train."""
    from dataclasses import replace

    from markwatch.matching.combination import shipped_model

    learned = replace(matcher, combination=shipped_model())
    for path, recall in ((DEV_PAIRS, 0.97), (TRAIN_PAIRS, 0.90)):
        report = evaluate(learned, read_pairs(path))
        head = report["headline"]
        assert head["recall"] >= recall, json.dumps(report["misses"], ensure_ascii=False)
        assert head["precision"] >= 0.95, json.dumps(report["false_alerts"], ensure_ascii=False)


@pytest.mark.skipif(not (TRAIN_PAIRS.exists() and NOTES.exists()), reason="training pairs or notes not present")
def test_train_set_quality_floor_with_goods_notes():
    from markwatch.composition import MatcherSpec, build_matcher

    report = evaluate(build_matcher(MatcherSpec(goods_notes_path=str(NOTES))), read_pairs(TRAIN_PAIRS))
    head = report["headline"]
    assert head["recall"] >= 0.85, json.dumps(report["misses"], ensure_ascii=False)
    assert head["precision"] >= 0.95, json.dumps(report["false_alerts"], ensure_ascii=False)


def _tokenizer_size(matcher: Matcher) -> int:
    matcher.normaliser.normalise("金牌")  # the segmenter is built on first use
    return len(matcher.normaliser._tokenizer.FREQ)  # type: ignore[attr-defined]


def test_compare_and_search_queries_leave_the_shared_normaliser_unchanged(tmp_path):
    from markwatch.scale.search import exact_search

    m = Matcher()
    m.normaliser.add_brand_words(["周黑鸭"])
    words, freq = m.normaliser.brand_words, _tokenizer_size(m)
    for i in range(100):
        m.compare(f"金{i}牌品{chr(0x4E00 + i)}", "金牌酒业")
        exact_search(m, [], f"宝{chr(0x4E00 + i)}{i}食品")
    assert m.normaliser.brand_words == words == frozenset({"周黑鸭"})
    assert _tokenizer_size(m) == freq


def test_compare_score_does_not_depend_on_other_callers_queries():
    m = Matcher()
    before = m.compare("金", "金牌酒业").as_dict()
    m.compare("金牌", "金牌酒业")
    from markwatch.scale.search import exact_search

    exact_search(m, [], "金牌")
    assert m.compare("金", "金牌酒业").as_dict() == before


def test_a_query_keeps_its_own_words_whole_for_that_call_only():
    m = Matcher()
    n = m.normaliser
    words = n.query_words(["天牌"])
    assert "天牌" in n.normalise("天牌酒业", extra_words=words).tokens
    assert n.normalise("天牌酒业", extra_words=words).core == "天牌"
    assert n.normalise("天牌酒业").core == "天"
