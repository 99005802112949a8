"""False alerts on a large haystack: the dev-set brands against the demo gazette plus N generated marks.

The generated marks are plausible Chinese marks drawn (seeded) from everyday words of jieba's
dictionary with the shapes marks take (two-character names, name + suffix, name + generic word, Latin),
with no knock-offs planted; every alert on them is a coincidence a clerk would have to wade through.
Prints alerts per brand and a sample of the alerts with their reasons.

    .venv/bin/python scripts/haystack.py --marks 100000 [--pairs ../shared/eval/dev_pairs.jsonl] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from markwatch.blocking.key_index import KeyIndex  # noqa: E402
from markwatch.goods.table import SimilarGoodsTable  # noqa: E402
from markwatch.matching.matcher import Matcher  # noqa: E402
from markwatch.model import Brand  # noqa: E402
from markwatch.service.run import screen  # noqa: E402
from markwatch.text.lexicon import Lexicon  # noqa: E402

SUFFIXES = "坊记堂屋家园轩阁铺居道派集汇舍谷邦匠里"
GENERIC = ("食品", "科技", "服饰", "牌", "酒业", "茶业", "生物", "电子")
LATIN = ("SUNNY", "GOLDEN", "FRESH", "HAPPY", "SMART", "BLOOM", "NOVA", "LUMI", "VERDE", "AURA", "KIRO", "VELA")


def everyday_words(rng: random.Random) -> list[str]:
    import jieba

    path = Path(os.path.dirname(jieba.__file__)) / "dict.txt"
    words = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            word, freq, *_ = line.split()
            if len(word) == 2 and 50 <= int(freq) <= 20000 and all("\u4e00" <= ch <= "\u9fff" for ch in word):
                words.append(word)
    rng.shuffle(words)
    return words


def generate(n: int, seed: int) -> list[tuple[str, tuple[int, ...]]]:
    rng = random.Random(seed)
    words = everyday_words(rng)
    classes = list(range(1, 46))
    out = []
    for _ in range(n):
        r = rng.random()
        w = rng.choice(words)
        if r < 0.45:
            mark = w
        elif r < 0.65:
            mark = w + rng.choice(SUFFIXES)
        elif r < 0.80:
            mark = w + rng.choice(GENERIC)
        elif r < 0.90:
            mark = w + rng.choice(words)[0]
        else:
            mark = rng.choice(LATIN) + " " + w
        out.append((mark, (rng.choice(classes),)))
    return out


def demo_marks() -> list[tuple[str, tuple[int, ...]]]:
    rows = []
    for line in (ROOT / "data" / "demo" / "gazette.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            r = json.loads(line)
            rows.append((r.get("mark") or "", tuple(r.get("classes") or ())))
        except (json.JSONDecodeError, AttributeError):
            continue
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--marks", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pairs", type=Path, default=ROOT.parent / "shared" / "eval" / "dev_pairs.jsonl")
    ap.add_argument("--combination", choices=("rules", "learned"), default="rules",
                    help="how the matcher combines its findings (the combination setting)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    brands: dict[tuple[str, tuple[int, ...]], Brand] = {}
    for line in args.pairs.read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        key = (p["brand"], tuple(p.get("brand_classes") or ()))
        brands.setdefault(key, Brand(brand_id=f"B{len(brands) + 1:03d}", mark=key[0], classes=key[1]))
    brand_list = list(brands.values())

    started = time.perf_counter()
    from markwatch.matching.combination import combination_named

    matcher = Matcher(goods_table=SimilarGoodsTable.load(), lexicon=Lexicon.load(),
                      combination=combination_named(args.combination))
    matcher.normaliser.add_brand_words(b.mark for b in brand_list)
    profiles = [matcher.profile_brand(b) for b in brand_list]
    demo = [m for m in demo_marks() if m[0]]
    haystack = demo + [m for m in generate(args.marks, args.seed) if m[0]]
    marks = [matcher.profile_mark(m, c) for m, c in haystack]
    index = KeyIndex.from_profiles(profiles, lexicon=matcher.lexicon, goods_table=matcher.goods_table,
                                   default_threshold=matcher.default_threshold, score_lift=matcher.score_lift)
    hits, compared = screen(matcher, index, profiles, marks)
    elapsed = time.perf_counter() - started

    generated_hits = [h for h in hits if h.mark_pos >= len(demo)]
    per_brand = Counter(brand_list[h.brand_pos].mark for h in generated_hits)
    report = {
        "brands": len(brand_list),
        "marks": len(marks),
        "pairs_compared": compared,
        "alerts_on_demo_gazette": len(hits) - len(generated_hits),
        "alerts_on_generated_marks": len(generated_hits),
        "false_alerts_per_brand": round(len(generated_hits) / len(brand_list), 3),
        "brands_with_alerts": len(per_brand),
        "top_brands": per_brand.most_common(10),
        "seconds": round(elapsed, 1),
        "sample": [
            {"brand": brand_list[h.brand_pos].mark, "mark": marks[h.mark_pos].text, "score": h.match.score,
             "reasons": [r.detail for r in h.match.reasons][:3]}
            for h in generated_hits[:25]
        ],
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(f"{report['brands']} brands x {report['marks']} marks ({len(demo)} demo gazette, the rest generated): "
          f"{report['alerts_on_demo_gazette']} alerts on the demo gazette (planted knock-offs among them), "
          f"{report['alerts_on_generated_marks']} on generated marks = {report['false_alerts_per_brand']} false "
          f"alerts per brand ({report['brands_with_alerts']} brands with any); {compared} pairs scored, "
          f"{report['seconds']} s")
    for b, n in report["top_brands"]:
        print(f"  {b}: {n}")
    for s in report["sample"]:
        print(f"  {s['brand']} / {s['mark']} {s['score']:.3f}: {'；'.join(s['reasons'])}")


if __name__ == "__main__":
    main()
