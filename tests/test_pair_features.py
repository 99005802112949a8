"""The pair's graded features for the learned combination (matching/pair_features.py), on constructed pairs."""

from __future__ import annotations

import pytest

from markwatch.matching.pair_features import PAIR_FEATURES, found_positions, lcs_positions
from markwatch.model import Brand


@pytest.fixture(scope="module")
def matcher():
    from markwatch.composition import MatcherSpec, build_matcher

    return build_matcher(MatcherSpec())


def features(matcher, brand: str, mark: str, classes=(30,), goods: float = 1.0) -> dict[str, float]:
    bp = matcher.profile_query(Brand(brand_id="b", mark=brand, classes=tuple(classes)))
    return matcher.pair_features(bp, matcher.profile_mark(mark, tuple(classes)), goods)


def test_positions():
    assert found_positions("安途", "途安行") == ([0, 1], [1, 0])
    assert found_positions("康师傅", "康大师傅") == ([0, 1, 2], [0, 2, 3])
    assert found_positions("六六", "六") == ([0], [0])
    assert lcs_positions("安途", "途安行")[0] in ([0], [1])
    assert lcs_positions("康师傅", "康大师傅") == ([0, 1, 2], [0, 2, 3])


def test_every_feature_is_in_the_unit_interval(matcher):
    for brand, mark in (("康师傅", "康帅傅"), ("BMW", "BMN宝马"), ("海尔", "HAIER"), ("旺旺", "旺旺旺"),
                        ("稻香村", "稻香村粽子"), ("蒙牛 MENGNIU", "ＭＥＮＧＮＩＵ"), ("苹果", "APPLE"), ("A", "Ａ")):
        f = features(matcher, brand, mark)
        assert set(f) == set(PAIR_FEATURES)
        assert all(0.0 <= v <= 1.0 for v in f.values()), (brand, mark, f)


def test_insertions_and_swaps_keep_the_written_share(matcher):
    inserted = features(matcher, "康师傅", "康大师傅")
    assert inserted["written_share"] == 1.0 and inserted["in_order"] == 1.0
    swapped = features(matcher, "安途", "途安行", classes=(12,))
    assert swapped["written_share"] == 1.0 and swapped["in_order"] == 0.5
    traditional = features(matcher, "康师傅", "康師傅")  # folded before it is compared
    assert traditional["written_share"] == 1.0


def test_a_partial_homophone_shares_nothing_written(matcher):
    f = features(matcher, "王老吉", "晚点集", classes=(32,))
    assert f["written_share"] == 0.0 and f["shared_weight"] == 0.0
    assert f["pinyin_jw"] > 0.8 and f["initials"] == pytest.approx(2 / 3)


def test_distinctiveness_of_the_shared_part(matcher):
    core = features(matcher, "海尔电器", "海尔汽车", classes=(12,))  # a distinctive core, generic tails
    assert core["shared_weight"] == 1.0 and core["shared_weak"] == 0.0
    surname = features(matcher, "徐福记", "徐小明")  # only the surname is shared
    assert surname["shared_weak"] == 1.0 and surname["shared_weight"] < 0.3
    assert surname["mark_extra"] > 0.5  # what the mark adds is its own
    goods_word = features(matcher, "咖啡之翼", "咖啡时光", classes=(43,))  # a generic word of cafés
    assert goods_word["shared_weak"] == 1.0 and goods_word["shared_weight"] < 0.3
    letter = features(matcher, "A8", "A小熊")  # a single Latin letter
    assert letter["shared_weight"] <= 0.2


def test_first_character_graded(matcher):
    assert features(matcher, "立康", "利康", classes=(5,))["first_sound"] == 0.5  # same sound
    assert features(matcher, "海底捞", "河底捞", classes=(43,))["first_sound"] == 0.0  # sound and look differ
    assert features(matcher, "康师傅", "康帅傅")["first_sound"] == 1.0


def test_goods_are_carried(matcher):
    assert features(matcher, "康师傅", "康帅傅", goods=0.5)["goods"] == 0.5
    assert features(matcher, "康师傅", "康帅傅", goods=1.7)["goods"] == 1.0
