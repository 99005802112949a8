#!/usr/bin/env python3
"""Build the per-character look-alike table (形近字表) shipped as data/glyph_neighbours.json.gz.

Offline build only. Needs Pillow (``pip install pillow``), numpy, jieba, pypinyin, opencc and
rapidfuzz from the venv, plus two Debian packages: ``fonts-noto-cjk`` (Noto Sans CJK, SIL OFL 1.1)
and ``unicode-data`` (Unihan, Unicode License). The runtime (markwatch.text.glyphs) only reads the JSON.

Method (details and licences in src/markwatch/data/GLYPHS_PROVENANCE.md):

1. Characters: simplified CJK ideographs that pypinyin knows, ranked by the summed jieba dict.txt
   frequency of the words containing them; the top ``--count`` are kept.
2. Glyph signals. Each character is drawn with Noto Sans CJK SC at 56 px on a 64 px canvas,
   Gaussian-blurred (sigma 2.5), reduced to 32x32 and scaled to unit L2 norm. Images are then
   mean-centred over all characters before taking cosines: raw cosines of random pairs sit around
   0.8 because every glyph is an ink blob in the middle, and centring removes that shared part
   (the unit norm first keeps sparse glyphs such as 一/丨 from all matching each other).
   - ``glyph``: cosine of the whole images;
   - ``halves``: cosines of the left/right/top/bottom halves, each the best over small shifts so a
     shared component (氵 in 治/洽, 鸟 in 鸭/鸡) still lines up when its neighbour is wider or
     narrower; ``component`` = 0.25 * best half + 0.75 * mean of the two halves of the better
     split (LR or TB), so one shared half alone is not enough.
3. Unihan signals: Cangjie-code edit similarity (a shape decomposition), a shared Casey phonetic
   group (a shared component: 利/俐), and the total stroke count used as a complexity gate.
4. raw = max(glyph, gate * component) + 0.15 * cangjie + 0.1 * phonetic, where
   gate = clip((min(strokes_a, strokes_b) - 3) / 4, 0, 1): half-glyph matches mean little for
   3- or 4-stroke characters (the top of 土 "matches" the top of 女), so they only count for
   characters complex enough to have components.
5. Calibration: a logistic map of raw anchored on random pairs, so that a pair as alike as the
   99th percentile of random pairs scores 0.5 and the 99.9th percentile scores 0.9.
6. Each character keeps its ``--neighbours`` best partners (by raw score) whose similarity is at
   least ``--floor``; lists are made symmetric (if b is kept for a, a is listed under b).

Run ``python scripts/build_glyph_table.py --report`` to print the figures for the pairs in
tests/data/glyph_pairs.json.
"""

from __future__ import annotations

import argparse
import bz2
import collections
import datetime as _dt
import gzip
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "markwatch" / "data" / "glyph_neighbours.json.gz"
DEFAULT_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
DEFAULT_FAMILY = "Noto Sans CJK SC"
DEFAULT_UNIHAN = "/usr/share/unicode"
PAIRS_FILE = ROOT / "tests" / "data" / "glyph_pairs.json"
TABLE_VERSION = "glyphs-1"

