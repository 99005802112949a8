"""The normaliser: each step on real Chinese marks, and idempotence."""

from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from markwatch.text.normalise import NORMALISER_VERSION, Normaliser, chinese_number_value, strip_generic


@pytest.fixture(scope="module")
def norm() -> Normaliser:
    return Normaliser()


@pytest.mark.parametrize("raw, core", [
    ("農夫山泉", "农夫山泉"),  # traditional → simplified
    ("康師傅", "康师傅"),
    ("ＷＡＨＡＨＡ", "wahaha"),  # full width and case
    ("Red-Bull 红牛!", "redbull红牛"),  # punctuation and spaces
    ("周黑鸭食品有限公司", "周黑鸭"),  # company form and goods word
    ("长城牌", "长城"),  # 牌
    ("老鼎豊", "老鼎丰"),  # variant form outside GB2312
    ("⼤白兔", "大白兔"),  # Kangxi radical folded
    ("壹号土猪", "一号土猪"),  # financial numerals
])
def test_core_forms(norm, raw, core):
    assert norm.normalise(raw).core == core


def test_keeps_the_original_and_the_stripped_words(norm):
    n = norm.normalise("娃哈哈集团有限公司")
    assert n.original == "娃哈哈集团有限公司"
    assert n.generic == ("集团", "有限公司")


def test_generic_word_alone_is_not_stripped_to_nothing():
    assert strip_generic("食品") == ("食品", ())


def test_parts(norm):
    n = norm.normalise("杜客DUKE 2000")
    assert (n.chinese, n.latin, n.digits) == ("杜客", "duke", "2000")
    assert n.latin_words == ("duke",)


def test_pinyin_is_phrase_aware(norm):
    assert norm.normalise("重庆").pinyin == ("chong", "qing")
    assert norm.normalise("银行").pinyin == ("yin", "hang")
    assert norm.normalise("康帅傅").pinyin_tone == ("kang1", "shuai4", "fu4")


def test_segmentation_knows_watched_brands():
    n = Normaliser()
    n.add_brand_words(["康帅傅"])
    assert "康帅傅" in n.normalise("康帅傅方便面").tokens


def test_chinese_numbers(norm):
    assert chinese_number_value("二千") == 2000
    assert chinese_number_value("十五") == 15
    assert 2000 in norm.normalise("涮霸二千").numbers


def test_version_is_recorded(norm):
    assert norm.normalise("雪碧").version == NORMALISER_VERSION


@lru_cache(maxsize=1)
def _shared() -> Normaliser:
    return Normaliser()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("康师傅農夫山泉ＡＢｃ１２ 牌集团有限公司食品-·！abcXYZ⼤豊")), max_size=16))
def test_idempotent(text):
    n = _shared()
    once = n.normalise(text)
    twice = n.normalise(once.text)
    assert twice.text == once.text
    assert twice.core == once.core
