"""Fit the few free figures of the matcher on labelled pairs, and say how well they generalise.

The matcher's rules are hand-written; two of their figures are left to the data: the alert threshold
(rules.DEFAULT_THRESHOLD) and the alignment's minimum coverage (rules.ALIGNMENT["min_coverage"]).
This script scores the training pairs once per coverage value, picks the pair of figures with the
best F1 (ties: the figures closest to the current ones), and reports

- the fit on the training pairs (optimistic),
- the held-out figures on the development pairs, with the figures fitted on the training pairs,
- 5-fold cross-validation grouped by brand (no brand in both the fitted and the held-out folds) on
  the training pairs, and on both files together.

Negatives whose label turns on facts beyond the signs are left out, as `markwatch eval` does.
Reproducible: fixed seed, no randomness beyond the fold assignment.

    PYTHONPATH=src python scripts/fit_rules.py --train ../shared/eval/train_pairs.jsonl \\
        --dev ../shared/eval/dev_pairs.jsonl [--goods-notes FILE] [--json]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from markwatch.matching.evaluation import confusion, grouped_folds

THRESHOLDS = [round(0.50 + 0.02 * k, 2) for k in range(11)]  # 0.50 .. 0.70
COVERAGES = [0.65, 0.7, 0.75, 0.8, 0.85]
SEED = 16
FOLDS = 5


def scored(pairs: list[dict], coverage: float, goods_notes: str | None) -> list[tuple[dict, float, float]]:
    """(pair, score, goods score) for each pair, with the alignment's minimum coverage set."""
    from markwatch.composition import MatcherSpec, build_matcher
    from markwatch.matching import rules
    from markwatch.matching.evaluation import BEYOND_SIGNS
    from markwatch.model import Brand

    saved = rules.ALIGNMENT["min_coverage"]
    rules.ALIGNMENT["min_coverage"] = coverage
    try:
        matcher = build_matcher(MatcherSpec(goods_notes_path=goods_notes))
        out = []
        for p in pairs:
            if p.get("ground") in BEYOND_SIGNS:
                continue
            brand = Brand(brand_id=str(p.get("id", "-")), mark=p["brand"], classes=tuple(p.get("brand_classes") or ()),
                          aliases=tuple(p.get("brand_aliases") or ()), kind=p.get("brand_kind") or "enterprise",
                          well_known=bool(p.get("well_known")))
            m = matcher.compare(brand, p["candidate"], candidate_classes=p.get("candidate_classes") or ())
            out.append((p, m.score, m.goods_score))
        return out
    finally:
        rules.ALIGNMENT["min_coverage"] = saved


def counts(rows, threshold: float) -> dict:
    tp = fp = fn = tn = 0
    for p, score, goods in rows:
        flag = score >= threshold and goods > 0
        pos = p["label"] == "similar"
        tp += flag and pos
        fp += flag and not pos
        fn += (not flag) and pos
        tn += (not flag) and not pos
    return confusion(tp, fp, fn, tn)


OBJECTIVE = "f1"  # or "recall_at_precision": the best recall at precision >= MIN_PRECISION
MIN_PRECISION = 0.9


def _merit(c: dict) -> tuple:
    if OBJECTIVE == "f1":
        return (c["f1"],)
    return (c["recall"] if c["precision"] >= MIN_PRECISION else -1.0, c["precision"])


def fit(table: dict[float, list], ids: set, current: tuple[float, float]) -> tuple[float, float]:
    """The (coverage, threshold) with the best merit on the pairs `ids`; ties: nearest the current figures."""
    best = None
    for cov, rows in table.items():
        rows = [r for r in rows if r[0]["id"] in ids]
        for t in THRESHOLDS:
            key = (*_merit(counts(rows, t)), -abs(cov - current[0]) - abs(t - current[1]))
            if best is None or key > best[0]:
                best = (key, (cov, t))
    return best[1]


def cross_validate(table: dict[float, list], rows: list[dict], current) -> dict:
    total = defaultdict(int)
    chosen = []
    for held in grouped_folds(rows, FOLDS, SEED):
        train_ids = {r["id"] for r in rows} - held
        cov, t = fit(table, train_ids, current)
        chosen.append((cov, t))
        c = counts([x for x in table[cov] if x[0]["id"] in held], t)
        for key in ("tp", "fp", "fn", "tn"):
            total[key] += c[key]
    tp, fp, fn = total["tp"], total["fp"], total["fn"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {**total, "precision": round(precision, 3), "recall": round(recall, 3), "chosen": chosen}


def main() -> None:
    from markwatch.matching import rules
    from markwatch.matching.evaluation import read_pairs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=Path, required=True)
    ap.add_argument("--dev", type=Path, required=True)
    ap.add_argument("--goods-notes", default=None, help="a 区分表 notes file (goods_notes_path)")
    ap.add_argument("--objective", choices=("f1", "recall_at_precision"), default="f1")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    global OBJECTIVE
    OBJECTIVE = args.objective
    train = [{**p, "id": f"train:{p.get('id')}"} for p in read_pairs(args.train)]
    dev = [{**p, "id": f"dev:{p.get('id')}"} for p in read_pairs(args.dev)]
    current = (rules.ALIGNMENT["min_coverage"], rules.DEFAULT_THRESHOLD)
    table = {cov: scored(train + dev, cov, args.goods_notes) for cov in COVERAGES}
    train_ids = {p["id"] for p in train}
    dev_ids = {p["id"] for p in dev}
    cov, t = fit(table, train_ids, current)
    report = {
        "current": {"min_coverage": current[0], "threshold": current[1],
                    "train": counts([x for x in table[current[0]] if x[0]["id"] in train_ids], current[1]),
                    "dev": counts([x for x in table[current[0]] if x[0]["id"] in dev_ids], current[1])},
        "fitted_on_train": {"min_coverage": cov, "threshold": t,
                            "train": counts([x for x in table[cov] if x[0]["id"] in train_ids], t),
                            "dev": counts([x for x in table[cov] if x[0]["id"] in dev_ids], t)},
        "cv5_grouped_train": cross_validate(table, [x[0] for x in table[cov] if x[0]["id"] in train_ids], current),
        "cv5_grouped_train_dev": cross_validate(table, [x[0] for x in table[cov]], current),
        "goods_notes": args.goods_notes,
        "objective": OBJECTIVE,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    for name in ("current", "fitted_on_train"):
        r = report[name]
        print(f"{name}: min_coverage {r['min_coverage']}, threshold {r['threshold']}: "
              f"train P {r['train']['precision']:.3f} R {r['train']['recall']:.3f}; "
              f"dev P {r['dev']['precision']:.3f} R {r['dev']['recall']:.3f}")
    for name in ("cv5_grouped_train", "cv5_grouped_train_dev"):
        r = report[name]
        print(f"{name}: P {r['precision']:.3f} R {r['recall']:.3f} (tp {r['tp']} fp {r['fp']} fn {r['fn']}); "
              f"per-fold figures {r['chosen']}")


if __name__ == "__main__":
    main()
