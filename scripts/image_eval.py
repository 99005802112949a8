#!/usr/bin/env python3
"""Figures of the image channel (图形), on labelled synthetic marks (scripts/image_marks.py).

1. **Labelled pairs** (tests/data/image_pairs.jsonl, written by ``--write-pairs``): copies of brand logos
   under every copy transformation (similar), unrelated logos (not similar), logos that differ only in
   their words (not similar: the embedding cannot tell them apart, the words decide), and combined marks
   whose words are only in the picture, knock-offs of a brand (similar) or unrelated words (not).
   Each pair goes through the product's comparison (`Matcher.compare` with both figures, same class),
   and the script prints precision and recall, by group and by transformation.
2. **Retrieval**: the brand logos (read in views) against a register of DISTRACTORS unrelated pictures
   with planted copies (PLANTED per logo): recall@10 of the planted copies, and the false matches per
   logo (distractors whose cosine reaches the image rule's EMBED_FLOOR, i.e. would score).
3. **Throughput**: ingest of a gazette of figurative marks with images, through `Service.ingest`
   (storing, OCR, hash, embedding), in images per second.

    .venv/bin/python scripts/image_eval.py                          # everything, 10,000 distractors
    .venv/bin/python scripts/image_eval.py --logos 20 --distractors 500 --ingest 20
    .venv/bin/python scripts/image_eval.py --write-pairs tests/data/image_pairs.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "src", ROOT / "scripts"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import image_marks as im  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "image_pairs.jsonl"
# Word knock-offs a combined mark may carry in its picture only (brand, knock-off).
KNOCKOFFS = (("康师傅", "康帅傅"), ("雪碧", "雷碧"), ("娃哈哈", "哇哈哈"), ("周黑鸭", "周黑鸣"), ("六个核桃", "六个核桃王"),
             ("老干妈", "老干爹"), ("红牛", "红午"), ("蒙牛", "蒙午"), ("恒源祥", "恒源翔"), ("旺旺", "旺仔旺"))
UNRELATED_WORDS = ("青山绿水", "金穗丰", "田园牧歌", "海之蓝", "百草园", "星辰大海", "东方明珠", "云上花开", "稻香村口", "水木年华")
COPY_TRANSFORMS = tuple(im.TRANSFORMS) + ("rotate10", "rotate30", "rotate90+invert", "crop20+jpeg")


def transform(img, name: str | None):
    from PIL import Image

    if not name:
        return img
    if name == "rotate10":
        return img.rotate(10, expand=True, fillcolor="white", resample=Image.Resampling.BICUBIC)
    if name == "rotate30":
        return img.rotate(30, expand=True, fillcolor="white", resample=Image.Resampling.BICUBIC)
    if name == "crop20":
        w, h = img.size
        return img.crop((int(w * 0.2), 0, w, int(h * 0.85)))
    for part in name.split("+"):
        img = transform(img, part) if part in ("rotate10", "rotate30", "crop20") else im.TRANSFORMS[part](img)
    return img


def render(spec: dict):
    if spec.get("kind") == "word_picture":
        img = im.word_picture(spec["words"], spec.get("seed", 0))
    else:
        img = im.logo(spec["seed"], spec.get("words"))
    return transform(img, spec.get("transform"))


# ---------------------------------------------------------------- the labelled set
def make_pairs(logos: int = 40, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    pairs: list[dict] = []

    def add(group, brand_mark, brand, cand_mark, cand, cand_type, similar):
        pairs.append({"id": len(pairs) + 1, "group": group, "similar": similar, "brand_mark": brand_mark,
                      "brand": brand, "candidate_mark": cand_mark, "candidate": cand, "candidate_type": cand_type})

    for n in range(logos):
        s = 1000 + n
        name = im.words(random.Random(s), 2)
        t = COPY_TRANSFORMS[n % len(COPY_TRANSFORMS)]
        t2 = COPY_TRANSFORMS[(n * 7 + 3) % len(COPY_TRANSFORMS)]
        for tr in dict.fromkeys((t, t2)):
            add(f"copy:{tr}", name, {"seed": s, "words": None}, "", {"seed": s, "words": None, "transform": tr},
                "figurative", True)
        add("unrelated", name, {"seed": s, "words": None}, "", {"seed": 90000 + n, "words": None}, "figurative", False)
        if n % 2 == 0:
            own, other = im.words(rng, 3), im.words(rng, 3)
            add("words_only", own, {"seed": s, "words": own}, "", {"seed": s, "words": other}, "combined", False)
    for k, (brand, knock) in enumerate(KNOCKOFFS):
        add("words_in_picture", brand, None, "", {"kind": "word_picture", "words": knock, "seed": k}, "combined", True)
        add("words_in_picture_unrelated", brand, None, "",
            {"kind": "word_picture", "words": UNRELATED_WORDS[k], "seed": k}, "combined", False)
    return pairs


def read_pairs(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def figure(reader, spec: dict | None, *, views: bool, words: bool = False):
    from markwatch.matching.comparisons.image import Figure

    if spec is None:
        return None, ()
    picture = reader.read(render(spec), views=views)
    return Figure(picture=picture, image=True, words=bool(picture.words) or words), tuple(picture.words)


def evaluate_pairs(pairs: list[dict], matcher=None) -> dict:
    from markwatch.composition import build_matcher
    from markwatch.images.features import PictureReader
    from markwatch.model import Brand

    matcher = matcher or build_matcher()
    reader = PictureReader()
    by_group: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # tp fp fn tn
    wrong: list[dict] = []
    for pair in pairs:
        bf, _ = figure(reader, pair["brand"], views=True)
        mf, words = figure(reader, pair["candidate"], views=False)
        match = matcher.compare(Brand(brand_id="-", mark=pair["brand_mark"], classes=(30,)), pair["candidate_mark"],
                                candidate_classes=(30,), brand_figure=bf, candidate_figure=mf, candidate_words=words)
        cell = by_group[pair["group"]]
        if match.similar and pair["similar"]:
            cell[0] += 1
        elif match.similar:
            cell[1] += 1
        elif pair["similar"]:
            cell[2] += 1
        else:
            cell[3] += 1
        if match.similar != pair["similar"]:
            wrong.append({"id": pair["id"], "group": pair["group"], "score": match.score,
                          "reasons": [r.detail for r in match.reasons][:3]})
    tp, fp, fn, tn = (sum(c[i] for c in by_group.values()) for i in range(4))
    return {"pairs": len(pairs), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
            "groups": {g: dict(zip(("tp", "fp", "fn", "tn"), c)) for g, c in sorted(by_group.items())},
            "wrong": wrong}


# ---------------------------------------------------------------- retrieval among distractors
def retrieval(logos: int = 40, distractors: int = 10000, planted: int = 5, seed: int = 3) -> dict:
    import numpy as np

    from markwatch.images.features import PictureReader
    from markwatch.images.index import PictureIndex
    from markwatch.matching.comparisons.image import EMBED_FLOOR

    reader = PictureReader()
    started = time.perf_counter()
    brands = [reader.read(im.logo(5000 + n, "" if n % 2 else None), views=True, ocr=False) for n in range(logos)]
    brand_seconds = time.perf_counter() - started
    register = PictureIndex()
    owners: list[tuple[int, str]] = []  # per register row: (the logo it copies or -1, transformation)
    rng = random.Random(seed)
    for n in range(logos):
        for k in range(planted):
            name = COPY_TRANSFORMS[(n * planted + k) % len(COPY_TRANSFORMS)]
            copy = reader.read(transform(im.logo(5000 + n, "" if n % 2 else None), name), ocr=False)
            register.add(len(owners), copy.vectors)
            owners.append((n, name))
    started = time.perf_counter()
    vectors = []
    for d in range(distractors):
        img = im.logo(200000 + d, "" if rng.random() < 0.5 else None)
        f = reader.read(img, ocr=False)
        if f.vectors is not None:
            vectors.append(f.vectors)
            owners.append((-1, ""))
            register.add(len(owners) - 1, f.vectors)
    distractor_seconds = time.perf_counter() - started
    found = 0
    by_transform: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    false_matches = []
    query_seconds = []
    sweep = (0.86, 0.88, 0.90, 0.92, 0.94)
    over: dict[float, list[int]] = {t: [0, 0] for t in sweep}  # false matches, planted copies reaching t
    copy_rows = [row for row, (copy_of, _) in enumerate(owners) if copy_of >= 0]
    copies = register.vectors_of(copy_rows)
    for n, brand in enumerate(brands):
        t0 = time.perf_counter()
        top = register.search(brand.vectors, k=10)
        query_seconds.append(time.perf_counter() - t0)
        hits = {owner for owner, _ in top}
        for row, (copy_of, name) in enumerate(owners):
            if copy_of == n:
                by_transform[name][1] += 1
                if row in hits:
                    by_transform[name][0] += 1
                    found += 1
        dmat = np.concatenate(vectors) if vectors else np.zeros((0, brand.vectors.shape[1]), dtype=np.float32)
        sims = (dmat @ brand.vectors.T).max(axis=1) if len(dmat) else np.zeros(0)
        false_matches.append(int((sims >= EMBED_FLOOR).sum()))
        own = (copies[[k for k, row in enumerate(copy_rows) if owners[row][0] == n]] @ brand.vectors.T).max(axis=1)
        for t in sweep:
            over[t][0] += int((sims >= t).sum())
            over[t][1] += int((own >= t).sum())
    return {"logos": logos, "distractors": len(vectors), "planted_per_logo": planted,
            "recall_at_10": found / (logos * planted),
            "recall_at_10_by_transform": {k: round(v[0] / v[1], 3) for k, v in sorted(by_transform.items())},
            "false_matches_per_logo": sum(false_matches) / logos, "logos_with_a_false_match":
            sum(1 for f in false_matches if f) / logos,
            "by_cosine": {f"{t:.2f}": {"false_matches_per_logo": round(v[0] / logos, 3),
                                       "planted_copies_reaching": round(v[1] / (logos * planted), 3)}
                          for t, v in over.items()},
            "brand_logo_seconds": brand_seconds / logos, "distractor_images_per_second": len(vectors) / distractor_seconds,
            "query_ms_p50": 1000 * sorted(query_seconds)[len(query_seconds) // 2]}


# ---------------------------------------------------------------- ingest throughput
def ingest_throughput(n: int = 100) -> dict:
    from markwatch.config import Settings
    from markwatch.service.facade import Service

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "img").mkdir()
        rows = []
        for k in range(n):
            im.logo(70000 + k, "" if k % 2 else None).save(tmp / "img" / f"{k}.png")
            rows.append({"application_no": str(60000000 + k), "mark": "", "mark_type": "combined" if k % 2 else "figurative",
                         "classes": [30], "goods": ["方便面"], "image": f"img/{k}.png", "publication_date": "2026-10-20"})
        path = tmp / "gazette.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        svc = Service(settings=Settings(database_url=f"sqlite:///{tmp}/db.sqlite", index_dir=tmp / "idx",
                                        export_dir=tmp / "exp", image_dir=tmp / "images"))
        svc.pictures.reader.read(im.logo(1, None))  # the models, loaded before the clock starts
        started = time.perf_counter()
        (summary,) = svc.ingest([path])
        seconds = time.perf_counter() - started
        svc.db.dispose()
    return {"images": summary.images, "read": summary.images_read, "seconds": round(seconds, 2),
            "images_per_second": round(summary.images_read / seconds, 2) if seconds else None}


def format_report(report: dict) -> str:
    lines = []
    if "pairs" in report:
        p = report["pairs"]
        lines.append(f"labelled pairs: {p['pairs']}  precision {p['precision']:.3f}  recall {p['recall']:.3f}  "
                     f"(tp {p['tp']}, fp {p['fp']}, fn {p['fn']}, tn {p['tn']})")
        for g, c in p["groups"].items():
            lines.append(f"  {g:28s} tp {c['tp']:3d}  fp {c['fp']:3d}  fn {c['fn']:3d}  tn {c['tn']:3d}")
        for w in p["wrong"][:12]:
            lines.append(f"  wrong: #{w['id']} {w['group']} score {w['score']:.3f} {'；'.join(w['reasons'])}")
    if "retrieval" in report:
        r = report["retrieval"]
        lines.append(f"retrieval: {r['logos']} logos, {r['distractors']} distractors, {r['planted_per_logo']} planted copies "
                     f"per logo: recall@10 {r['recall_at_10']:.3f}; false matches per logo {r['false_matches_per_logo']:.2f} "
                     f"(logos with one: {r['logos_with_a_false_match']:.2f}); query p50 {r['query_ms_p50']:.1f} ms")
        lines.append("  at cosine: " + "; ".join(f"{t}: {v['false_matches_per_logo']:.2f} false per logo, "
                                                f"{v['planted_copies_reaching']:.3f} of copies" for t, v in r["by_cosine"].items()))
        lines.append("  recall@10 by transformation: " + ", ".join(f"{k} {v:.2f}" for k, v in r["recall_at_10_by_transform"].items()))
        lines.append(f"  reading: a brand logo in views {r['brand_logo_seconds']:.2f} s; register pictures (no OCR) "
                     f"{r['distractor_images_per_second']:.1f}/s")
    if "ingest" in report:
        g = report["ingest"]
        lines.append(f"ingest with images: {g['read']} pictures read (store, OCR, hash, embedding) in {g['seconds']} s: "
                     f"{g['images_per_second']} images/s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=Path, default=PAIRS, help="the labelled pairs (JSONL)")
    ap.add_argument("--write-pairs", type=Path, help="write the labelled pairs there and stop")
    ap.add_argument("--logos", type=int, default=40, help="brand logos of the retrieval figures")
    ap.add_argument("--distractors", type=int, default=10000)
    ap.add_argument("--planted", type=int, default=5, help="planted copies per logo")
    ap.add_argument("--ingest", type=int, default=100, help="marks of the ingest throughput (0: skip)")
    ap.add_argument("--skip", action="append", default=[], choices=("pairs", "retrieval", "ingest"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.write_pairs:
        pairs = make_pairs()
        args.write_pairs.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs), encoding="utf-8")
        print(f"{len(pairs)} pairs written to {args.write_pairs}")
        return 0
    report: dict = {}
    if "pairs" not in args.skip:
        report["pairs"] = evaluate_pairs(read_pairs(args.pairs))
    if "retrieval" not in args.skip:
        report["retrieval"] = retrieval(args.logos, args.distractors, args.planted)
    if "ingest" not in args.skip and args.ingest:
        report["ingest"] = ingest_throughput(args.ingest)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
