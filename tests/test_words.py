"""`markwatch words build` and the setting word_counts_path: how many stored marks hold each word.

Constructed marks (traditional, full-width, mixed Latin) stored in a real SQLite database."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from markwatch.blocking.key_index import KeyIndex
from markwatch.cli import app
from markwatch.composition import MatcherSpec, build_matcher
from markwatch.config import Settings
from markwatch.errors import ConfigError, FileFormatError
from markwatch.matching.distinctiveness import WordCounts
from markwatch.model import Brand
from markwatch.store.tables import GazetteMark
from tests.conftest import make_service

# 金龙 in 6 of 10 marks, written simplified, traditional (金龍), full-width and with a company tail.
MARKS = ["金龙鱼", "金龍汽车", "ＪＩＮＬＯＮＧ金龙大厦", "金龙食品有限公司", "金龙宝宝", "金龙 GOLD",
         "银河", "天天", "银河之星", "兰满轩"]


def _store(svc, marks=MARKS) -> None:
    with svc.db.session() as s:
        for n, mark in enumerate(marks):
            s.add(GazetteMark(application_no=f"9{n:07d}", issue_key="2004", mark=mark, classes=[29]))


@pytest.fixture
def stored(tmp_path):
    svc = make_service(tmp_path)
    _store(svc)
    yield svc
    svc.db.dispose()


def test_build_counts_every_stored_mark_as_the_matcher_reads_it(stored, tmp_path):
    path = tmp_path / "words.json"
    from markwatch.service.words import build_word_counts

    report = build_word_counts(stored, path)
    counts = WordCounts.load(path)
    assert report["marks"] == counts.total == 10
    assert counts.counts["金龙"] == 6  # 金龍 folded, the company tail and the Latin parts left aside
    assert counts.counts["银河"] == 2
    assert "金龍" not in counts.counts and "公司" not in counts.counts
    assert "兰满" not in counts.counts  # in one mark only: not kept
    assert report["top"][0] == {"word": "金龙", "marks": 6}
    # A re-run counts the same marks once, and writes the same file.
    before = path.read_bytes()
    assert build_word_counts(stored, path)["marks"] == 10
    assert path.read_bytes() == before


def test_cli_writes_to_the_setting_and_a_matcher_built_with_it_weighs_the_word_as_frequent(stored, tmp_path,
                                                                                            monkeypatch):
    path = tmp_path / "words.json"
    svc = replace(stored, settings=replace(stored.settings, word_counts_path=str(path)))
    monkeypatch.setattr("markwatch.cli.common.service", lambda: svc)
    result = CliRunner().invoke(app, ["words", "build", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["path"] == str(path)
    plain = build_matcher(MatcherSpec())
    counted = build_matcher(MatcherSpec.from_settings(svc.settings))
    assert counted.distinctiveness.mark_frequency is not None
    assert ("金龙", "frequent") in counted.distinctiveness.weights("金龙宝", (29,)).weak_words()
    # 金龙 alone against 金龙鱼: the shared part is now a word found in most stored marks.
    assert plain.compare("金龙鱼", "金龙", brand_classes=(29,), candidate_classes=(29,)).similar
    assert not counted.compare("金龙鱼", "金龙", brand_classes=(29,), candidate_classes=(29,)).similar
    # The whole brand still matches.
    assert counted.compare("金龙鱼", "金龍魚", brand_classes=(29,), candidate_classes=(29,)).similar


def test_the_setting_is_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no markwatch.toml here
    settings = Settings.load(env={"MARKWATCH_WORD_COUNTS_PATH": str(tmp_path / "w.json")})
    assert settings.word_counts_path == str(tmp_path / "w.json")
    assert MatcherSpec.from_settings(settings).word_counts_path == str(tmp_path / "w.json")


def test_the_setting_travels_to_the_watcher_and_the_screening_workers(stored, tmp_path):
    from markwatch.scale.engines import ScreeningContext, _worker_state

    path = tmp_path / "words.json"
    WordCounts(10, {"金龙": 6}).save(path)
    svc = replace(stored, settings=replace(stored.settings, word_counts_path=str(path)))
    assert svc._watcher().word_counts_path == str(path)
    matcher = build_matcher(MatcherSpec())
    profiles = [matcher.profile_brand(Brand(brand_id="b1", mark="金龙鱼", classes=(29,)))]
    index = KeyIndex.from_profiles(profiles, lexicon=matcher.lexicon, goods_table=matcher.goods_table)
    ctx = ScreeningContext(brands=[p.brand for p in profiles], profiles=profiles, index=index,
                           word_counts_path=str(path))
    built, _ = _worker_state(ctx, None)  # what a Dask worker builds from the context it was sent
    assert built.distinctiveness.mark_frequency.share("金龙") == pytest.approx(0.6)


def test_bad_files_and_places_are_clear_errors_and_keep_the_previous_counts(stored, tmp_path, monkeypatch):
    from markwatch.service.words import build_word_counts

    with pytest.raises(ConfigError, match="word_counts_path"):
        build_word_counts(stored)  # neither --out nor the setting
    with pytest.raises(ConfigError, match="does not exist"):
        build_word_counts(stored, tmp_path / "missing" / "words.json")
    bad = tmp_path / "bad.json"
    for text in ("not json", '{"version": "word-counts-0", "total": 1, "counts": {}}', '["a"]',
                 '{"version": "word-counts-1", "total": "x", "counts": {}}'):
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(FileFormatError, match="words build"):
            WordCounts.load(bad)
    with pytest.raises(FileFormatError):
        build_matcher(MatcherSpec(word_counts_path=str(tmp_path / "absent.json")))
    # A build that fails while counting leaves the file it would replace untouched.
    good = tmp_path / "words.json"
    build_word_counts(stored, good)
    before = good.read_bytes()
    import markwatch.service.words as words

    def fail_while_writing(self, path):
        path.write_text('{"version": "word-counts-1", "tot', encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(words.WordCounts, "save", fail_while_writing)
    with pytest.raises(OSError):
        build_word_counts(stored, good)
    assert good.read_bytes() == before
    assert WordCounts.load(good).counts["金龙"] == 6