CANVAS = 64
FONT_PX = 56
SIGMA = 2.5
FEATURE_PX = 32  # the blurred image is reduced to this size: 4x fewer dimensions, same rankings
# Half-image shifts in feature pixels (x2 in canvas pixels). Kept small on purpose: larger shifts
# raise random pairs faster than true look-alikes.
SHIFTS_ALONG = (-2, -1, 0, 1, 2)
SHIFTS_ACROSS = (-1, 0, 1)
# Weights, chosen by a small search that maximised how often the partner of a textbook
# look-alike pair ranks in the top 10/30 ("calibration" pairs in tests/data/glyph_pairs.json;
# the "lookalike" pairs were held out), then checked against the "unrelated" pairs.
W_HALF_BEST = 0.25
W_HALF_PAIR = 0.75
W_CANGJIE = 0.15
W_PHONETIC = 0.10
GATE_STROKES = (3.0, 4.0)  # gate = clip((min strokes - 3) / 4, 0, 1)
# Calibration anchors: random-pair percentile -> similarity.
ANCHOR_MID = (99.0, 0.5)
ANCHOR_HIGH = (99.9, 0.9)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- character selection
def select_characters(count: int) -> list[str]:
    """Top ``count`` simplified ideographs by summed jieba word frequency."""
    import jieba
    import opencc
    from pypinyin.pinyin_dict import pinyin_dict

    t2s = opencc.OpenCC("t2s")
    freq: collections.Counter[str] = collections.Counter()
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2:
                continue
            word, f = parts[0], int(parts[1])
            for ch in set(word):
                freq[ch] += f
    cands = [
        (ch, f)
        for ch, f in freq.items()
        # t2s leaves simplified (and shared) characters unchanged; traditional-only ones go.
        if 0x4E00 <= ord(ch) <= 0x9FFF and ord(ch) in pinyin_dict and t2s.convert(ch) == ch
    ]
    cands.sort(key=lambda x: (-x[1], x[0]))  # ties by code point: deterministic build
    return [ch for ch, _ in cands[:count]]


# ---------------------------------------------------------------- rendering
def load_font(path: str, family: str):
    from PIL import ImageFont

    for index in range(16):
        try:
            font = ImageFont.truetype(path, FONT_PX, index=index)
        except OSError:
            break
        if font.getname()[0] == family:
            return font, index
    raise SystemExit(f"font family {family!r} not found in {path} (apt-get install fonts-noto-cjk)")


def render(chars: list[str], font) -> np.ndarray:
    from PIL import Image, ImageDraw

    out = np.zeros((len(chars), CANVAS, CANVAS), np.uint8)
    for i, ch in enumerate(chars):
        im = Image.new("L", (CANVAS, CANVAS), 0)
        # Anchor "mm" puts every glyph on the same reference point, so position differences count.
        ImageDraw.Draw(im).text((CANVAS / 2, CANVAS / 2), ch, font=font, fill=255, anchor="mm")
        out[i] = np.asarray(im)
    return out


def features(images: np.ndarray) -> np.ndarray:
    """Blur, then reduce to FEATURE_PX (the blur already removed the detail that would alias)."""
    from PIL import Image, ImageFilter

    flt = ImageFilter.GaussianBlur(SIGMA)
    out = np.zeros((len(images), FEATURE_PX, FEATURE_PX), np.float32)
    for i, a in enumerate(images):
        im = Image.fromarray(a).filter(flt).resize((FEATURE_PX, FEATURE_PX), Image.BOX)
        out[i] = np.asarray(im, np.float32) / 255.0
    # Equal energy per glyph before centring: otherwise the centred vector of a sparse glyph
    # (一, 丨, 丶) is mostly "minus the mean" and every sparse glyph looks like every other.
    norms = np.linalg.norm(out.reshape(len(out), -1), axis=1)
    return out / np.maximum(norms, 1e-6)[:, None, None]


def _unit(x: np.ndarray) -> np.ndarray:
    x = x.reshape(len(x), -1).astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)


def glyph_cosine(feat: np.ndarray) -> np.ndarray:
    x = feat.reshape(len(feat), -1)
    u = _unit(x - x.mean(0))
    return u @ u.T


