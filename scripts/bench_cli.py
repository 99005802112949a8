"""The commands a user runs, timed from start to exit (`scripts/bench.py --cli`).

Generates a gazette file and a watchlist (2–4 character dictionary words, one class per mark, a
share of planted knock-offs of the brands), imports the watchlist into a fresh SQLite database and
builds its index (`markwatch index build --watchlist`, what a run does first after a watchlist
change), then runs the real `markwatch ingest FILE.jsonl` and `markwatch run` as child processes
and times each from start to exit, with its CPU time and peak RSS. In the same run: the naive matcher (rapidfuzz
`process.extract` per mark over the brands' raw text and pinyin, cutoff 80) and the exact reference
(every brand scored against a sample of marks), whose flagged pairs must all be among the alerts the
run stored, as must every planted knock-off the exact scorer flags.

    .venv/bin/python scripts/bench.py --cli --marks 50000 --brands 5000
    .venv/bin/python scripts/bench.py --cli --marks 200000 --brands 10000 --baseline off
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI_KINDS = ("generic", "contains", "reorder", "one_changed", "lookalike", "homophone", "pinyin",
             "traditional", "repeated", "subsequence")


@dataclass
class CliData:
    brands: list  # markwatch.model.Brand
    records: list  # bench.Record (id = position + 1)
    planted: list[tuple[int, int, str]]  # (record position, brand position, kind)


def _bench():
    return sys.modules.get("markwatch_bench") or sys.modules["__main__"]


def dictionary_words() -> list[str]:
    """2–4 character words of jieba's dictionary, all Han, common enough to be mark-like."""
    import jieba

    words = []
    with open(Path(jieba.__path__[0]) / "dict.txt", encoding="utf-8") as fh:
        for line in fh:
            w, f, *_ = line.split()
            if 2 <= len(w) <= 4 and int(f) >= 50 and all("\u4e00" <= c <= "\u9fff" for c in w):
                words.append(w)
    return words


def generate(n_marks: int, n_brands: int, *, seed: int = 1, planted_share: float = 0.005) -> CliData:
    from markwatch.model import Brand

    bench = _bench()
    src = bench.sources()
    rng = random.Random(seed)
    words = dictionary_words()
    brand_words = rng.sample(words, n_brands)
    brands = [Brand(brand_id=f"B{n}", mark=w, classes=(rng.randint(1, 45),), owner=f"品牌权利人{n}有限公司")
              for n, w in enumerate(brand_words)]
    records, planted = [], []
    n_planted = int(n_marks * planted_share)
    attempts = 0
    while len(planted) < n_planted and attempts < 50 * max(1, n_planted):
        attempts += 1
        j = rng.randrange(n_brands)
        kind = CLI_KINDS[attempts % len(CLI_KINDS)]
        text = bench.plant(kind, brands[j], rng, src)
        if not text or text == brands[j].mark:
            continue
        records.append(bench.Record(0, text, brands[j].classes))
        planted.append((len(records) - 1, j, kind))
    while len(records) < n_marks:
        records.append(bench.Record(0, rng.choice(words), (rng.randint(1, 45),)))
    order = list(range(len(records)))
    rng.shuffle(order)
    position = {old: new for new, old in enumerate(order)}
    records = [records[i] for i in order]
    for new, r in enumerate(records):
        r.id = new + 1
        r.applicant = f"申请人{rng.randrange(10**6)}有限公司"
    return CliData(brands, records, [(position[i], j, k) for i, j, k in planted])


def write_files(data: CliData, folder: Path) -> tuple[Path, Path]:
    import yaml

    gazette = folder / "gazette.jsonl"
    with gazette.open("w", encoding="utf-8") as fh:
        for r in data.records:
            fh.write(json.dumps({"application_no": f"9{r.id:08d}", "mark": r.mark, "classes": list(r.classes),
                                 "applicant": r.applicant, "publication_date": "2026-10-20",
                                 "gazette_issue": "2004", "mark_type": "word", "office": "CN"},
                                ensure_ascii=False) + "\n")
    watchlist = folder / "watchlist.yaml"
    doc = {"watchlist": "基准监测名单", "organisation": "基准商标品牌指导站", "organisation_kind": "station",
           "brands": [{"brand_id": b.brand_id, "mark": b.mark, "classes": list(b.classes), "owner": b.owner}
                      for b in data.brands]}
    watchlist.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return gazette, watchlist


