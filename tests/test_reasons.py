"""Reasons are forwarded to brand owners: each must be true of the comparison it describes.

Property tests over generated pairs (the shipped brands against homophones, heteronyms, look-alikes,
place variants and their aliases as written), plus the cases clerks reported.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from markwatch.matching.comparisons.sound import readings
from markwatch.matching.matcher import Matcher
from markwatch.matching.wording import SAME_SOUND
from markwatch.model import Brand, Match
from markwatch.text.places import leading_place, place_names

from .conftest import DEMO, WATCHLISTS


@lru_cache(maxsize=1)
def matcher() -> Matcher:
    from markwatch.goods.table import SimilarGoodsTable
    from markwatch.text.lexicon import Lexicon

    return Matcher(goods_table=SimilarGoodsTable.load(), lexicon=Lexicon.load())


def _brands() -> list[Brand]:
    out = []
    for path in sorted(WATCHLISTS.glob("*.yaml")):
        for b in yaml.safe_load(path.read_text(encoding="utf-8"))["brands"]:
            out.append(Brand(brand_id=b["brand_id"], mark=b["mark"], aliases=tuple(b.get("aliases") or ()),
                             classes=tuple(b.get("classes") or ()), kind=b.get("kind", "enterprise"),
                             well_known=bool(b.get("well_known"))))
    return out


BRANDS = _brands()


@lru_cache(maxsize=1)
def _pool() -> dict[str, list[str]]:
    """Characters of the demo gazette and the brands, by each of their toneless readings."""
    chars = set("".join(b.mark for b in BRANDS))
    for path in DEMO.glob("gazette*.jsonl"):
        chars |= {ch for ch in path.read_text(encoding="utf-8") if "\u4e00" <= ch <= "\u9fff"}
    by_reading: dict[str, list[str]] = {}
    for ch in sorted(chars):
        for r in readings(ch):
            by_reading.setdefault(r, []).append(ch)
    return by_reading


def _sound_alikes(ch: str) -> list[str]:
    """Other characters sharing a reading with `ch`, heteronyms included (味 wei/mei, 昧 mei)."""
    pool = _pool()
    return sorted({x for r in readings(ch) for x in pool.get(r, []) if x != ch})


@st.composite
def pairs(draw) -> tuple[Brand, str]:
    brand = draw(st.sampled_from(BRANDS))
    mark = brand.mark
    how = draw(st.sampled_from(["sound", "sound", "sound", "place", "alias", "affix", "demo"]))
    if how == "sound":
        text = mark
        for _ in range(draw(st.integers(1, 2))):
            i = draw(st.integers(0, len(text) - 1))
            alikes = _sound_alikes(text[i])
            if alikes:
                text = text[:i] + draw(st.sampled_from(alikes)) + text[i + 1:]
        return brand, text
    if how == "place":
        place = leading_place(mark) or mark[:2]
        cut = draw(st.integers(1, max(1, len(place) - 1)))
        variant = draw(st.sampled_from([mark[:cut] + mark[len(place):], place + "镇" + mark[len(place):],
                                        mark + draw(st.sampled_from(["园", "王", "坊"]))]))
        return brand, variant
    if how == "alias" and brand.aliases:
        alias = draw(st.sampled_from(brand.aliases))
        written = draw(st.sampled_from([alias, alias.lower(), alias.replace(" ", ""),
                                        unicodedata.normalize("NFKC", alias).translate(_FULL_WIDTH),
                                        mark + alias, mark + " " + alias]))
        return brand, written
    if how == "affix":
        return brand, draw(st.sampled_from(["新", "老", "金典"])) + mark + draw(st.sampled_from(["", "食品", "牌"]))
    return brand, draw(st.sampled_from(_demo_marks()))


_FULL_WIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}


@lru_cache(maxsize=1)
def _demo_marks() -> list[str]:
    import json

    marks = []
    for line in (DEMO / "gazette.jsonl").read_text(encoding="utf-8").splitlines()[:400]:
        m = json.loads(line).get("mark")
        if m:
            marks.append(m)
    return marks


def compare(brand: Brand, text: str) -> Match:
    classes = brand.classes[:1] or (30,)
    return matcher().compare(brand, text, candidate_classes=classes)


def _readings_of(text: str) -> list[tuple[str, ...]]:
    return [f.pinyin for f in matcher().forms_of(text) if f.chinese]


# ---------------------------------------------------------------- the properties
def check_true(brand: Brand, text: str, m: Match) -> None:
    details = [r.detail for r in m.reasons]
    assert len(details) == len(set(details)), details  # nothing said twice
    scored_meaning = [r for r in m.reasons if r.kind in ("meaning", "translation") and r.score]
    assert len(scored_meaning) <= 1, details
    brand_readings = [p for t in (brand.mark, *brand.aliases) for p in _readings_of(t)]
    mark_readings = _readings_of(text)
    for r in m.reasons:
        if SAME_SOUND[0] in r.detail:
            # "same sound" implies identical toneless readings
            said = re.search(r"读音相同 ([a-z ]+) ≈ ([a-z ]+)", r.detail)
            if said:
                assert said.group(1).strip() == said.group(2).strip(), r.detail
            pairs = re.findall(r"[（；]“?([^“”/（）；]+)/([^“”/（）；]+)”?读音相同", r.detail)
            pairs += re.findall(r"（([^/（）；]+)/([^/（）；]+)）[^（）]*首字读音相同", r.detail)
            pairs += re.findall(r"（([^→（）；]+)→([^，（）；]+)），首字读音相同", r.detail)
            if pairs:  # a claim about characters: those characters read the same
                for x, y in pairs:
                    assert _readings_of(x) == _readings_of(y), (r.detail, x, y)
            else:  # a claim about the marks: they read the same
                assert set(brand_readings) & set(mark_readings), (r.detail, brand_readings, mark_readings)
        if r.kind == "place":
            for name in re.findall(r"地名“([^”]+)”", r.detail):
                # a place reason names a whole place of the place list: the brand's leading place
                assert name in place_names(), r.detail
                assert name == leading_place(matcher().forms_of(brand.mark)[0].chinese), r.detail
        for whole in re.findall(r"完整包含商标“([^”]+)”", r.detail):
            # "contains the whole mark": the brand's text stands in the mark unbroken
            cores = {f.core for f in matcher().forms_of(text)} | {_plain(text)}
            assert any(_plain(whole) in _plain(c) for c in cores), (r.detail, cores)
        for shown in re.findall(r"文字相同（([^）]+)）", r.detail):
            # the brand's alias is called the brand's alias
            assert not any(_plain(shown) == _plain(a) and _plain(a) != _plain(brand.mark) for a in brand.aliases), \
                r.detail
        if r.kind in ("identical", "contains", "latin", "pinyin", "order"):
            written = " ".join([brand.mark, *brand.aliases, text]).casefold()
            written = unicodedata.normalize("NFKC", written)
            for latin in re.findall(r"[A-Za-z][A-Za-z' -]*[A-Za-z]", r.detail):
                # Latin is named as written, not as the squashed comparison key
                assert latin.casefold() in written, (latin, r.detail)


def _plain(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs())
def test_every_reason_is_true_of_its_comparison(pair):
    brand, text = pair
    check_true(brand, text, compare(brand, text))


def brand(mark: str) -> Brand:
    return next(b for b in BRANDS if b.mark == mark)


@pytest.mark.parametrize("mark, text, inserted", [("六个核桃", "六个石磨核桃", "石磨"), ("阳澄湖大闸蟹", "阳澄湖镇大闸蟹", "镇"),
                                                  ("王老吉", "王老大吉", "大")])
def test_a_brand_with_words_put_inside_is_not_called_contained_whole(mark, text, inserted):
    m = compare(brand(mark), text)
    details = [r.detail for r in m.reasons]
    # said once, naming what was put in ("依次包含…（中间插入其他文字）" would say it again, less precisely)
    assert f"与商标“{mark}”文字近似（插入“{inserted}”）" in details, details
    assert not any(d.startswith("依次包含") for d in details), details
    assert not any("完整包含" in d for d in details), details
    assert any(r.kind == "sound" for r in m.reasons) and any(r.kind == "goods" for r in m.reasons), details
    check_true(brand(mark), text, m)


@pytest.mark.parametrize("mark, text", [("知味观", "知昧观"), ("旺仔", "旺子"), ("六个核桃", "六个核挑")])
def test_other_readings_are_a_similar_sound_with_what_differs(mark, text):
    m = compare(brand(mark), text)
    sound = [r.detail for r in m.reasons if r.kind == "sound"]
    # a similar sound, said as similar ("读音相近 … 不同" for another reading, "读音近似" for near syllables)
    assert sound and all(d.startswith(("读音相近", "读音近似")) for d in sound), sound
    assert not any("读音相同" in r.detail for r in m.reasons), [r.detail for r in m.reasons]
    check_true(brand(mark), text, m)


def test_the_same_readings_are_the_same_sound():
    m = compare(brand("雪碧"), "雪璧")
    assert any(r.detail == "读音相同 xue bi ≈ xue bi" for r in m.reasons), [r.detail for r in m.reasons]


@pytest.mark.parametrize("mark, text, place", [("库尔勒香梨", "库尔勒香梨园", "库尔勒"),
                                               ("阳澄湖大闸蟹", "阳澄湖镇大闸蟹", "阳澄湖"),
                                               ("赣南脐橙", "赣南齐橙", "赣南")])
def test_place_reasons_name_the_whole_place(mark, text, place):
    m = compare(brand(mark), text)
    assert any(f"地名“{place}”" in r.detail for r in m.reasons), [r.detail for r in m.reasons]
    check_true(brand(mark), text, m)


def test_a_shortened_place_is_no_longer_the_same_place():
    m = compare(brand("阳澄湖大闸蟹"), "阳澄大闸蟹")
    assert not any("地名“阳澄”" in r.detail for r in m.reasons)


def test_an_alias_match_is_said_to_be_one_once():
    m = compare(brand("徐福记"), "XUFUJI")
    details = [r.detail for r in m.reasons]
    assert details[0] == "与商标别名“XUFUJI”相同", details
    assert not any(d.startswith("文字相同") for d in details)
    wahaha = [r for r in compare(brand("娃哈哈"), "WAHAHA").reasons if r.kind != "goods"]
    assert [r.detail for r in wahaha] == ["与商标别名“WAHAHA”相同", "拼音“WAHAHA”即“娃哈哈”的读音"]
    spaced = compare(brand("农夫山泉"), "Nong Fu Shan Quan").reasons[0]  # case and spaces aside
    assert spaced.detail == "与商标别名“NONGFU SHANQUAN”相同"


def test_parts_are_named_as_written_and_not_called_distinctive():
    # an everyday English word of a phrase is not a mark of its own (FARMER SPRING), but a Latin part
    # that is one is named as written, never as the squashed pinyin
    m = compare(brand("农夫山泉"), "SPRING")
    details = [r.detail for r in m.reasons]
    assert "新商标中的“SPRING”是商标别名“NONGFU SPRING”的一部分" in details, details
    for text in ("SPRING", "FARMER SPRING"):
        assert not any("nongfuspring" in r.detail.lower() or "显著部分" in r.detail
                       for r in compare(brand("农夫山泉"), text).reasons)
    pinyin = [r.detail for r in compare(brand("农夫山泉"), "农夫山全").reasons if r.kind == "pinyin"]
    assert pinyin == ["商标别名“NONGFU SHANQUAN”即“农夫山全”的拼音"]


def test_a_look_alike_pair_is_named_once():
    m = compare(brand("洽洽"), "治治")
    look = [r.detail for r in m.reasons if r.kind == "look"]
    assert look == ["字形近似 洽洽 ≈ 治治（洽/治 字形相近）"]


def test_the_same_text_is_not_also_a_translation():
    m = compare(brand("可口可乐"), "可口可乐")
    assert [r.kind for r in m.reasons if r.kind in ("meaning", "translation")] == []
    kept = compare(brand("康师傅"), "康师父")  # a synonym is news next to a same sound
    assert any(r.kind == "meaning" for r in kept.reasons)



def test_an_alias_in_a_mixed_mark_is_named_as_written():
    """可口可乐COCA-COLA: the Latin part is named COCA-COLA, as the mark writes it, not the squashed COCACOLA."""
    m = compare(brand("可口可乐"), "可口可乐COCA-COLA")
    latin = [r.detail for r in m.reasons if "外文" in r.detail]
    assert latin and all("COCACOLA" not in d for d in latin), latin
    assert any("COCA-COLA" in d for d in latin), latin
