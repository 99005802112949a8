"""jieba's default dictionary, read once per process from markwatch's own cache of it."""

from __future__ import annotations

import jieba
import jieba.posseg
import pytest

from markwatch.text import segmenter


@pytest.fixture(scope="module")
def jiebas_own():
    base = jieba.Tokenizer()
    base.initialize()
    return base.FREQ, base.total, dict(jieba.posseg.dt.word_tag_tab)


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """The module as a new process finds it, with the cache in tmp_path."""
    monkeypatch.setenv("MARKWATCH_CACHE_DIR", str(tmp_path / "cache"))

    def load():
        monkeypatch.setattr(segmenter, "_PRISTINE", [])
        monkeypatch.setattr(segmenter, "_TAGS", [])
        return (*segmenter._pristine(), segmenter.word_tags())
    return load


def test_the_cached_dictionary_is_jiebas_own(fresh, jiebas_own, tmp_path):
    first = fresh()  # builds the cache
    assert len(list((tmp_path / "cache").glob("jieba-*.dict"))) == 1
    again = fresh()  # reads it
    assert first == again == jiebas_own
    assert again[2]["康师傅"] == "nr" and again[0]["康"] > 0


def test_a_damaged_or_stale_cache_is_rebuilt(fresh, jiebas_own, tmp_path):
    fresh()
    [cached] = (tmp_path / "cache").glob("jieba-*.dict")
    cached.write_bytes(cached.read_bytes()[: cached.stat().st_size // 2])  # cut off mid-way
    assert fresh() == jiebas_own
    header, rest = cached.read_bytes().split(b"\n", 1)
    written_by = f'"jieba": "{jieba.__version__}"'.encode()
    cached.write_bytes(header.replace(written_by, b'"jieba": "9.9"') + b"\n" + rest)  # another jieba wrote it
    assert fresh() == jiebas_own
    assert written_by in cached.read_bytes().split(b"\n", 1)[0]


def test_an_unwritable_cache_folder_is_not_an_error(fresh, jiebas_own, tmp_path, monkeypatch):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder would be")
    assert fresh() == jiebas_own


def test_without_a_home_folder_the_dictionary_is_read_uncached(fresh, jiebas_own, monkeypatch):
    monkeypatch.delenv("MARKWATCH_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")
    monkeypatch.setattr(segmenter.Path, "home", staticmethod(no_home))
    assert fresh() == jiebas_own