def half_cosines(feat: np.ndarray) -> dict[str, np.ndarray]:
    """Per half: best centred cosine between a's half and b's half over small shifts of b."""
    n, s = len(feat), FEATURE_PX
    h, pad = s // 2, max(map(abs, SHIFTS_ALONG + SHIFTS_ACROSS))
    padded = np.pad(feat, ((0, 0), (pad, pad), (pad, pad)))
    geometry = {  # side: (y0, x0, height, width, axis the split runs along)
        "L": (0, 0, s, h, "x"),
        "R": (0, h, s, h, "x"),
        "T": (0, 0, h, s, "y"),
        "B": (h, 0, h, s, "y"),
    }
    result = {}

    def view(box: tuple[int, int, int, int], dx: int, dy: int) -> np.ndarray:
        y0, x0, hh, ww = box
        return padded[:, pad + y0 + dy : pad + y0 + dy + hh, pad + x0 + dx : pad + x0 + dx + ww].reshape(
            n, -1
        )

    for side, (y0, x0, hh, ww, axis) in geometry.items():
        box = (y0, x0, hh, ww)
        base = view(box, 0, 0)
        mean = base.mean(0)
        a = _unit(base - mean)
        best = np.full((n, n), -1.0, np.float32)
        for along in SHIFTS_ALONG:
            for across in SHIFTS_ACROSS:
                dx, dy = (along, across) if axis == "x" else (across, along)
                np.maximum(best, a @ _unit(view(box, dx, dy) - mean).T, out=best)
        result[side] = np.maximum(best, best.T)
    return result