def timed_command(args: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Run `python -m markwatch ARGS` from start to exit: wall seconds, CPU seconds (user + system: steadier
    than wall time on a shared machine), peak RSS (MB), exit code and output."""
    import threading

    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "markwatch", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    outs: list[bytes] = []
    errs: list[bytes] = []
    readers = [threading.Thread(target=lambda s=stream, sink=sink: sink.append(s.read()))
               for stream, sink in ((proc.stdout, outs), (proc.stderr, errs))]
    for t in readers:
        t.start()
    # wait4: this child's own resource use (RUSAGE_CHILDREN would be the maximum over every child).
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    for t in readers:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": round(seconds, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "rc": proc.returncode,
            "stdout": b"".join(outs).decode("utf-8", "replace"), "stderr": b"".join(errs).decode("utf-8", "replace")}


def stored_alerts(db_path: Path) -> set[tuple[str, str]]:
    """(brand id, application number) of every alert in the database."""
    con = sqlite3.connect(db_path)
    try:
        rows = con.execute("select b.brand_id, g.application_no from alerts a join brands b on b.id = a.brand_pk "
                           "join gazette_marks g on g.id = a.gazette_mark_id").fetchall()
    finally:
        con.close()
    return {(b, a) for b, a in rows}


def run_cli(n_marks: int, n_brands: int, *, seed: int = 1, exact_sample: int | None = None,
            baseline: str = "full", keep: Path | None = None) -> dict:
    from markwatch.blocking.reference import brute_force
    from markwatch.composition import build_matcher

    bench = _bench()
    t = time.perf_counter()
    data = generate(n_marks, n_brands, seed=seed)
    report: dict = {"marks": n_marks, "brands": n_brands, "planted": len(data.planted),
                    "generate_s": round(time.perf_counter() - t, 1)}
    tmp = tempfile.TemporaryDirectory() if keep is None else None
    folder = Path(tmp.name) if tmp else keep
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    gazette, watchlist = write_files(data, folder)
    db = folder / "bench.db"
    env = {**os.environ, "MARKWATCH_DATABASE_URL": f"sqlite:///{db}", "MARKWATCH_INDEX_DIR": str(folder / "indexes"),
           "PYTHONPATH": str(ROOT / "src"), "TOKENIZERS_PARALLELISM": "false"}
    steps = {}
    # The watchlist index is built once per watchlist change (the run would build it when it is
    # missing or stale, and keeps it): timed apart, so both figures are there.
    for name, args in (("watchlist import", ["watchlist", "import", str(watchlist)]),
                       ("index build --watchlist", ["index", "build", "--no-register", "--watchlist", "--no-pictures"]),
                       ("ingest", ["ingest", str(gazette)]),
                       ("run", ["run"])):
        res = timed_command(args, env, folder)
        if res["rc"] != 0:
            raise SystemExit(f"markwatch {' '.join(args)} failed ({res['rc']}):\n{res['stderr'][-3000:]}")
        steps[name] = {k: res[k] for k in ("seconds", "cpu_s", "peak_rss_mb")}
    report["commands"] = steps
    alerts = stored_alerts(db)
    report["alerts"] = len(alerts)
    found = {(int(app[1:]) - 1, int(b[1:])) for b, app in alerts}  # (record position, brand position)

    # ---- the exact reference on a sample, and the planted knock-offs it flags
    matcher = build_matcher()
    matcher.normaliser.add_brand_words(b.mark for b in data.brands)
    brand_profiles = [matcher.profile_brand(b) for b in data.brands]

    def profile(i: int):
        r = data.records[i]
        return matcher.profile_mark(r.mark, r.classes, applicant=r.applicant, ref=r.id)

    planted_flagged = [(i, j) for i, j, _ in data.planted if matcher.compare_profiles(brand_profiles[j], profile(i)).similar]
    report["planted_flagged"] = len(planted_flagged)
    report["planted_found"] = sum(1 for p in planted_flagged if p in found)
    rng = random.Random(seed + 7)
    if exact_sample is None:
        exact_sample = max(1, min(n_marks, 300_000 // max(1, n_brands)))
    planted_positions = sorted({i for i, _, _ in data.planted})
    sample = set(rng.sample(planted_positions, min(len(planted_positions), exact_sample // 2)))
    rest = [i for i in range(n_marks) if i not in sample]
    sample |= set(rng.sample(rest, min(len(rest), exact_sample - len(sample))))
    positions = sorted(sample)
    profiles = {i: profile(i) for i in positions}
    marks = [profiles[i] for i in positions]
    exact = {(positions[k], j) for k, j in brute_force(matcher, brand_profiles, marks)}
    sampled_alerts = {p for p in found if p[0] in sample}
    report["exact_sample_marks"] = len(sample)
    report["exact_flagged"] = len(exact)
    report["exact_missing"] = len(exact - sampled_alerts)
    report["alerts_not_exact"] = len(sampled_alerts - exact)

    # ---- the naive matcher, in this process
    if baseline != "off":
        records = data.records
        scale = 1.0
        if baseline == "auto" and n_marks * n_brands > 500_000_000:
            records = data.records[: max(1000, n_marks // 10)]
            scale = n_marks / len(records)
        cpu = time.process_time()
        secs, _ = bench.naive_baseline(data.brands, records)
        report["naive_s"] = round(secs * scale, 2)
        report["naive_cpu_s"] = round((time.process_time() - cpu) * scale, 2)
        report["naive_measured_on"] = len(records)
        run_s = steps["run"]["seconds"]
        both = run_s + steps["ingest"]["seconds"]
        report["run_vs_naive"] = round(report["naive_s"] / run_s, 1)
        report["ingest_run_vs_naive"] = round(report["naive_s"] / both, 1)
        report["run_with_index_build_vs_naive"] = round(
            report["naive_s"] / (run_s + steps["index build --watchlist"]["seconds"]), 1)
        cpu_run = steps["run"]["cpu_s"]
        report["run_vs_naive_cpu"] = round(report["naive_cpu_s"] / cpu_run, 1)
        report["ingest_run_vs_naive_cpu"] = round(report["naive_cpu_s"] / (cpu_run + steps["ingest"]["cpu_s"]), 1)
    if tmp is not None:
        tmp.cleanup()
    return report


def format_report(r: dict) -> str:
    lines = [f"CLI benchmark: {r['marks']:,} gazette marks × {r['brands']:,} brands, {r['planted']} planted knock-offs",
             "", "| step | seconds | CPU seconds | peak RSS MB |", "|---|---:|---:|---:|"]
    for name, s in r["commands"].items():
        lines.append(f"| markwatch {name} | {s['seconds']:.2f} | {s['cpu_s']:.2f} | {s['peak_rss_mb']:,} |")
    if "naive_s" in r:
        extra = "" if r["naive_measured_on"] == r["marks"] else f" (measured on {r['naive_measured_on']:,} marks)"
        lines.append(f"| naive matcher (process.extract, raw + pinyin, cutoff 80){extra} | {r['naive_s']:.2f} | {r['naive_cpu_s']:.2f} | |")
        lines.append(f"| run vs naive | {r['run_vs_naive']}× | {r['run_vs_naive_cpu']}× | |")
        lines.append(f"| run + watchlist index build vs naive | {r['run_with_index_build_vs_naive']}× | | |")
        lines.append(f"| ingest + run vs naive | {r['ingest_run_vs_naive']}× | {r['ingest_run_vs_naive_cpu']}× | |")
    lines += ["", f"alerts stored: {r['alerts']:,}",
              f"planted knock-offs the exact scorer flags: {r['planted_flagged']}, among the alerts: {r['planted_found']}",
              f"exact reference on {r['exact_sample_marks']} marks × every brand: {r['exact_flagged']} flagged, "
              f"{r['exact_missing']} missing from the alerts, {r['alerts_not_exact']} alerts it does not flag"]
    return "\n".join(lines)
