"""Persistent indexes: build, search against the exact reference, incremental add, stale and corrupt
indexes rebuilt (never used), the CLI, and the service's clearance search over the stored register."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from markwatch.composition import build_matcher
from markwatch.scale.index_files import CorruptIndex, StaleIndex
from markwatch.scale.register_index import RegisterIndex, RegisterRow
from markwatch.scale.search import RegisterSearcher, containment_probes, exact_search
from markwatch.scale.watch_index import WatchIndexStore, build_watch_index, ensure_watch_index

from .test_candidates import load_bench


@pytest.fixture(scope="module")
def matcher():
    return build_matcher()


@pytest.fixture(scope="module")
def data():
    return load_bench().generate(900, 60, seed=9, planted_share=0.25)


def rows_of(records) -> list[RegisterRow]:
    return [RegisterRow(id=r.id, mark=r.mark, classes=r.classes, goods=r.goods, similar_groups=r.similar_groups,
                        applicant=r.applicant, application_no=f"{r.id:08d}") for r in records]


@pytest.fixture(scope="module")
def register(tmp_path_factory, matcher, data):
    folder = tmp_path_factory.mktemp("idx") / "register"
    rows = rows_of(data.records[:500])
    RegisterIndex.build(folder, rows, matcher=matcher)
    return folder, rows


def searcher_for(index, rows, matcher):
    by_id = {r.id: r for r in rows}
    return RegisterSearcher(index, matcher, fetch=lambda ids: [by_id[i] for i in ids if i in by_id])


def test_search_equals_the_exact_reference(register, matcher, data):
    folder, rows = register
    index = RegisterIndex.open(folder)
    searcher = searcher_for(index, rows, matcher)
    queries = [b.mark for b in data.brands[:6]] + ["康师傅", "RED BULL"]
    for n, q in enumerate(queries):
        for classes in (((), (30,)) if n < 2 else ((),)):
            got = searcher.search(q, classes=classes, top=10)
            ref = exact_search(matcher, rows, q, classes=classes, top=10)
            assert [r["id"] for r in got] == [r["id"] for r in ref], (q, classes)
            if got:
                assert got[0]["reasons"], "results travel with their reasons"


def test_search_with_the_learned_combination_equals_the_exact_reference(register, matcher, data):
    """The search's bounds follow the learned combination (Matcher.mark_bound): still exact."""
    from dataclasses import replace

    from markwatch.matching.combination import shipped_model

    learned = replace(matcher, combination=shipped_model())
    folder, rows = register
    searcher = searcher_for(RegisterIndex.open(folder), rows, learned)
    for q in [b.mark for b in data.brands[:4]] + ["康师傅"]:
        got = searcher.search(q, top=10)
        ref = exact_search(learned, rows, q, top=10)
        assert [r["id"] for r in got] == [r["id"] for r in ref], q


def test_marks_holding_every_key_are_the_intersection_of_the_postings(register, matcher):
    folder, rows = register
    index = RegisterIndex.open(folder)
    tried = 0
    for r in rows[:60]:
        probes = containment_probes(matcher.normaliser.normalise(r.mark).text[:3])
        if not probes:
            continue
        tried += 1
        each = [set(index.lookup_tagged([p], np.zeros(1, dtype=np.int64))[0].tolist()) for p in probes]
        held = index.holding_all(probes)
        assert sorted(held.tolist()) == sorted(set.intersection(*each)), r.mark
        assert r.id in set(held.tolist()), r.mark  # the mark holds its own first characters
    assert tried > 30


@pytest.mark.parametrize("kind", ["hashes", "ids"])
def test_bucketed_positions_equal_a_binary_search(kind):
    from markwatch.scale.register_index import _Locator

    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(0, 3000))
        if kind == "hashes":  # uniform 64-bit values, beyond the int64 range too
            values = np.unique(rng.integers(0, 2**64, n, dtype=np.uint64))
            wanted = np.concatenate([rng.integers(0, 2**64, 300, dtype=np.uint64), values[:40],
                                     np.array([0, 2**64 - 1], dtype=np.uint64)])
        else:  # database ids: a dense run with gaps, looked up below, inside and beyond it
            values = np.unique(rng.integers(int(rng.integers(1, 1000)), int(rng.integers(1000, 10**7)), n))
            wanted = np.concatenate([rng.integers(-5, 10**7 + 5, 300), values[:40], [0]])
        assert (_Locator(values).find(wanted) == np.searchsorted(values, wanted)).all()


def test_manifest_records_what_the_index_was_built_from(register):
    folder, rows = register
    doc = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert doc["kind"] == "register" and doc["rows"] == len(rows) and doc["max_id"] == max(r.id for r in rows)
    assert doc["normaliser_version"] and doc["params"]["keys_version"] and doc["model"].startswith("hashing")
    for name, meta in doc["files"].items():
        assert len(meta["sha256"]) == 64 and (folder / name).stat().st_size == meta["bytes"]
    assert not any(p.suffix == ".pkl" for p in folder.iterdir())


