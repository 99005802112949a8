"""The register's persisted picture index (index_dir/pictures) and the index of the words read in the
pictures (index_dir/picture_words): opened, extended, rebuilt, safe across a crash, and used by the
searches without ever being built inside one.

The pictures' features are written to the database as a read would store them (unit vectors, OCR lines
with their confidence), so that these tests need no image model: the index and the searches only ever
read stored features.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from markwatch.errors import Unavailable
from markwatch.images.features import EMBED_MODEL, FEATURES_VERSION, PictureFeatures
from markwatch.scale.index_files import CorruptIndex, StaleIndex
from markwatch.scale.picture_index import MAX_SEGMENTS, StoredPictureIndex
from markwatch.store.tables import GazetteMark, ImageFeatures, utcnow

from .servicekit import db_url, make_service

__all__ = ["db_url"]  # the database fixture: SQLite, and PostgreSQL when configured

DIM = 32


def unit(rng: np.random.Generator, n: int = 1) -> np.ndarray:
    v = rng.normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def items(rng: np.random.Generator, ids) -> list:
    return [(i, unit(rng)) for i in ids]


def brute_force(pool: dict[int, np.ndarray], query: np.ndarray, k: int) -> list[int]:
    """The exact reference: the best cosine per mark over its rows, best first."""
    best = {i: float(np.max(v.astype(np.float16).astype(np.float32) @ query.T)) for i, v in pool.items()}
    return [i for i, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


# ---------------------------------------------------------------- the index files
def test_built_opened_and_extended_it_finds_what_brute_force_finds(tmp_path):
    rng = np.random.default_rng(7)
    folder = tmp_path / "pictures"
    first = items(rng, range(1, 301)) + [(301, None)]  # a blank picture: covered, without an embedding
    built = StoredPictureIndex.build(folder, first)
    assert (built.marks, built.pictures, built.max_id) == (301, 300, 301)
    opened = StoredPictureIndex.open(folder)
    assert opened.covers(301) and opened.covers(5) and not opened.covers(302)
    later = items(rng, range(302, 402))
    assert opened.add(later + first[:3]) == 100  # marks already covered are not added twice
    assert StoredPictureIndex.open(folder).marks == 401 and opened.manifest["segments"] == ["seg-000", "seg-001"]
    pool = {i: v for i, v in first + later if v is not None}
    for query in unit(rng, 5):
        got = [i for i, _ in StoredPictureIndex.open(folder).search(query[None, :], k=10)]
        assert got == brute_force(pool, query[None, :], 10)
    # a searching process takes in an update by loading the new segment only
    held = StoredPictureIndex.open(folder)
    newest = items(rng, range(402, 452))
    StoredPictureIndex.open(folder, vectors=False).add(newest)  # the update, as another process makes it
    refreshed = StoredPictureIndex.refreshed(folder, held)
    assert refreshed.parts["seg-000"] is held.parts["seg-000"] and "seg-002" not in held.parts
    assert refreshed.marks == 451 and refreshed.loaded == 450
    pool.update(newest)
    query = unit(rng)
    assert [i for i, _ in refreshed.search(query, k=10)] == brute_force(pool, query, 10)
    rebuilt = StoredPictureIndex.build(folder, newest)  # a rebuild: nothing held is reused
    assert StoredPictureIndex.refreshed(folder, refreshed).parts["seg-000"] is not refreshed.parts["seg-000"]
    assert rebuilt.marks == 50


def test_a_mark_read_late_joins_a_later_segment_and_segments_are_merged(tmp_path):
    rng = np.random.default_rng(8)
    folder = tmp_path / "pictures"
    index = StoredPictureIndex.build(folder, items(rng, [10, 20, 30]))
    assert index.add(items(rng, [15])) == 1  # stored before, read later (the extra installed since)
    assert index.covers(15) and index.max_id == 30
    extend_only = StoredPictureIndex.open(folder, vectors=False)  # what an update opens: no vectors loaded
    assert extend_only.parts is None and extend_only.add(items(rng, [16])) == 1
    with pytest.raises(ValueError):
        extend_only.search(unit(rng))
    index = StoredPictureIndex.open(folder)
    for n in range(MAX_SEGMENTS + 2):
        index.add(items(rng, [100 + n]))
    assert len(index.manifest["segments"]) <= MAX_SEGMENTS
    again = StoredPictureIndex.open(folder)
    assert again.marks == 5 + MAX_SEGMENTS + 2 and all(again.covers(i) for i in (10, 15, 16, 30, 100 + MAX_SEGMENTS + 1))
    assert again.loaded == again.pictures == again.marks
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pictures"]  # no building or old folder left


def test_other_features_make_it_stale_and_damaged_files_make_it_corrupt(tmp_path, monkeypatch):
    rng = np.random.default_rng(9)
    folder = tmp_path / "pictures"
    StoredPictureIndex.build(folder, items(rng, range(1, 21)))
    monkeypatch.setattr("markwatch.scale.picture_index.FEATURES_VERSION", "another")
    with pytest.raises(StaleIndex, match="built with"):
        StoredPictureIndex.open(folder)
    monkeypatch.undo()
    vectors = folder / "seg-000.vectors.npy"
    data = bytearray(vectors.read_bytes())
    data[-3] ^= 0xFF
    vectors.write_bytes(bytes(data))
    with pytest.raises(CorruptIndex, match="checksum"):
        StoredPictureIndex.open(folder)


def test_a_crash_before_the_manifest_is_replaced_leaves_the_index_as_it_was(tmp_path, monkeypatch):
    rng = np.random.default_rng(10)
    folder = tmp_path / "pictures"
    StoredPictureIndex.build(folder, items(rng, range(1, 51)))
    before = (folder / "manifest.json").read_bytes()
    index = StoredPictureIndex.open(folder)

    def killed(src, dst):  # the process dies as the new manifest would be swapped in
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr("markwatch.scale.index_files.os.replace", killed)
    with pytest.raises(KeyboardInterrupt):
        index.add(items(rng, range(51, 61)))
    monkeypatch.undo()
    assert (folder / "manifest.json").read_bytes() == before  # the segment written is named by no manifest
    assert (folder / "seg-001.vectors.npy").exists()
    reopened = StoredPictureIndex.open(folder)  # checksums hold: the leftover is not part of the index
    assert reopened.marks == 50 and not reopened.covers(55)
    assert reopened.add(items(rng, range(51, 61))) == 10  # the next add writes over the leftover
    assert StoredPictureIndex.open(folder).marks == 60
    # a half-written manifest (no atomic rename) would be unreadable: it is refused, never guessed at
    (folder / "manifest.json").write_text(json.dumps({"format": 1})[:7], encoding="utf-8")
    with pytest.raises(CorruptIndex):
        StoredPictureIndex.open(folder)


# ---------------------------------------------------------------- kept current by the service, used by the searches
def store_pictured(svc, rows: list[dict], rng) -> list[int]:
    """Gazette marks with pictures whose features were read (stored as a read stores them)."""
    ids = []
    with svc.db.session() as s:
        for r in rows:
            key = f"{r['application_no']:0>64}"
            m = GazetteMark(application_no=r["application_no"], issue_key="2004", mark=r.get("mark", ""),
                            classes=r.get("classes", [30]), goods=r.get("goods", ["方便面"]),
                            mark_type=r.get("mark_type", "combined"), image_ref=f"img/{r['application_no']}.png",
                            image_sha256=key, image_file=f"{key[:2]}/{key}.png", image_key=key,
                            publication_date=None, gazette_issue="2004")
            s.add(m)
            s.flush()
            ids.append(m.id)
            if r.get("error"):
                s.add(ImageFeatures(key=key, views=1, version=FEATURES_VERSION, model="-", dim=0, vectors=None,
                                    hashes=[], words=[], error="cannot decode the PNG image", created_at=utcnow()))
            elif r.get("read", True):
                feats = PictureFeatures(key=key, vectors=unit(rng), hashes=(1,),
                                        words=tuple((t, c) for t, c in r.get("words", ())))
                s.add(ImageFeatures(created_at=utcnow(), **{**feats.to_row(), "model": EMBED_MODEL}))
    return ids


@pytest.fixture
def svc(tmp_path, db_url):
    """On SQLite, and on PostgreSQL when MARKWATCH_TEST_POSTGRES_URL is set."""
    service = make_service(db_url, tmp_path, image_dir=tmp_path / "images")
    yield service
    service.db.dispose()


def test_the_update_adds_what_was_read_and_the_text_search_finds_words_only_in_pictures(svc):
    rng = np.random.default_rng(11)
    store_pictured(svc, [
        {"application_no": "82000005", "mark_type": "figurative", "read": False},  # not read yet
        {"application_no": "82000001", "words": [("康帅傅", 0.98)]},               # the words only in the picture
        {"application_no": "82000002", "words": [("康師傅", 0.95), ("KSF", 0.9)]},  # traditional, and Latin
        {"application_no": "82000003", "words": [("青山绿水", 0.99)]},
        {"application_no": "82000004", "mark": "康帅傅", "words": []},            # the words written, no words read
    ], rng)
    svc.ingest([])  # nothing to ingest: the indexes are not touched
    report = svc.update_picture_indexes()
    assert (report["marks"], report["pictures"], report["added"], report["not_read"]) == (4, 4, 4, 1)
    assert report["words_rows"] == 4  # 康帅傅, 康師傅, KSF, 青山绿水
    svc.update_register_index()
    answer = svc.search("康师傅", classes=[30], top=10)
    found = {r["application_no"]: r for r in answer["results"]}
    assert found["82000001"]["found_in"] == "图中文字"
    assert found["82000001"]["reasons"][0]["detail"].startswith("图中文字“康帅傅”（识别置信度 0.98）")
    assert found["82000002"]["found_in"] == "图中文字"
    assert found["82000004"]["found_in"] == "商标文字"
    assert "82000003" not in found
    assert answer["picture_words_index"]["words_index_lines"] == 4
    # a mark read since (stored before the highest id): added at the next update, the words index rebuilt
    with svc.db.session() as s:
        key = f"{'82000005':0>64}"
        feats = PictureFeatures(key=key, vectors=unit(rng), hashes=(2,), words=(("康帅傅", 0.9),))
        s.add(ImageFeatures(created_at=utcnow(), **{**feats.to_row(), "model": EMBED_MODEL}))
    report = svc.update_picture_indexes()
    assert (report["marks"], report["added"], report["not_read"], report["words_rows"]) == (5, 1, 0, 5)
    assert any("older mark" in n for n in report["notes"])
    assert "82000005" in {r["application_no"] for r in svc.search("康师傅", classes=[30])["results"]}
    again = svc.update_picture_indexes()  # current: nothing added, nothing rebuilt
    assert (again["added"], again["notes"]) == (0, [])
    # a picture that could not be read is taken in without an embedding, and not looked at again
    store_pictured(svc, [{"application_no": "82000006", "error": True}, {"application_no": "82000007"}], rng)
    report = svc.update_picture_indexes()
    assert (report["marks"], report["pictures"], report["added"], report["not_read"]) == (7, 6, 2, 0)


def test_search_by_image_never_builds_the_index_and_without_the_extra_says_not_compared(svc, monkeypatch):
    rng = np.random.default_rng(12)
    svc.pictures.read_features = True
    with pytest.raises(Unavailable, match="no picture index"):
        svc.search_image(b"\x89PNG\r\n\x1a\n", name="q.png")
    assert not (svc.settings.index_dir / "pictures").exists()  # the search did not build it
    store_pictured(svc, [{"application_no": "83000001"}], rng)
    svc.update_picture_indexes()
    store_pictured(svc, [{"application_no": "83000002"}, {"application_no": "83000003"}], rng)
    from markwatch.matching.comparisons.image import Figure
    from markwatch.service import picture_search

    query = PictureFeatures(key="q", vectors=unit(rng), hashes=(3,))
    monkeypatch.setattr(picture_search, "figure_of_data",
                        lambda *a, **k: (Figure(picture=query, image=True), ()))  # the model's read, stood in for
    answer = svc.search_image(b"not read", name="q.png", top=5)
    assert (answer["index_pictures"], answer["pictures_not_indexed"]) == (1, 2)  # stored since: said, not searched
    assert answer["index_updated_at"]
    svc.pictures.read_features = False
    answer = svc.search_image(b"anything", name="q.png")
    assert answer["results"] == [] and answer["not_compared"] == "图形未比较（请安装 markwatch[images]）"


def test_index_build_and_status_name_the_picture_index(svc):
    rng = np.random.default_rng(13)
    store_pictured(svc, [{"application_no": "84000001", "words": [("星河", 0.97)]}], rng)
    from markwatch.service.indexes import build_indexes, index_status

    report = build_indexes(svc, register=False, watchlist=False)
    assert report["pictures"]["marks"] == 1 and report["pictures"]["words_rows"] == 1
    forced = build_indexes(svc, register=False, watchlist=False, force=True)
    assert forced["pictures"]["notes"] == ["rebuilt (--force)"]
    status = index_status(svc)["pictures"]
    assert status["state"] == "current" and status["manifest"]["marks"] == 1
    os.remove(svc.settings.index_dir / "pictures" / "seg-000.owners.npy")
    assert "needs rebuilding" in index_status(svc)["pictures"]["state"]
    assert svc.update_picture_indexes()["notes"][0].startswith("rebuilt")


def test_a_damaged_index_is_said_unusable_by_the_search_and_rebuilt_by_the_next_update(svc):
    rng = np.random.default_rng(14)
    store_pictured(svc, [{"application_no": "85000001", "words": [("康帅傅", 0.97)]}], rng)
    svc.update_picture_indexes()
    svc.update_register_index()
    svc.pictures.read_features = True
    for name in ("pictures/seg-000.vectors.npy", "picture_words/seg-000.hashes.npy"):
        path = svc.settings.index_dir / name
        path.write_bytes(path.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(Unavailable, match="rebuilds it"):
        svc.search_image(b"\x89PNG\r\n\x1a\n", name="q.png")
    answer = svc.search("康师傅", classes=[30])  # the written words are still searched
    assert answer["picture_words_index"] is None and answer["results"] == []
    report = svc.update_picture_indexes()
    assert report["notes"][0].startswith("rebuilt") and report["words_rows"] == 1
    assert [r["found_in"] for r in svc.search("康师傅", classes=[30])["results"]] == ["图中文字"]
