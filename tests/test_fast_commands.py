"""The fast paths of `markwatch ingest` and `markwatch run` give what the plain paths give.

Ingest normalises in batches (`matching.profiles.BatchNormaliser`, cached per distinct text); the
stored normal forms must be those of `Normaliser.normalise`, on a real SQLite database, for real
Chinese marks: traditional and simplified, full-width, mixed Latin, generic words, repeats.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from markwatch.composition import build_matcher
from markwatch.store.tables import GazetteMark
from markwatch.text.normalise import Normaliser

from .conftest import make_service

MARKS = [
    "康帅傅", "康師傅", "ＫＡＮＧ師傅", "康师傅食品有限公司", "天牌饮料", "长城牌", "雪碧 SPRITE", "雷碧",
    "娃哈哈", "娃哈哈", "ＷＡＨＡＨＡ", "红牛 Red-Bull", "金龍魚", "三只松鼠", "三只松鼠", "周黑鸭食品",
    "老干妈牌", "六个核桃", "百事可樂", "",
]


@pytest.fixture
def matcher():
    return build_matcher()  # its own: the test adds brand words


def _gazette(path: Path, marks: list[str]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for n, mark in enumerate(marks):
            fh.write(json.dumps({"application_no": f"7{n:07d}", "mark": mark or "图形", "classes": [30 + n % 3],
                                 "mark_type": "word" if mark else "figurative",
                                 "publication_date": "2026-10-20", "gazette_issue": "2004"},
                                ensure_ascii=False) + "\n")
    return path


def test_ingest_stores_the_normal_forms_of_the_plain_normaliser(tmp_path):
    svc = make_service(tmp_path)
    brand_words = ["天牌", "康师傅", "娃哈哈", "红牛"]  # 天牌 keeps its 牌 inside 天牌饮料
    svc.normaliser.add_brand_words(brand_words)
    [summary] = svc.ingest([_gazette(tmp_path / "g.jsonl", MARKS)])
    assert summary.stored == len(MARKS) and not summary.error
    plain = Normaliser()
    plain.add_brand_words(brand_words)
    with svc.db.session() as s:
        rows = list(s.scalars(select(GazetteMark).order_by(GazetteMark.id)))
    assert len(rows) == len(MARKS)
    for row in rows:
        assert row.normal == plain.normalise(row.mark).as_dict(), row.mark
    assert rows[4].normal["core"] == "天牌"  # protected: not stripped to 天
    [again] = svc.ingest([tmp_path / "g.jsonl"])
    assert again.stored == 0 and again.duplicates == len(MARKS)
    svc.db.dispose()


def test_profiles_from_stored_forms_equal_the_plain_profiles(matcher):
    """`FastProfiler.profile_stored` rebuilds a mark's form from what ingest stored; the profile must
    be the plain one, also when the brands watched now protect words ingest did not know about."""
    from markwatch.matching.profiles import BatchNormaliser, FastProfiler, stored_normal

    at_ingest = BatchNormaliser(Normaliser())  # ingest knew no brands
    stored = {m: at_ingest.normalise(m).as_dict() for m in MARKS}
    matcher.normaliser.add_brand_words(["天牌", "康师傅", "娃哈哈", "红牛", "长城"])
    profiler = FastProfiler(matcher, spot_check_every=0)
    for m in MARKS:
        fast = profiler.profile_stored(m, (30,), goods=("方便面",), stored=stored[m], ref=1)
        slow = matcher.profile_mark(m, (30,), goods=("方便面",), normal=stored_normal(stored[m]), ref=1)
        assert fast == slow, m
        assert [f.tokens for f in fast.forms] == [f.tokens for f in slow.forms], m
    # 天牌饮料 was stripped to 天 at ingest; with 天牌 watched it is normalised again, to 天牌 (the
    # plain path keeps the stored form beside it).
    assert stored["天牌饮料"]["core"] == "天"
    assert profiler.batch.from_stored("天牌饮料", stored["天牌饮料"]) is None
    cores = [f.core for f in profiler.profile_stored("天牌饮料", (30,), stored=stored["天牌饮料"]).forms]
    assert cores == ["天", "天牌"]
    # A stored form of another text, or of another normaliser version, is not used.
    assert profiler.batch.from_stored("雷碧", stored["雪碧 SPRITE"]) is None
    assert profiler.batch.from_stored("雷碧", {**stored["雷碧"], "version": "0"}) is None
    assert profiler.batch.from_stored("雷碧", stored["雷碧"]) == matcher.normaliser.normalise("雷碧")


def test_a_rebuilt_form_is_reused_until_the_watched_words_change():
    """`BatchNormaliser.from_stored` rebuilds a text once; watching a word that changes its form
    (天牌 is no longer stripped from 天牌饮料) makes it rebuild, and refuse the stale stored form."""
    from markwatch.matching.profiles import BatchNormaliser

    stored = BatchNormaliser(Normaliser()).normalise("天牌饮料").as_dict()
    normaliser = Normaliser()
    batch = BatchNormaliser(normaliser, spot_check_every=0)
    first = batch.from_stored("天牌饮料", stored)
    assert first == normaliser.normalise("天牌饮料") and first.core == "天"
    assert batch.from_stored("天牌饮料", stored) is first
    normaliser.add_brand_words(["天牌"])
    assert batch.from_stored("天牌饮料", stored) is None
    # A copy stored once 天牌 was watched is rebuilt; the older copy stays refused after it.
    fresh = BatchNormaliser(normaliser).normalise("天牌饮料").as_dict()
    assert batch.from_stored("天牌饮料", fresh).core == "天牌"
    assert batch.from_stored("天牌饮料", stored) is None