def test_incremental_add_then_search(tmp_path, matcher, data):
    folder = tmp_path / "register"
    first, later = rows_of(data.records[:400]), rows_of(data.records[400:500])
    RegisterIndex.build(folder, first, matcher=matcher)
    index = RegisterIndex.open(folder)
    index.add(later, matcher=matcher)
    reopened = RegisterIndex.open(folder)
    assert reopened.rows == 500 and reopened.max_id == max(r.id for r in later)
    assert len(reopened.manifest["segments"]) == 2 and reopened.vectors.ntotal == 500
    everything = first + later
    searcher = searcher_for(reopened, everything, matcher)
    for r in later[:3]:
        got = searcher.search(r.mark, top=10)
        ref = exact_search(matcher, everything, r.mark, top=10)
        assert [x["id"] for x in got] == [x["id"] for x in ref]
        assert r.id in {x["id"] for x in got} or not ref
    with pytest.raises(StaleIndex):
        reopened.add(first[:1], matcher=matcher)  # ids must grow


def test_stale_and_corrupt_indexes_are_refused(tmp_path, matcher, data):
    folder = tmp_path / "register"
    rows = rows_of(data.records[:200])
    RegisterIndex.build(folder, rows, matcher=matcher)
    manifest = folder / "manifest.json"
    good = manifest.read_text(encoding="utf-8")

    doc = json.loads(good)
    doc["normaliser_version"] = "0"
    manifest.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(StaleIndex, match="normaliser version"):
        RegisterIndex.open(folder)

    doc = json.loads(good)
    doc["params"]["keys_version"] = "0"
    manifest.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(StaleIndex, match="parameters"):
        RegisterIndex.open(folder)

    manifest.write_text(good, encoding="utf-8")
    with pytest.raises(StaleIndex, match="database"):
        RegisterIndex.open(folder, expect_rows=len(rows) + 1, expect_max_id=999999)

    target = next(folder.glob("*.ids.npy"))
    raw = bytearray(target.read_bytes())
    raw[-1] ^= 0xFF
    target.write_bytes(bytes(raw))
    with pytest.raises(CorruptIndex, match="checksum"):
        RegisterIndex.open(folder)

    manifest.write_text("{not json", encoding="utf-8")
    with pytest.raises(CorruptIndex, match="unreadable"):
        RegisterIndex.open(folder)


def test_watch_index_round_trip_and_rebuild(tmp_path, matcher, data):
    brands = data.brands[:40]
    folder = tmp_path / "watchlist"
    notes: list[str] = []
    index, profiles = ensure_watch_index(folder, brands, matcher, on_rebuild=notes.append)
    assert notes and (folder / "manifest.json").exists()  # nothing there: built
    notes.clear()
    loaded, loaded_profiles = ensure_watch_index(folder, brands, matcher, on_rebuild=notes.append)
    assert not notes
    assert loaded.postings == index.postings and [p.forms for p in loaded_profiles] == [p.forms for p in profiles]
    # Other brands: stale, rebuilt.
    ensure_watch_index(folder, brands[:39], matcher, on_rebuild=notes.append)
    assert notes and "other brands" in notes[-1]
    # A damaged file: corrupt, rebuilt, never used.
    keys = folder / "keys.npz"
    keys.write_bytes(keys.read_bytes()[:-10])
    notes.clear()
    again, _ = ensure_watch_index(folder, brands[:39], matcher, on_rebuild=notes.append)
    assert notes and ("checksum" in notes[-1] or "bytes" in notes[-1])
    fresh, _ = build_watch_index(brands[:39], matcher)
    assert again.postings == fresh.postings
    WatchIndexStore(folder).load(brands[:39])  # the rebuilt one is intact