# ---------------------------------------------------------------- Unihan signals
def load_unihan(unihan_dir: str, chars: list[str]) -> dict[str, dict[str, str]]:
    wanted = {"kCangjie", "kPhonetic", "kTotalStrokes"}
    keep = set(chars)
    data: dict[str, dict[str, str]] = collections.defaultdict(dict)
    for name in ("Unihan_DictionaryLikeData.txt.bz2", "Unihan_IRGSources.txt.bz2"):
        with bz2.open(Path(unihan_dir) / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#") or not line.strip():
                    continue
                cp, key, value = line.rstrip("\n").split("\t", 2)
                if key in wanted:
                    ch = chr(int(cp.removeprefix("U+"), 16))
                    if ch in keep:
                        data[ch][key] = value
    return data


def cangjie_similarity(chars: list[str], unihan) -> np.ndarray:
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    codes = [unihan[c].get("kCangjie", "").split(" ")[0] for c in chars]
    codes = [c if c else f"?{i}" for i, c in enumerate(codes)]  # unknown: matches nothing
    return cdist(codes, codes, scorer=Levenshtein.normalized_similarity, dtype=np.float32, workers=-1)


def phonetic_share(chars: list[str], unihan) -> np.ndarray:
    groups: dict[str, list[int]] = collections.defaultdict(list)
    for i, c in enumerate(chars):
        for g in unihan[c].get("kPhonetic", "").split():
            groups[g.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ*x")].append(i)
    sim = np.zeros((len(chars), len(chars)), np.float32)
    for members in groups.values():
        m = np.array(members)
        sim[np.ix_(m, m)] = 1.0
    np.fill_diagonal(sim, 0)
    return sim


def stroke_counts(chars: list[str], unihan, images: np.ndarray) -> np.ndarray:
    # kTotalStrokes lists the G (simplified) count first. Without it, estimate from ink coverage
    # (fitted by eye on this font: 土 3, 鸡 7, 鸭 10).
    ink = images.reshape(len(images), -1).sum(1) / 255.0 / (CANVAS * CANVAS)
    out = 60.0 * ink - 5.0
    for i, c in enumerate(chars):
        v = unihan.get(c, {}).get("kTotalStrokes") if unihan else None
        if v:
            out[i] = float(v.split()[0])
    return out.astype(np.float32)


# ---------------------------------------------------------------- score and table
def raw_score(chars, images, unihan) -> np.ndarray:
    t = time.time()
    feat = features(images)
    score = glyph_cosine(feat)
    log(f"  whole-glyph cosine {time.time() - t:.1f}s")
    halves = half_cosines(feat)
    best = np.maximum.reduce(list(halves.values()))
    pair = np.maximum((halves["L"] + halves["R"]) / 2, (halves["T"] + halves["B"]) / 2)
    del halves
    component = W_HALF_BEST * best + W_HALF_PAIR * pair
    del best, pair
    strokes = stroke_counts(chars, unihan, images)
    lo, width = GATE_STROKES
    gate = np.clip((np.minimum(strokes[:, None], strokes[None, :]) - lo) / width, 0.0, 1.0)
    np.maximum(score, gate * component, out=score)
    del component, gate
    log(f"  half cosines {time.time() - t:.1f}s")
    if unihan:
        score += W_CANGJIE * cangjie_similarity(chars, unihan)
        score += W_PHONETIC * phonetic_share(chars, unihan)
        log(f"  unihan signals {time.time() - t:.1f}s")
    return np.maximum(score, score.T)


def random_pairs(n: int, k: int = 400_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n, k), rng.integers(0, n, k)
    keep = i != j
    return i[keep], j[keep]


def calibration(score: np.ndarray) -> tuple[float, float]:
    """Logistic centre and scale so the random-pair anchors land where ANCHOR_* say."""
    ri, rj = random_pairs(len(score))
    rnd = score[ri, rj]
    (p_mid, s_mid), (p_high, s_high) = ANCHOR_MID, ANCHOR_HIGH
    x_mid, x_high = np.percentile(rnd, [p_mid, p_high])

    def logit(p: float) -> float:
        return math.log(p / (1 - p))

    scale = (x_high - x_mid) / (logit(s_high) - logit(s_mid))
    centre = x_mid - logit(s_mid) * scale
    return float(centre), float(scale)


def to_similarity(score: np.ndarray, centre: float, scale: float) -> np.ndarray:
    sim = 1.0 / (1.0 + np.exp(-(score - centre) / scale))
    np.fill_diagonal(sim, 1.0)
    return sim.astype(np.float32)


def neighbour_lists(chars, score: np.ndarray, sim: np.ndarray, k: int, floor: float) -> dict[str, list[list]]:
    n = len(chars)
    work = score.copy()
    np.fill_diagonal(work, -np.inf)
    top = np.argpartition(-work, k, axis=1)[:, :k]
    kept: dict[int, set[int]] = collections.defaultdict(set)
    for i in range(n):
        for j in map(int, top[i]):
            if sim[i, j] >= floor:
                kept[i].add(j)
                kept[j].add(i)  # symmetric lists
    out = {}
    for i in range(n):
        if kept[i]:
            order = sorted(kept[i], key=lambda j: (-score[i, j], chars[j]))
            out[chars[i]] = [[chars[j], round(float(sim[i, j]), 3)] for j in order]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--font", default=DEFAULT_FONT)
    ap.add_argument("--family", default=DEFAULT_FAMILY)
    ap.add_argument("--unihan-dir", default=DEFAULT_UNIHAN)
    ap.add_argument("--no-unihan", action="store_true", help="glyph signals only (stroke gate from ink)")
    ap.add_argument("--count", type=int, default=8000)
    ap.add_argument("--neighbours", type=int, default=30)
    ap.add_argument("--floor", type=float, default=0.2, help="minimum similarity kept")
    ap.add_argument("--report", action="store_true", help="print figures for tests/data/glyph_pairs.json")
    ap.add_argument("--dry-run", action="store_true", help="do not write the table")
    args = ap.parse_args(argv)

    t0 = time.time()
    chars = select_characters(args.count)
    log(f"{len(chars)} characters ({time.time() - t0:.1f}s)")
    font, font_index = load_font(args.font, args.family)
    images = render(chars, font)
    log(f"rendered ({time.time() - t0:.1f}s)")
    unihan = None
    if not args.no_unihan:
        if not (Path(args.unihan_dir) / "Unihan_DictionaryLikeData.txt.bz2").exists():
            raise SystemExit(
                f"Unihan not found in {args.unihan_dir}: apt-get install unicode-data, or --no-unihan"
            )
        unihan = load_unihan(args.unihan_dir, chars)
    score = raw_score(chars, images, unihan)
    centre, scale = calibration(score)
    sim = to_similarity(score, centre, scale)
    ri, rj = random_pairs(len(chars), seed=1)  # fresh sample for the reported figures
    pct = {str(p): round(float(np.percentile(sim[ri, rj], p)), 4) for p in (50, 90, 99, 99.9)}
    log(
        f"scored ({time.time() - t0:.1f}s); logistic centre={centre:.4f} scale={scale:.4f}; "
        f"random-pair similarity percentiles {pct}"
    )
    neighbours = neighbour_lists(chars, score, sim, args.neighbours, args.floor)
    build_seconds = round(time.time() - t0, 1)

    table = {
        "version": TABLE_VERSION,
        "provenance": {
            "font": f"{args.family} ({Path(args.font).name}, face index {font_index})",
            "font_licence": "SIL Open Font License 1.1",
            "unihan": None
            if unihan is None
            else "Unicode Unihan database (Debian unicode-data): kCangjie, kPhonetic, kTotalStrokes",
            "unihan_licence": None if unihan is None else "Unicode License (see GLYPHS_PROVENANCE.md)",
            "characters": f"top {len(chars)} simplified ideographs known to pypinyin, ranked by summed "
            "jieba dict.txt word frequency",
            "method": "max(whole-glyph cosine, stroke-gated half-glyph cosine) of unit-norm, mean-centred "
            "blurred glyph images, plus Cangjie edit similarity and shared phonetic group; logistic map "
            "anchored on random-pair percentiles",
            "parameters": {
                "canvas_px": CANVAS,
                "font_px": FONT_PX,
                "blur_sigma_px": SIGMA,
                "feature_px": FEATURE_PX,
                "half_shifts_along_feature_px": list(SHIFTS_ALONG),
                "half_shifts_across_feature_px": list(SHIFTS_ACROSS),
                "weights": {
                    "half_best": W_HALF_BEST,
                    "half_pair": W_HALF_PAIR,
                    "cangjie": W_CANGJIE if unihan else 0.0,
                    "phonetic": W_PHONETIC if unihan else 0.0,
                },
                "stroke_gate": {"min_strokes": GATE_STROKES[0], "ramp": GATE_STROKES[1]},
                "logistic": {
                    "centre": round(centre, 4),
                    "scale": round(scale, 4),
                    "anchors": {f"p{ANCHOR_MID[0]:g}": ANCHOR_MID[1], f"p{ANCHOR_HIGH[0]:g}": ANCHOR_HIGH[1]},
                },
                "neighbours_per_char": args.neighbours,
                "floor": args.floor,
                "symmetric_lists": True,
            },
            "random_pair_percentiles": pct,
            "build_seconds": build_seconds,
            "date": _dt.date.today().isoformat(),
            "rebuild": "python scripts/build_glyph_table.py",
        },
        "neighbours": neighbours,
    }
    if args.report:
        report(chars, score, sim, neighbours)
    if not args.dry_run:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        # mtime=0: no timestamp in the gzip header (the provenance already carries the date).
        with open(out, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(payload)
        entries = sum(len(v) for v in neighbours.values())
        log(
            f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {len(neighbours)} characters, "
            f"{entries} entries) in {build_seconds}s"
        )
    return 0


def report(chars, score, sim, neighbours) -> None:
    idx = {c: i for i, c in enumerate(chars)}
    pairs = json.loads(PAIRS_FILE.read_text(encoding="utf-8"))

    def rank(a: str, b: str) -> int:
        row = score[idx[a]].copy()
        row[idx[a]] = -np.inf
        return int((row > row[idx[b]]).sum()) + 1

    for name in ("lookalike", "unrelated", "calibration"):
        lines, listed_n, total = [], 0, 0
        for a, b in pairs.get(name, []):
            if a not in idx or b not in idx:
                lines.append(f"{a}{b} (not in table)")
                continue
            total += 1
            listed = b in {x for x, _ in neighbours.get(a, [])} and a in {x for x, _ in neighbours.get(b, [])}
            listed_n += listed
            lines.append(
                f"{a}{b} {sim[idx[a], idx[b]]:.3f} rank {rank(a, b)}/{rank(b, a)}{' listed' if listed else ''}"
            )
        print(f"[{name}] {listed_n}/{total} listed both ways")
        for line in lines:
            print("  " + line)


if __name__ == "__main__":
    raise SystemExit(main())
