"""Quality on labelled pairs: precision, recall and F1, by type, with every miss and false alert explained."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from markwatch.errors import FileFormatError
from markwatch.matching.comparisons.meaning import meaning_backend_description
from markwatch.matching.matcher import Matcher
from markwatch.model import Brand

# Negatives whose label turns on facts beyond the two signs (use, market, history): reported apart.
BEYOND_SIGNS = ("fair_use_descriptive", "no_confusion_market", "coexistence", "prior_right_not_established")


def read_pairs(path: Path) -> list[dict]:
    pairs = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FileFormatError(f"{path} line {n}: not JSON ({exc.msg})") from exc
        for key in ("brand", "candidate", "label"):
            if key not in rec:
                raise FileFormatError(f"{path} line {n}: missing field {key!r}")
        if rec["label"] not in ("similar", "not_similar"):
            raise FileFormatError(f"{path} line {n}: label must be similar or not_similar")
        pairs.append(rec)
    return pairs


def prf(tp: int, fp: int, fn: int, digits: int = 4) -> dict[str, float]:
    """Precision, recall and F1 of the counts (an empty side counts as perfect)."""
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, digits), "recall": round(recall, digits), "f1": round(f1, digits)}


def confusion(tp: int, fp: int, fn: int, tn: int, digits: int = 3) -> dict:
    """The four counts with their precision, recall and F1, as the fitting scripts report them."""
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, **prf(tp, fp, fn, digits)}


def grouped_folds(rows: list[dict], k: int, seed: int) -> list[set]:
    """`k` folds of the rows' ids with every brand in one fold only, so that a fold's pairs test the
    figures on brands they were not fitted on; shuffled by `seed`, reproducibly."""
    import random

    brands = sorted({r["brand"] for r in rows})
    random.Random(seed).shuffle(brands)
    fold_of = {b: i % k for i, b in enumerate(brands)}
    folds: list[set] = [set() for _ in range(k)]
    for r in rows:
        folds[fold_of[r["brand"]]].add(r["id"])
    return folds


def _prf(tp: int, fp: int, fn: int) -> dict:
    return {**prf(tp, fp, fn), "tp": tp, "fp": fp, "fn": fn}


def evaluate(matcher: Matcher, pairs: list[dict]) -> dict:
    results = []
    for p in pairs:
        brand = Brand(brand_id=str(p.get("id", "-")), mark=p["brand"], classes=tuple(p.get("brand_classes") or ()),
                      aliases=tuple(p.get("brand_aliases") or ()), kind=p.get("brand_kind") or "enterprise",
                      well_known=bool(p.get("well_known")))
        m = matcher.compare(brand, p["candidate"], candidate_classes=p.get("candidate_classes") or ())
        results.append((p, m))
    headline = [(p, m) for p, m in results if p.get("ground") not in BEYOND_SIGNS]
    beyond = [(p, m) for p, m in results if p.get("ground") in BEYOND_SIGNS]

    def counts(rows):
        tp = sum(1 for p, m in rows if p["label"] == "similar" and m.similar)
        fp = sum(1 for p, m in rows if p["label"] == "not_similar" and m.similar)
        fn = sum(1 for p, m in rows if p["label"] == "similar" and not m.similar)
        tn = sum(1 for p, m in rows if p["label"] == "not_similar" and not m.similar)
        return {**_prf(tp, fp, fn), "tn": tn, "pairs": len(rows)}

    by_type: dict[str, list] = defaultdict(list)
    for p, m in headline:
        by_type[p.get("type") or "other"].append((p, m))

    def explain(p, m):
        return {"id": p.get("id"), "brand": p["brand"], "candidate": p["candidate"], "type": p.get("type"),
                "ground": p.get("ground"), "score": m.score, "mark_score": m.mark_score,
                "goods_score": m.goods_score, "reasons": [r.detail for r in m.reasons]}

    return {
        "headline": counts(headline),
        "all_pairs": counts(results),
        "beyond_signs": {**counts(beyond), "grounds": list(BEYOND_SIGNS),
                         "false_alerts": [explain(p, m) for p, m in beyond if m.similar]},
        "by_type": {t: counts(rows) for t, rows in sorted(by_type.items())},
        "misses": [explain(p, m) for p, m in headline if p["label"] == "similar" and not m.similar],
        "false_alerts": [explain(p, m) for p, m in headline if p["label"] == "not_similar" and m.similar],
        "threshold": matcher.default_threshold,
        "combination": matcher.combination_name,
        "meaning_backend": meaning_backend_description(matcher.embedder),  # type: ignore[arg-type]
    }


def evaluate_file(matcher: Matcher, path: Path) -> dict:
    return evaluate(matcher, read_pairs(path))


def format_report(r: dict) -> str:
    h = r["headline"]
    lines = [
        f"headline ({h['pairs']} pairs; beyond-the-signs negatives left out): precision {h['precision']:.3f}, "
        f"recall {h['recall']:.3f}, F1 {h['f1']:.3f}  (tp {h['tp']}, fp {h['fp']}, fn {h['fn']}, tn {h['tn']})",
        f"beyond the signs ({r['beyond_signs']['pairs']} pairs): false alerts {r['beyond_signs']['fp']}",
        f"meaning channel: {r['meaning_backend']}; combination: {r.get('combination', 'rules')}",
        "by type:",
    ]
    for t, c in r["by_type"].items():
        lines.append(f"  {t:6s} pairs {c['pairs']:3d}  precision {c['precision']:.2f}  recall {c['recall']:.2f}")
    for title, rows in (("misses", r["misses"]), ("false alerts", r["false_alerts"])):
        lines.append(f"{title} ({len(rows)}):")
        for x in rows:
            lines.append(f"  {x['id']} {x['brand']} / {x['candidate']} score {x['score']:.3f}: "
                         + "；".join(x["reasons"][:3]))
    return "\n".join(lines)
