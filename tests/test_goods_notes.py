"""The 区分表's notes, loaded from an operator's file: group and class relations in the goods overlap
and in the screening's goods filter. The fixture lines are the project's own (constructed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from markwatch.blocking.goods_mask import brand_goods_mask, goods_mask, goods_may_overlap
from markwatch.blocking.key_index import KeyIndex
from markwatch.blocking.keys import meaning_texts_of_mark
from markwatch.composition import MatcherSpec, build_matcher
from markwatch.errors import FileFormatError
from markwatch.goods.notes import GoodsNotes
from markwatch.goods.overlap import RULES, goods_overlap
from markwatch.goods.table import SimilarGoodsTable
from markwatch.model import Brand

SHARED_NOTES = Path(__file__).resolve().parents[2] / "shared" / "data" / "goods-notes" / "cross_group_notes.jsonl"

# Constructed notes: meat extracts similar to soups (same class) and to gravies of class 30;
# every group of class 29 searched with a group of class 30, so that the classes are joined.
LINES = [
    {"group": "2901", "similar_to": ["2905", "3016"]},
    {"group": "2902", "cross_search": ["3001"]},
    {"group": "2903", "cross_search": ["3002"]},
    {"group": "2904", "cross_search": ["3003"]},
    {"group": "2906", "cross_search": ["3004"]},
    {"group": "2907", "cross_search": ["3005"]},
    {"group": "0301", "similar_to_classes": ["05"]},
]


@pytest.fixture(scope="module")
def notes_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("notes") / "notes.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in LINES) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def table(notes_file):
    return SimilarGoodsTable.load().with_notes(GoodsNotes.from_file(notes_file))


def test_relations_are_read_both_ways(notes_file):
    notes = GoodsNotes.from_file(notes_file)
    assert "2905" in notes.related_groups("2901") and "2901" in notes.related_groups("3016")
    assert 30 in notes.related_classes(29) and 29 in notes.related_classes(30)
    assert 5 in notes.related_classes(3)


def test_bad_notes_file_says_where(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"group": "2901"}\nnot json\n', encoding="utf-8")
    with pytest.raises(FileFormatError, match="line 2"):
        GoodsNotes.from_file(bad)
    with pytest.raises(FileFormatError, match="goods_notes_path"):
        GoodsNotes.from_file(tmp_path / "missing.jsonl")


def test_noted_groups_overlap_across_classes(table):
    plain = SimilarGoodsTable.load()
    # without the notes, 29 and 30 are only kindred goods: related against the brand reproduced
    alone = goods_overlap((29,), ("2901",), (30,), ("3016",), table=plain)
    assert alone.score == RULES.kindred_goods and alone.needs_same_sign
    got = goods_overlap((29,), ("2901",), (30,), ("3016",), table=table)
    assert got.score == 0.9 and "2901与3016" in got.reasons[0].detail


def test_noted_classes_overlap_when_groups_are_unknown(table):
    got = goods_overlap((29,), (), (30,), (), table=table)
    assert got.score == 0.4 and "第29类与第30类" in got.reasons[0].detail
    # classes the notes barely join stay apart
    assert goods_overlap((3,), (), (5,), (), table=table).score == 0.0


def test_the_goods_filter_keeps_noted_pairs(table):
    wide = brand_goods_mask((29,), ("2901",), table)
    assert goods_may_overlap(wide, True, False, goods_mask((30,), ("3016",), table), True)
    assert not goods_may_overlap(goods_mask((29,), ("2901",), table), True, False,
                                 goods_mask((30,), ("3016",), table), True)


def test_screening_finds_what_the_scorer_flags_with_notes(notes_file):
    matcher = build_matcher(MatcherSpec(goods_notes_path=str(notes_file)))
    bp = matcher.profile_brand(Brand(brand_id="b", mark="悦川坊", classes=(29,), similar_groups=("2901",)))
    mp = matcher.profile_mark("悦川坊", (30,), similar_groups=("3016",))
    assert matcher.compare_profiles(bp, mp).similar
    index = KeyIndex.from_profiles([bp], lexicon=matcher.lexicon, goods_table=matcher.goods_table)
    assert (0, 0) in set(index.candidate_pairs([mp]))
    assert index.candidate_forms(mp.forms, meaning_texts_of_mark(mp)) == {0}


@pytest.mark.skipif(not SHARED_NOTES.exists(), reason="the shared notes transcription is not beside the project")
def test_shared_transcription_loads():
    notes = GoodsNotes.from_file(SHARED_NOTES)
    assert len(notes.groups) > 300 and 30 in notes.related_classes(29)
