"""Execution engines: the local engine (one process or forked workers) and Dask give the same alerts."""

from __future__ import annotations

import builtins
import json
from dataclasses import replace

import pytest
import yaml

from markwatch.blocking.key_index import KeyIndex
from markwatch.composition import build_matcher
from markwatch.errors import ConfigError, MissingExtra
from markwatch.matching.profiles import FastProfiler
from markwatch.scale.engines import LocalEngine, MarkInput, ScreeningContext, make_engine, worker_shares

from .conftest import make_service
from .test_candidates import load_bench


@pytest.fixture(scope="module")
def data():
    return load_bench().generate(1200, 40, seed=21, planted_share=0.25)


def write_inputs(tmp_path, data):
    gazette = tmp_path / "gazette.jsonl"
    with open(gazette, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps({"application_no": f"{r.id:08d}", "mark": r.mark, "classes": list(r.classes),
                                 "goods": list(r.goods), "similar_groups": list(r.similar_groups),
                                 "applicant": r.applicant, "publication_date": "2026-10-20",
                                 "gazette_issue": "2004"}, ensure_ascii=False) + "\n" for r in data.records)
    brands = [{"brand_id": b.brand_id, "mark": b.mark, "aliases": list(b.aliases), "classes": list(b.classes),
               "similar_groups": list(b.similar_groups), "kind": b.kind, "well_known": b.well_known,
               "owner": b.owner} for b in data.brands]
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(yaml.safe_dump({"watchlist": "测试", "organisation": "测试指导站", "brands": brands},
                                        allow_unicode=True), encoding="utf-8")
    return gazette, watchlist


def alert_set(svc) -> set[tuple[str, str, float]]:
    return {(a["brand_id"] if "brand_id" in a else a["brand"], a["application_no"], round(a["score"], 4))
            for a in svc.alerts()}


def run_service(tmp_path, data, engine: str):
    gazette, watchlist = write_inputs(tmp_path, data)
    svc = make_service(tmp_path)
    svc.ingest([gazette])
    svc.import_watchlists([watchlist])
    summary = svc.run(engine=engine)
    return svc, summary


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, data):
    svc, summary = run_service(tmp_path_factory.mktemp("local"), data, "local")
    yield svc, summary
    svc.db.dispose()


def test_dask_engine_gives_the_local_alerts(tmp_path, data, local_run):
    pytest.importorskip("dask.distributed")
    local_svc, local_summary = local_run
    svc, summary = run_service(tmp_path, data, "dask")
    try:
        assert summary.status == "done" and summary.marks_matched == local_summary.marks_matched
        assert summary.alerts_new == local_summary.alerts_new > 0
        assert alert_set(svc) == alert_set(local_svc)
        assert svc.runs(1)[0]["engine"] == "dask"
        # Idempotent: a second dask run finds nothing new.
        assert svc.run(engine="dask").alerts_new == 0
    finally:
        svc.db.dispose()


def test_forked_local_workers_give_the_same_hits(data):
    matcher = build_matcher()
    profiler = FastProfiler(matcher)
    matcher.normaliser.add_brand_words(w for b in data.brands for w in (b.mark, *b.aliases))
    profiles = [profiler.profile_brand(b) for b in data.brands]
    index = KeyIndex.from_profiles(profiles, lexicon=matcher.lexicon, goods_table=matcher.goods_table)
    ctx = ScreeningContext(brands=list(data.brands), profiles=profiles, index=index)
    inputs = [MarkInput.of(r) for r in data.records]
    # copies of marks in other classes: a text's copies go to one worker, which reuses its keys
    inputs += [replace(inp, id=10_000 + inp.id, classes=((inp.classes[0] % 45) + 1,), similar_groups=())
               for inp in inputs[:300]]
    shares = worker_shares(inputs, 2)
    assert sorted(p for share in shares for p in share) == list(range(len(inputs)))
    assert all(len({inputs[p].mark for p in share} & {inputs[p].mark for p in other}) == 0
               for share, other in (shares, shares[::-1]))
    one = LocalEngine(workers=1, partition=400).screen(ctx, inputs, matcher=matcher)
    two = LocalEngine(workers=2, partition=400).screen(ctx, inputs, matcher=matcher)
    def key(res):
        return [(h.mark_pos, h.brand_pos, h.match.score) for h in res.hits]
    assert key(one) == key(two) and one.compared == two.compared  # the same hits, in the same order
    assert one.hits and any(h.mark_pos >= len(data.records) for h in two.hits)


def test_without_dask_the_engine_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "dask" or name.startswith("dask."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(MissingExtra) as info:
        make_engine("dask")
    assert "markwatch[dask]" in str(info.value) and "dask[distributed]" in str(info.value)


def test_run_with_dask_without_dask_fails_clearly(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from markwatch.cli import app

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "dask" or name.startswith("dask."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setenv("MARKWATCH_DATABASE_URL", f"sqlite:///{tmp_path}/m.db")
    monkeypatch.setenv("MARKWATCH_INDEX_DIR", str(tmp_path / "indexes"))
    gazette, watchlist = write_inputs(tmp_path, load_bench().generate(20, 3, seed=2))
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(gazette)]).exit_code == 0
    assert runner.invoke(app, ["watchlist", "import", str(watchlist)]).exit_code == 0
    monkeypatch.setattr(builtins, "__import__", no_dask)
    res = runner.invoke(app, ["run", "--engine", "dask"])
    assert res.exit_code == 2
    assert "markwatch[dask]" in res.output.replace("\n", "")


def test_engine_choice_errors():
    with pytest.raises(ConfigError, match="unknown engine"):
        make_engine("spark")
    with pytest.raises(ConfigError, match="scheduler"):
        make_engine("local", scheduler_address="tcp://127.0.0.1:8786")


def test_stored_normal_texts_are_decoded_where_the_marks_are_screened():
    """A run ships a mark's stored normal form as its JSON text; screening decodes it (each distinct
    text once) into the form a decoded row carries, and the marks cross a pipe intact."""
    import pickle

    from markwatch.scale.engines import stored_normals
    from markwatch.text.normalise import Normaliser

    normal = Normaliser().normalise("康帅傅").as_dict()
    text = json.dumps(normal, ensure_ascii=False)
    inputs = [MarkInput(1, "康帅傅", (30,), normal=text), MarkInput(2, "康帅傅", (29,), normal=text),
              MarkInput(3, "雷碧", (32,), normal=None), MarkInput(4, "康帅傅", (30,), normal=normal)]
    decoded = stored_normals(inputs)
    assert decoded == [normal, normal, None, normal]
    assert decoded[0] is decoded[1]  # one decoding per distinct text
    assert stored_normals(inputs[:1])[0] is decoded[0]  # also across a worker's partitions
    assert pickle.loads(pickle.dumps(inputs)) == inputs
