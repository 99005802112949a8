"""The register's picture index on disk (index_dir/pictures and picture_words): how long a full
rebuild, an open and an add of 100 new marks take, and a search by image against it.

The pictures' features are written to a fresh SQLite database as a read would store them (unit
vectors of the embedding's 1280 dimensions in float16, a third of the marks with a line of words read
by OCR), so the figures are those of the index, not of the models (their speed is in docs/IMAGES.md).

    .venv/bin/python scripts/picture_index_bench.py                    # 10,000 and 30,000 pictures
    .venv/bin/python scripts/picture_index_bench.py --sizes 50000 --json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from markwatch.config import Settings
from markwatch.images.features import EMBED_MODEL, FEATURES_VERSION
from markwatch.scale import picture_index
from markwatch.scale.picture_index import StoredPictureIndex
from markwatch.service.facade import Service
from markwatch.store.tables import GazetteMark, ImageFeatures, utcnow

DIM = 1280
ADD = 100
SYLLABLES = "康师傅帅星河青山绿水金龙鱼娃哈哈雪碧红牛白兔天猫华为小米海尔美的格力长城凤凰熊猫"


def store(svc: Service, rng: np.random.Generator, start: int, n: int) -> None:
    """n figurative and combined marks with pictures read, application numbers from `start`."""
    now = utcnow()
    words_rng = random.Random(start)
    for lo in range(0, n, 2000):
        marks, feats = [], []
        for i in range(start + lo, start + min(n, lo + 2000)):
            key = f"{i:064x}"
            marks.append({"application_no": str(80_000_000 + i), "issue_key": "2004", "mark": "",
                          "classes": [30], "goods": ["方便面"], "similar_groups": [], "mark_type": "combined",
                          "image_ref": f"img/{i}.png", "image_sha256": key, "image_file": f"{key[:2]}/{key}.png",
                          "image_key": key, "gazette_issue": "2004", "procedure": "national", "created_at": now})
            v = rng.normal(size=DIM).astype(np.float32)
            v /= np.linalg.norm(v)
            words = ([["".join(words_rng.sample(SYLLABLES, 3)), 0.97]] if i % 3 == 0 else [])
            feats.append({"key": key, "views": 1, "version": FEATURES_VERSION, "model": EMBED_MODEL, "dim": DIM,
                          "vectors": v.astype(np.float16).tobytes(), "hashes": [f"{i:016x}"], "words": words,
                          "error": None, "created_at": now})
        with svc.db.session() as s:
            s.execute(insert(GazetteMark), marks)
            s.execute(insert(ImageFeatures), feats)


def warm_up(svc: Service, folder: Path) -> None:
    """What a long-lived process (the scheduler, the server) has built once: the matcher and the
    stored-marks profiler with its segmenter's dictionary (about 3 s), not a cost of the index."""
    from markwatch.scale.register_index import RegisterIndex, RegisterRow

    RegisterIndex.build(folder / "warm", [RegisterRow(id=1, mark="康师傅")], matcher=svc.matcher)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench(size: int, tmp: Path, rng: np.random.Generator, queries: int) -> dict:
    folder = tmp / f"n{size}"
    svc = Service(settings=Settings(database_url=f"sqlite:///{folder}.db", index_dir=folder / "indexes",
                                    image_dir=folder / "images"))
    svc.pictures.read_features = False  # only stored features are used: no model is loaded
    store(svc, rng, 0, size)
    warm_up(svc, folder)
    rebuild, report = timed(lambda: svc.update_picture_indexes(force=True))
    pictures = Path(report["path"])
    picture_index.forget_checks()  # as a new process opens it: every checksum read
    opened, index = timed(lambda: StoredPictureIndex.open(pictures))
    store(svc, rng, size, ADD)
    added, after = timed(svc.update_picture_indexes)
    assert after["added"] == ADD and after["marks"] == size + ADD, after
    # a server holding the index takes the update in: the new segment is loaded, not the others
    refreshed, fresh = timed(lambda: StoredPictureIndex.refreshed(pictures, index))
    assert fresh.loaded == size + ADD, fresh.loaded
    # the same in a new process (a `markwatch ingest`): every file's checksum is read again first
    store(svc, rng, size + ADD, ADD)
    picture_index.forget_checks()
    cold, later = timed(svc.update_picture_indexes)
    assert later["added"] == ADD, later
    picture_index.forget_checks()
    reopened, index = timed(lambda: StoredPictureIndex.open(pictures))
    times = []
    for _ in range(queries):
        q = rng.normal(size=(10, DIM)).astype(np.float32)  # a query read in its 10 views
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        t = time.perf_counter()
        index.search(q, k=30, floor=0.0)
        times.append(time.perf_counter() - t)
    disk = sum(p.stat().st_size for p in pictures.iterdir())
    svc.db.dispose()
    return {"pictures": size, "rebuild_s": round(rebuild, 3), "rebuild_pictures_s": report["pictures_seconds"],
            "rebuild_words_s": report["words_seconds"], "open_s": round(opened, 3),
            "add_100_s": round(added, 3), "add_100_pictures_s": after["pictures_seconds"],
            "add_100_new_process_s": round(cold, 3), "add_100_new_process_pictures_s": later["pictures_seconds"],
            "open_after_add_s": round(reopened, 3), "refresh_after_add_s": round(refreshed, 3),
            "words_lines": report["words_rows"], "query_p50_ms": round(1000 * statistics.median(times), 2),
            "disk_mb": round(disk / 2**20, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,30000", help="numbers of stored pictures, comma-separated")
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(2026)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(n) for n in args.sizes.split(",")):
            rows.append(bench(size, Path(tmp), rng, args.queries))
            if not args.json:
                r = rows[-1]
                print(f"{r['pictures']:>7} pictures: rebuild {r['rebuild_s']:.2f} s (pictures "
                      f"{r['rebuild_pictures_s']:.2f} s, {r['words_lines']} lines of words {r['rebuild_words_s']:.2f} s), open {r['open_s']:.2f} s, +{ADD} marks {r['add_100_s']:.2f} s (pictures {r['add_100_pictures_s']:.2f} s; in a new process "
                      f"{r['add_100_new_process_s']:.2f} s, pictures {r['add_100_new_process_pictures_s']:.2f} s), open after "
                      f"{r['open_after_add_s']:.2f} s (a server's refresh {r['refresh_after_add_s']:.2f} s), query (10 views) p50 {r['query_p50_ms']:.1f} ms, "
                      f"{r['disk_mb']} MB on disk")
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
