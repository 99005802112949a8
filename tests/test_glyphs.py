"""Character look (形近): the shipped look-alike table and code-point folding."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from markwatch.text import glyphs

PAIRS = json.loads((Path(__file__).parent / "data" / "glyph_pairs.json").read_text(encoding="utf-8"))
HIGH = 0.6  # a look-alike pair must reach this
LOW = 0.3  # an unrelated pair must stay below this


@pytest.mark.parametrize("pair", PAIRS["lookalike"], ids=PAIRS["lookalike"])
def test_lookalike_pairs_score_high_and_list_each_other(pair: str) -> None:
    a, b = pair
    assert glyphs.char_similarity(a, b) >= HIGH
    assert b in dict(glyphs.lookalikes(a, min_similarity=HIGH))
    assert a in dict(glyphs.lookalikes(b, min_similarity=HIGH))


@pytest.mark.parametrize("pair", PAIRS["unrelated"], ids=PAIRS["unrelated"])
def test_unrelated_pairs_score_low(pair: str) -> None:
    a, b = pair
    assert glyphs.char_similarity(a, b) < LOW
    assert b not in dict(glyphs.lookalikes(a, min_similarity=LOW))


def test_every_lookalike_outscores_every_unrelated_pair() -> None:
    lowest_alike = min(glyphs.char_similarity(*p) for p in PAIRS["lookalike"])
    highest_unrelated = max(glyphs.char_similarity(*p) for p in PAIRS["unrelated"])
    assert lowest_alike > highest_unrelated


@pytest.mark.parametrize("pair", PAIRS["lookalike"] + PAIRS["unrelated"] + PAIRS["calibration"])
def test_similarity_is_symmetric_and_bounded(pair: str) -> None:
    a, b = pair
    forward, backward = glyphs.char_similarity(a, b), glyphs.char_similarity(b, a)
    assert forward == backward
    assert 0.0 <= forward <= 1.0


@pytest.mark.parametrize("ch", sorted({c for p in PAIRS["lookalike"] for c in p}))
def test_identical_characters_score_one(ch: str) -> None:
    assert glyphs.char_similarity(ch, ch) == 1.0


def test_identical_after_folding_scores_one() -> None:
    assert glyphs.char_similarity("\u2f24", "大") == 1.0  # KANGXI RADICAL BIG vs 大


def test_unknown_characters_score_zero() -> None:
    assert glyphs.char_similarity("a", "大") == 0.0
    assert glyphs.lookalikes("a") == []
    assert glyphs.lookalikes("\U00030000") == []  # an ideograph far outside the table


def test_lookalikes_sorted_and_filtered() -> None:
    for ch in {c for p in PAIRS["lookalike"] for c in p}:
        for threshold in (0.3, 0.6, 0.9):
            items = glyphs.lookalikes(ch, min_similarity=threshold)
            scores = [s for _, s in items]
            assert scores == sorted(scores, reverse=True)
            assert all(threshold <= s <= 1.0 for s in scores)
            assert ch not in dict(items)
            # each listed score is what char_similarity says
            assert all(glyphs.char_similarity(ch, other) == s for other, s in items)


def test_lookalikes_with_zero_floor_lists_more() -> None:
    assert len(glyphs.lookalikes("雪", min_similarity=0.0)) >= len(glyphs.lookalikes("雪"))


def test_rejects_strings_that_are_not_one_character() -> None:
    with pytest.raises(ValueError):
        glyphs.char_similarity("雪碧", "雷碧")
    with pytest.raises(ValueError):
        glyphs.lookalikes("")


def test_table_version_and_provenance() -> None:
    assert isinstance(glyphs.TABLE_VERSION, str) and glyphs.TABLE_VERSION
    prov = glyphs.table_provenance()
    assert "Noto Sans CJK" in prov["font"]
    assert "Open Font License" in prov["font_licence"]
    assert prov["method"] and prov["parameters"] and prov["date"]


def test_shipped_table_is_small() -> None:
    path = Path(glyphs.__file__).parent.parent / "data" / "glyph_neighbours.json.gz"
    assert path.stat().st_size < 5_000_000


# ---------------------------------------------------------------- folding


@pytest.mark.parametrize(
    ("variant", "unified"),
    [
        ("\u2f24", "\u5927"),  # ⼤ KANGXI RADICAL BIG -> 大
        ("\u2f00", "\u4e00"),  # ⼀ KANGXI RADICAL ONE -> 一
        ("\u2fd5", "\u9fa0"),  # ⿕ KANGXI RADICAL FLUTE -> 龠
        ("\u2e8e", "\u5140"),  # ⺎ CJK RADICAL LAME ONE -> 兀 (no NFKC mapping: explicit table)
        ("\u2ea0", "\u6c11"),  # ⺠ CJK RADICAL CIVILIAN -> 民 (explicit table)
        ("\u2ef3", "\u9f9f"),  # ⻳ CJK RADICAL C-SIMPLIFIED TURTLE -> 龟
        ("\u31d0", "\u4e00"),  # ㇐ CJK STROKE H -> 一
        ("\uf900", "\u8c48"),  # 豈 CJK COMPATIBILITY IDEOGRAPH-F900 -> 豈
        ("\ufa0c", "\u5140"),  # 兀 CJK COMPATIBILITY IDEOGRAPH-FA0C -> 兀
        ("\U0002f800", "\u4e3d"),  # 丽 CJK COMPATIBILITY IDEOGRAPH-2F800 -> 丽
    ],
)
def test_fold_codepoints_maps_variants_to_unified(variant: str, unified: str) -> None:
    assert variant != unified
    assert glyphs.fold_codepoints(variant) == unified
    assert glyphs.fold_codepoints(f"康{variant}傅") == f"康{unified}傅"


def test_fold_codepoints_every_kangxi_radical_becomes_a_unified_ideograph() -> None:
    for cp in range(0x2F00, 0x2FD6):
        folded = glyphs.fold_codepoints(chr(cp))
        assert len(folded) == 1 and "CJK UNIFIED IDEOGRAPH" in unicodedata.name(folded)


def test_fold_codepoints_every_compatibility_ideograph_is_unified_or_kept() -> None:
    for cp in list(range(0xF900, 0xFB00)) + list(range(0x2F800, 0x2FA20)):
        ch = chr(cp)
        if not unicodedata.name(ch, ""):
            continue
        folded = glyphs.fold_codepoints(ch)
        assert len(folded) == 1
        if unicodedata.decomposition(ch):
            # A true compatibility variant: folded to a unified ideograph (names of the newest
            # extension blocks may be unknown to this Python's unicodedata).
            assert "CJK UNIFIED IDEOGRAPH" in unicodedata.name(folded, "CJK UNIFIED IDEOGRAPH")
        else:
            # U+FA0E 﨎 and friends are unified ideographs that merely live in this block.
            assert folded == ch


def test_fold_codepoints_leaves_unified_compatibility_block_ideographs_alone() -> None:
    assert glyphs.fold_codepoints("\ufa0e") == "\ufa0e"  # 﨎 is a unified ideograph, not a variant


@pytest.mark.parametrize(
    "text",
    [
        "康师傅方便面",
        "雷碧 SPRITE 雪碧",
        "土士己已巳未末大太犬",  # look-alikes are distinct characters: never folded
        "ＡＢＣ１２３（）",  # full-width forms are another normaliser's business
        "ｶﾀｶﾅ①™",
        "",
    ],
)
def test_fold_codepoints_leaves_ordinary_text_unchanged(text: str) -> None:
    assert glyphs.fold_codepoints(text) == text


def test_fold_codepoints_is_idempotent() -> None:
    text = "".join(chr(cp) for cp in range(0x2E80, 0x2FE0)) + "\uf900\ufa0c康师傅"
    once = glyphs.fold_codepoints(text)
    assert glyphs.fold_codepoints(once) == once