def test_cli_index_build_and_search(tmp_path, monkeypatch):
    from markwatch.cli import app

    from .test_pipeline import WATCHLIST_YAML, gazette_lines, record

    monkeypatch.setenv("MARKWATCH_DATABASE_URL", f"sqlite:///{tmp_path}/m.db")
    monkeypatch.setenv("MARKWATCH_INDEX_DIR", str(tmp_path / "indexes"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wl.yaml").write_text(WATCHLIST_YAML, encoding="utf-8")
    (tmp_path / "g.jsonl").write_text(gazette_lines([
        record("1", "康帅傅", [30]), record("2", "雷碧", [32], goods=["汽水"]), record("3", "山水田园", [30]),
        record("4", "康师傅食品", [30]),
    ]), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(tmp_path / "g.jsonl")]).exit_code == 0
    assert runner.invoke(app, ["watchlist", "import", str(tmp_path / "wl.yaml")]).exit_code == 0
    res = runner.invoke(app, ["index", "build", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["register"]["marks"] == 4 and report["watchlist"]["brands"] == 2
    res = runner.invoke(app, ["search", "康师傅", "--classes", "30", "--top", "3", "--json"])
    assert res.exit_code == 0, res.output
    hits = json.loads(res.stdout)["results"]
    assert {h["mark"] for h in hits} >= {"康帅傅", "康师傅食品"} and len(hits) <= 3
    assert all(h["reasons"] for h in hits)
    # A search does not touch the index: new marks wait for the next update, which extends it.
    (tmp_path / "g2.jsonl").write_text(gazette_lines([record("5", "康帥傅", [30])]), encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(tmp_path / "g2.jsonl")]).exit_code == 0
    answer = json.loads(runner.invoke(app, ["search", "康师傅", "--json"]).stdout)
    assert answer["marks_not_indexed"] == 1 and "康帥傅" not in {h["mark"] for h in answer["results"]}
    assert runner.invoke(app, ["index", "build"]).exit_code == 0
    answer = json.loads(runner.invoke(app, ["search", "康师傅", "--json"]).stdout)
    assert answer["marks_not_indexed"] == 0 and "康帥傅" in {h["mark"] for h in answer["results"]}
    manifest = json.loads((tmp_path / "indexes" / "register" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"] == 5 and len(manifest["segments"]) == 2
    # A run uses (and keeps) the watchlist index.
    assert runner.invoke(app, ["run", "--json"]).exit_code == 0
    assert (Path(tmp_path / "indexes" / "watchlist" / "manifest.json")).exists()


def _ensure_in_a_process(url: str, folder: str, start, results) -> None:
    from markwatch.scale.search_store import ensure_register_index
    from markwatch.store.db import Database

    db = Database(url, migrate=False)
    start.wait()
    try:
        index = ensure_register_index(db, build_matcher(), Path(folder))
        results.put(("ok", index.rows))
    except BaseException as exc:  # reported to the test, not lost in the child
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def test_two_processes_updating_the_register_index_at_once(tmp_path):
    import multiprocessing

    from .conftest import make_service
    from .test_pipeline import gazette_lines, record

    svc = make_service(tmp_path)
    (tmp_path / "g.jsonl").write_text(gazette_lines([record(f"{80000000 + i}", f"品牌{i}号", [30])
                                                     for i in range(300)]), encoding="utf-8")
    svc.ingest([tmp_path / "g.jsonl"])
    folder = tmp_path / "indexes" / "register"
    ctx = multiprocessing.get_context("fork")
    for round_ in range(2):  # a build from nothing, then an incremental add
        if round_:
            (tmp_path / "g2.jsonl").write_text(gazette_lines([record(f"{81000000 + i}", f"新品{i}", [30])
                                                              for i in range(50)]), encoding="utf-8")
            svc.ingest([tmp_path / "g2.jsonl"])
        start, results = ctx.Event(), ctx.Queue()
        args = (svc.settings.database_url, str(folder), start, results)
        procs = [ctx.Process(target=_ensure_in_a_process, args=args) for _ in range(2)]
        for p in procs:
            p.start()
        start.set()
        outcomes = [results.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        expected = 300 + 50 * round_
        assert outcomes == [("ok", expected), ("ok", expected)], outcomes
        index = RegisterIndex.open(folder)  # checksums verified: nothing half-written
        assert index.rows == expected
    svc.db.dispose()


def test_a_search_fetches_the_same_rows_as_the_stored_marks(tmp_path):
    from sqlalchemy import select

    from markwatch.scale.search_store import db_fetch, marks_above, row_of
    from markwatch.store.tables import GazetteMark

    from .conftest import DEMO, make_service

    svc = make_service(tmp_path)
    svc.ingest(sorted(DEMO.glob("gazette*")))
    with svc.db.session() as s:
        ids = list(s.scalars(select(GazetteMark.id).order_by(GazetteMark.id)))
        # a mark normalised by an older normaliser: its stored form is not used
        s.get(GazetteMark, ids[3]).normaliser_version = None
    with svc.db.session() as s:
        expected = {m.id: row_of(m) for m in s.scalars(select(GazetteMark))}
    got = {r.id: r for r in db_fetch(svc.db)(ids + [ids[-1] + 100])}
    assert got == expected
    assert got[ids[3]].normal is None and got[ids[4]].normal
    assert any(r.goods and r.classes and r.similar_groups and r.publication_date for r in got.values())
    assert marks_above(svc.db, 0) == len(ids)
    assert marks_above(svc.db, ids[-3]) == 2 and marks_above(svc.db, ids[-1]) == 0
    svc.db.dispose()


def test_key_hashes_are_the_stable_hash_of_each_key():
    from markwatch.scale.index_files import hash_keys, stable_hash

    keys = ["", "abc", "L2康师", "S3kang|shi", "WAHAHA", "c2雪碧"] * 3
    got = hash_keys(iter(keys))
    assert got.dtype == np.uint64 and got.tolist() == [stable_hash(k) for k in keys]
    # the hashes are stored in the index files: the same in every process and release
    assert hash_keys(["", "abc", "L2康师"]).tolist() == [1, 3829257884689826087, 15627893119981782266]
    assert hash_keys([]).dtype == np.uint64 and len(hash_keys([])) == 0
