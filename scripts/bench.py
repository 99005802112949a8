#!/usr/bin/env python3
"""Benchmark of the scale path (性能基准): screening a gazette against watchlists, and clearance search.

Generates (seeded) N gazette marks and M watched brands, with planted variants of every kind the
matcher knows (look-alike characters, homophones, generic words, containment, reordering, one
character changed, repetition, pinyin and Latin forms, traditional characters, translations,
synonyms, geographical-indication place names), then measures:

* screening: time per stage (normalise, index, candidates, scoring), throughput, peak memory,
  candidate pairs, recall of the planted variants the exact scorer flags, recall against the exact
  reference (every pair scored) on a sample of marks, and a naive baseline in the same process
  (rapidfuzz `process.extract` per new mark over the brands' raw text and pinyin);
* clearance search: the register index over the stored marks, latency per query (p50/p95) with the
  index loaded, and top-10 agreement with the exact reference on a sample of queries.

    .venv/bin/python scripts/bench.py --marks 200000 --brands 10000 --queries 200
    .venv/bin/python scripts/bench.py --marks 5000 --brands 300 --json
    .venv/bin/python scripts/bench.py --cli --marks 50000 --brands 5000   # the commands, timed

Everything runs through the library (`markwatch.scale.engines`, `markwatch.blocking`,
`markwatch.scale.register_index`, `markwatch.scale.watch_index`), so the figures are those of the product, not of a copy.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from markwatch.model import Brand

# ================================================================ generated data
# Characters common in Chinese brand names, and descriptive words gazette marks add.
BRAND_CHARS = (
    "金银龙凤华美康乐福喜红绿青白黑星月日光明阳春秋山水云海江河湖雪雷风雨花草树木天地宝盛鑫源泰祥瑞德"
    "和兴旺隆昌富贵佳欣悦雅丽韵香味鲜甜酥脆茶酒米面油盐糖果蜜奶牛羊马鹿虎鹰鹤熊猫狮豹鱼虾蟹鸭鸡鹅"
    "东南西北中正大小新老古今长久永恒诚信仁义礼智道德家国城乡村田园林峰岭石玉珠翠晶钻彩虹霞辉耀"
    "优品尚臻卓越领航飞腾跃达通顺安平宁静清纯真善爱心友伴童趣哈嘻乐淘易购汇聚丰收农牧渔港湾岛"
)
GENERIC_ADDITIONS = ("食品", "牌", "有限公司", "饮料", "科技", "集团", "股份有限公司", "食品有限公司", "品牌")
LATIN_SYLLABLES = ("ka", "lo", "mi", "ra", "te", "su", "no", "vi", "xa", "be", "do", "ri", "ze", "pa", "lu",
                   "an", "el", "or", "is", "on", "ex", "ix", "ton", "lex", "mar", "vel", "tor", "sun", "gen")
GI_PRODUCTS = ("大米", "茶叶", "蜜橘", "苹果", "香米", "白茶", "红茶", "黄酒", "脐橙", "板栗", "葡萄", "大枣")
FAMOUS = ("百事", "雪碧", "红牛", "星巴克", "肯德基", "麦当劳", "可口可乐", "奥利奥", "德芙", "士力架")

KINDS = ("generic", "contains", "reorder", "one_changed", "lookalike", "homophone", "pinyin", "latin",
         "traditional", "translation", "gi", "repeated", "subsequence", "synonym")


@dataclass
class Record:
    """One gazette mark as the screening engines take it."""

    id: int
    mark: str
    classes: tuple[int, ...]
    goods: tuple[str, ...] = ()
    similar_groups: tuple[str, ...] = ()
    applicant: str | None = None


@dataclass
class Synthetic:
    brands: list[Brand]
    records: list[Record]
    planted: list[tuple[int, int, str]]  # (record position, brand position, kind)
    register_extra: list[Record] = field(default_factory=list)


class _Sources:
    """Word lists, goods items, look-alikes and translations the generator draws from (loaded once)."""

    def __init__(self) -> None:
        import jieba
        import yaml

        from markwatch.goods.table import SimilarGoodsTable
        from markwatch.text.lexicon import Lexicon
        from markwatch.text.places import place_names

        words: list[str] = []
        with open(Path(jieba.__path__[0]) / "dict.txt", encoding="utf-8") as fh:
            for line in fh:
                w, f, *_ = line.split()
                if 2 <= len(w) <= 3 and int(f) >= 300 and all("\u4e00" <= c <= "\u9fff" for c in w):
                    words.append(w)
        self.words = words
        self.table = SimilarGoodsTable.load()
        self.lexicon = Lexicon.load()
        self.items: dict[int, list[tuple[str, str]]] = {}
        for cls in self.table.classes:
            items = []
            for g in self.table.groups_of_class(cls):
                items += [(name, g) for _, name in self.table.items_of_group(g)[:6]]
            self.items[cls] = items
        self.places = sorted(p for p in place_names() if len(p) == 2)
        data = ROOT / "src" / "markwatch" / "data"
        self.renderings = yaml.safe_load((data / "brand_translations.yaml").read_text(encoding="utf-8"))["brands"]
        sets = yaml.safe_load((data / "synonyms.yaml").read_text(encoding="utf-8"))["sets"]
        self.synonyms: dict[str, list[str]] = {}
        for group in sets:
            singles = [w for w in group if len(w) == 1]
            for w in singles:
                self.synonyms[w] = [x for x in singles if x != w]
        # Words with a short plain English gloss, for translation variants.
        self.glossed: list[tuple[str, str]] = []
        for w in words[:8000]:
            gl = self.lexicon.word_glosses(w, names=False)
            if gl and gl[0].replace(" ", "").isalpha() and 4 <= len(gl[0]) <= 12:
                self.glossed.append((w, gl[0]))
        from pypinyin import Style, lazy_pinyin

        by_sound: dict[str, list[str]] = {}
        for ch in dict.fromkeys(BRAND_CHARS + "".join(words[:3000])):
            by_sound.setdefault(lazy_pinyin(ch, style=Style.NORMAL)[0], []).append(ch)
        self.by_sound = by_sound
        self._pinyin = lambda s: lazy_pinyin(s, style=Style.NORMAL)
        from opencc import OpenCC

        self._s2t = OpenCC("s2t").convert

    def pinyin(self, text: str) -> list[str]:
        return self._pinyin(text)

    def lookalike(self, ch: str, rng: random.Random) -> str | None:
        from markwatch.errors import MarkwatchError
        from markwatch.text.glyphs import lookalikes
        from markwatch.matching.rules import LOOK

        try:
            options = [o for o, s in lookalikes(ch, LOOK["lookalike_floor"]) if s >= LOOK["lookalike_floor"]]
        except (MarkwatchError, ValueError):  # no glyph table, or not a single character
            return None
        return rng.choice(options) if options else None


_SOURCES: _Sources | None = None


def sources() -> _Sources:
    global _SOURCES
    if _SOURCES is None:
        _SOURCES = _Sources()
    return _SOURCES


def _latin_word(rng: random.Random) -> str:
    return "".join(rng.choice(LATIN_SYLLABLES) for _ in range(rng.randint(2, 4))).upper()


def _chinese_name(rng: random.Random, src: _Sources) -> str:
    r = rng.random()
    if r < 0.4:
        return rng.choice(src.words) + (rng.choice(BRAND_CHARS) if rng.random() < 0.25 else "")
    if r < 0.85:
        return "".join(rng.choice(BRAND_CHARS) for _ in range(rng.choice((2, 2, 3, 3, 3, 4))))
    return rng.choice(src.words) + rng.choice(src.words)


def _classes(rng: random.Random) -> tuple[int, ...]:
    popular = (30, 32, 29, 33, 25, 35, 9, 3, 5, 43, 41, 31, 20, 21, 11, 16, 18, 28, 44, 42)
    first = rng.choice(popular) if rng.random() < 0.7 else rng.randint(1, 45)
    if rng.random() < 0.25:
        second = rng.randint(1, 45)
        return tuple(sorted({first, second}))
    return (first,)


def _goods(rng: random.Random, src: _Sources, classes: tuple[int, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    goods, groups = [], []
    for c in classes:
        items = src.items.get(c)
        if items:
            name, g = rng.choice(items)
            goods.append(name)
            groups.append(g)
    return tuple(goods), tuple(groups)


def _ordinary(rng: random.Random, src: _Sources) -> str:
    r = rng.random()
    if r < 0.72:
        text = _chinese_name(rng, src)
    elif r < 0.80:
        zh = _chinese_name(rng, src)
        latin = "".join(src.pinyin(zh)).upper() if rng.random() < 0.5 else _latin_word(rng)
        text = f"{zh} {latin}"
    elif r < 0.88:
        text = _latin_word(rng) if rng.random() < 0.85 else "".join(
            rng.choice("ABCDEFGHJKLMNPRSTWXYZ") for _ in range(rng.randint(2, 3)))
    else:
        text = _chinese_name(rng, src) + rng.choice(GENERIC_ADDITIONS)
    return text


def _brand(rng: random.Random, src: _Sources, n: int, used: set[str]) -> Brand:
    while True:
        r = rng.random()
        aliases: tuple[str, ...] = ()
        kind = "enterprise"
        if r < 0.55:
            mark = _chinese_name(rng, src)
        elif r < 0.68:
            mark = _chinese_name(rng, src)
            aliases = ("".join(src.pinyin(mark)).upper(),) if rng.random() < 0.6 else (_latin_word(rng),)
        elif r < 0.78:
            mark = _latin_word(rng) if rng.random() < 0.8 else "".join(
                rng.choice("ABCDEFGHJKLMNPRSTWXYZ") for _ in range(3))
        elif r < 0.86 and src.glossed:
            mark = rng.choice(src.glossed)[0]
        elif r < 0.89:
            zh = rng.choice(list(src.renderings))
            mark = zh if rng.random() < 0.5 else src.renderings[zh][0]
        elif r < 0.93:
            mark = rng.choice(src.places) + rng.choice(GI_PRODUCTS)
            kind = "geographical_indication"
        elif r < 0.96:
            mark = rng.choice(BRAND_CHARS)
        else:
            mark = rng.choice(src.words) + rng.choice(src.words) + rng.choice(BRAND_CHARS)
        if mark not in used:
            used.add(mark)
            break
    classes = _classes(rng)
    _, groups = _goods(rng, src, classes)
    return Brand(brand_id=f"B{n}", mark=mark, classes=classes, aliases=aliases,
                 similar_groups=groups if rng.random() < 0.5 else (), kind=kind,
                 well_known=rng.random() < 0.02, owner=f"品牌权利人{n}有限公司")


def _han(text: str) -> str:
    return "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")


def plant(kind: str, brand: Brand, rng: random.Random, src: _Sources) -> str | None:
    """A knock-off of `brand` of the given kind, or None when the kind does not apply to it."""
    zh = _han(brand.mark)
    latin = next((a for a in (brand.mark, *brand.aliases) if a.isascii() and a.strip()), None)
    if kind == "generic" and zh:
        return zh + rng.choice(GENERIC_ADDITIONS)
    if kind == "contains" and len(zh) >= 2:
        extra = rng.choice(BRAND_CHARS)
        return extra + zh if rng.random() < 0.5 else zh + extra
    if kind == "reorder" and 2 <= len(zh) <= 4 and len(set(zh)) == len(zh):
        chars = list(zh)
        while "".join(chars) == zh:
            rng.shuffle(chars)
        return "".join(chars)
    if kind == "one_changed" and len(zh) >= 3:
        i = rng.randrange(1, len(zh))
        return zh[:i] + rng.choice([c for c in BRAND_CHARS if c != zh[i]]) + zh[i + 1:]
    if kind == "lookalike" and zh:
        for i in rng.sample(range(len(zh)), len(zh)):
            other = src.lookalike(zh[i], rng)
            if other:
                return zh[:i] + other + zh[i + 1:]
        return None
    if kind == "homophone" and len(zh) >= 2:
        for i in rng.sample(range(1, len(zh)), len(zh) - 1):
            py = src.pinyin(zh[i])[0]
            options = [c for c in src.by_sound.get(py, []) if c != zh[i]]
            if options:
                return zh[:i] + rng.choice(options) + zh[i + 1:]
        return None
    if kind == "pinyin" and zh:
        return "".join(src.pinyin(zh)).upper()
    if kind == "latin" and latin:
        word = latin.replace(" ", "")
        if len(word) >= 5:
            i = rng.randrange(1, len(word))
            return word[:i] + rng.choice("AEIOU".replace(word[i], "") or "X") + word[i + 1:]
        return word + rng.choice(BRAND_CHARS) if zh == "" else f"{zh}{word}"
    if kind == "traditional" and zh:
        trad = src._s2t(zh)
        return trad if trad != zh else None
    if kind == "translation":
        lex = src.lexicon
        if zh:
            glosses = lex.word_glosses(zh)
            if glosses and glosses[0].replace(" ", "").replace("-", "").isalpha():
                return glosses[0].upper()
            return None
        if latin:
            heads = sorted(lex.chinese_for(latin))
            return heads[0] if heads else None
        return None
    if kind == "gi" and brand.kind == "geographical_indication" and len(zh) >= 4:
        return zh[:2] + rng.choice([p for p in GI_PRODUCTS if p != zh[2:]])
    if kind == "repeated" and 2 <= len(zh) <= 3:
        return zh[0] + zh if rng.random() < 0.5 else zh + zh[-1]
    if kind == "subsequence" and len(zh) >= 3:
        i = rng.randrange(1, len(zh))
        return zh[:i] + rng.choice(BRAND_CHARS) + zh[i:]
    if kind == "synonym" and zh:
        for i in range(len(zh)):
            if zh[i] in src.synonyms and src.synonyms[zh[i]]:
                return zh[:i] + rng.choice(src.synonyms[zh[i]]) + zh[i + 1:]
        return None
    return None


def generate(n_marks: int, n_brands: int, *, seed: int = 1, planted_share: float = 0.05,
             register_extra: int = 0) -> Synthetic:
    """Seeded synthetic gazette and watchlist with planted variants (recorded with their kind)."""
    src = sources()
    rng = random.Random(seed)
    used: set[str] = set()
    brands = [_brand(rng, src, n, used) for n in range(n_brands)]
    n_planted = int(n_marks * planted_share)
    records: list[Record] = []
    planted: list[tuple[int, int, str]] = []
    kinds = list(KINDS)
    k = 0
    attempts = 0
    while len(planted) < n_planted and attempts < n_planted * 20:
        attempts += 1
        j = rng.randrange(n_brands)
        kind = kinds[k % len(kinds)]
        text = plant(kind, brands[j], rng, src)
        if not text:
            if attempts % 7 == 0:
                k += 1
            continue
        k += 1
        b = brands[j]
        classes = (rng.choice(b.classes),) if b.classes else _classes(rng)
        goods, groups = _goods(rng, src, classes)
        records.append(Record(0, text, classes, goods, groups if rng.random() < 0.3 else (),
                              applicant=f"申请人{rng.randrange(10**6)}有限公司"))
        planted.append((len(records) - 1, j, kind))
    while len(records) < n_marks:
        classes = _classes(rng)
        goods, groups = _goods(rng, src, classes)
        records.append(Record(0, _ordinary(rng, src), classes, goods, groups if rng.random() < 0.3 else (),
                              applicant=f"申请人{rng.randrange(10**6)}有限公司"))
    order = list(range(len(records)))
    rng.shuffle(order)
    position = {old: new for new, old in enumerate(order)}
    shuffled = [records[i] for i in order]
    for new, r in enumerate(shuffled):
        r.id = new + 1
    planted = [(position[i], j, kind) for i, j, kind in planted]
    extra = []
    for n in range(register_extra):
        classes = _classes(rng)
        goods, groups = _goods(rng, src, classes)
        extra.append(Record(len(shuffled) + n + 1, _ordinary(rng, src), classes, goods, groups))
    return Synthetic(brands=brands, records=shuffled, planted=planted, register_extra=extra)


# ================================================================ measuring
class Stopwatch:
    def __init__(self) -> None:
        self.stages: dict[str, float] = {}

    def run(self, name: str, fn, *args, **kwargs):
        t = time.perf_counter()
        out = fn(*args, **kwargs)
        self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - t
        return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive_baseline(brands: list[Brand], records: list[Record], *, cutoff: float = 80.0,
                   limit: int = 5) -> tuple[float, set[tuple[int, int]]]:
    """rapidfuzz `process.extract` per new mark over the brands' raw text and pinyin."""
    from pypinyin import Style, lazy_pinyin
    from rapidfuzz import fuzz, process

    started = time.perf_counter()
    brand_text = [b.mark for b in brands]
    brand_py = ["".join(lazy_pinyin(b.mark, style=Style.NORMAL)) for b in brands]
    found: set[tuple[int, int]] = set()
    for i, r in enumerate(records):
        py = "".join(lazy_pinyin(r.mark, style=Style.NORMAL))
        for _, score, j in process.extract(r.mark, brand_text, scorer=fuzz.ratio, limit=limit, score_cutoff=cutoff):
            found.add((i, j))
        for _, score, j in process.extract(py, brand_py, scorer=fuzz.ratio, limit=limit, score_cutoff=cutoff):
            found.add((i, j))
    return time.perf_counter() - started, found


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


COMBINATION: str | None = None  # --combination: how the matcher combines its findings (None: the default)


def matcher_spec():
    from markwatch.composition import MatcherSpec

    return MatcherSpec() if COMBINATION is None else MatcherSpec(combination=COMBINATION)


def run_screening(data: Synthetic, *, workers: int = 1, exact_sample: int | None = None,
                  baseline: str = "auto", seed: int = 1, trace_memory: bool = False) -> dict:
    import tempfile

    from markwatch.blocking.key_index import CandidateStats
    from markwatch.composition import build_matcher
    from markwatch.scale.engines import MarkInput, ScreeningContext, score_pairs
    from markwatch.scale.watch_index import WatchIndexStore, build_watch_index, ensure_watch_index
    from markwatch.matching.profiles import FastProfiler

    rng = random.Random(seed + 7)
    watch = Stopwatch()
    if trace_memory:
        tracemalloc.start()
    matcher = watch.run("setup", lambda: build_matcher(matcher_spec()))
    profiler = FastProfiler(matcher)
    # The watchlist index is built once (when brands change) and kept on disk; a run loads it.
    index, brand_profiles = watch.run("index build (once per watchlist change)", build_watch_index,
                                      data.brands, matcher, profiler)
    tmp = tempfile.TemporaryDirectory()
    WatchIndexStore(Path(tmp.name) / "watchlist").save(index, data.brands, brand_profiles)
    index, brand_profiles = watch.run("index load", ensure_watch_index, Path(tmp.name) / "watchlist",
                                      data.brands, matcher)
    tmp.cleanup()
    stats = CandidateStats()
    if workers > 1:
        from markwatch.scale.engines import LocalEngine

        ctx = ScreeningContext(brands=list(data.brands), profiles=brand_profiles, index=index)
        engine = LocalEngine(workers=workers)
        inputs = [MarkInput.of(r) for r in data.records]
        t = time.perf_counter()
        result = engine.screen(ctx, inputs, matcher=matcher)
        watch.stages[f"normalise+candidates+scoring ({workers} workers)"] = time.perf_counter() - t
        found = {(r.mark_pos, r.brand_pos) for r in result.hits}
        stats = result.stats
        compared = result.compared
        marks = None
    else:
        gc.disable()  # as engines.screen_partition does
        marks = watch.run("normalise", lambda: [
            profiler.profile_mark(r.mark, r.classes, goods=r.goods, similar_groups=r.similar_groups,
                                  applicant=r.applicant, ref=r.id) for r in data.records])
        pairs, meaning = watch.run("candidates", index.candidate_pairs_with_meaning, marks, stats=stats)
        hits = watch.run("scoring", score_pairs, matcher, brand_profiles, marks, pairs, meaning)
        gc.enable()
        found = {(h.mark_pos, h.brand_pos) for h in hits}
        compared = len(pairs)
    mem_traced = None
    if trace_memory:
        mem_traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    screen_seconds = sum(v for k, v in watch.stages.items() if k not in ("setup", "index build (once per watchlist change)"))
    with_build = screen_seconds + watch.stages["index build (once per watchlist change)"]

    # ---- quality: planted variants and the exact reference on a sample
    if marks is None:
        marks = [profiler.profile_mark(r.mark, r.classes, goods=r.goods, similar_groups=r.similar_groups,
                                       applicant=r.applicant, ref=r.id) for r in data.records]
    planted_flagged = [(i, j) for i, j, _ in data.planted
                       if matcher.compare_profiles(brand_profiles[j], marks[i]).similar]
    planted_found = sum(1 for p in planted_flagged if p in found)
    per_kind: dict[str, list[int]] = {}
    flagged_set = set(planted_flagged)
    for i, j, kind in data.planted:
        row = per_kind.setdefault(kind, [0, 0, 0])
        row[0] += 1
        if (i, j) in flagged_set:
            row[1] += 1
            row[2] += int((i, j) in found)
    n = len(data.records)
    if exact_sample is None:
        budget_pairs = 400_000
        exact_sample = max(1, min(n, budget_pairs // max(1, len(data.brands))))
    planted_positions = sorted({i for i, _, _ in data.planted})
    half = min(len(planted_positions), exact_sample // 2)
    sample = set(rng.sample(planted_positions, half)) if half else set()
    rest = [i for i in range(n) if i not in sample]
    sample |= set(rng.sample(rest, min(len(rest), exact_sample - len(sample))))
    t = time.perf_counter()
    from markwatch.blocking.reference import brute_force

    exact = brute_force(matcher, brand_profiles, marks, mark_positions=sorted(sample))
    exact_seconds = time.perf_counter() - t
    exact_found = sum(1 for p in exact if p in found)

    # ---- naive baseline (same process)
    base: dict = {}
    if baseline != "off":
        limit_records = data.records
        scale = 1.0
        if baseline == "auto" and n * len(data.brands) > 2_000_000_000 // 4:
            k = max(1000, n // 10)
            limit_records = data.records[:k]
            scale = n / k
        secs, base_found = naive_baseline(data.brands, limit_records)
        base_recall = None
        if scale == 1.0:
            base_recall = sum(1 for p in planted_flagged if p in base_found) / max(1, len(planted_flagged))
        base = {"seconds": round(secs * scale, 2), "measured_on_marks": len(limit_records),
                "extrapolated": scale != 1.0, "planted_recall": base_recall}
    return {
        "marks": n, "brands": len(data.brands), "workers": workers,
        "stages_s": {k: round(v, 3) for k, v in watch.stages.items()},
        "screen_s": round(screen_seconds, 2), "screen_with_index_build_s": round(with_build, 2),
        "throughput_marks_per_s": round(n / screen_seconds) if screen_seconds else None,
        "candidate_pairs": compared, "candidate_stats": stats.as_dict(),
        "alerts": len(found),
        "candidates_per_alert": round(compared / max(1, len(found)), 2),
        "planted": len(data.planted), "planted_flagged": len(planted_flagged),
        "planted_recall": round(planted_found / max(1, len(planted_flagged)), 4),
        "planted_by_kind": {k: {"planted": v[0], "flagged": v[1], "found": v[2]} for k, v in sorted(per_kind.items())},
        "exact_sample_marks": len(sample), "exact_pairs": len(sample) * len(data.brands),
        "exact_flagged": len(exact), "exact_recall": round(exact_found / max(1, len(exact)), 4) if exact else None,
        "exact_seconds": round(exact_seconds, 1),
        "peak_rss_mb": round(peak_rss_mb()), "traced_peak_mb": round(mem_traced) if mem_traced else None,
        "baseline": base,
        "speedup_vs_baseline": round(base["seconds"] / screen_seconds, 1) if base and screen_seconds else None,
        "speedup_with_index_build": round(base["seconds"] / with_build, 1) if base and with_build else None,
    }


def _build_register(folder: Path, rows: list) -> None:
    from markwatch.composition import build_matcher
    from markwatch.scale.register_index import RegisterIndex

    RegisterIndex.build(folder, rows, matcher=build_matcher())


def _in_child(fn, *args) -> None:
    """Run `fn(*args)` in a forked process (in this one where fork is not available)."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        fn(*args)
        return
    child = multiprocessing.get_context("fork").Process(target=fn, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"building the register index failed (exit code {child.exitcode})")


def run_search(data: Synthetic, *, queries: int = 100, exact_queries: int = 20, seed: int = 1,
               top: int = 10, index_dir: Path | None = None) -> dict:
    """Clearance search over every generated mark (gazette + register extra)."""
    import tempfile

    from markwatch.composition import build_matcher
    from markwatch.scale.register_index import RegisterIndex, RegisterRow
    from markwatch.scale.search import RegisterSearcher, exact_search

    rng = random.Random(seed + 11)
    matcher = build_matcher(matcher_spec())
    rows = [RegisterRow(id=r.id, mark=r.mark, classes=r.classes, goods=r.goods, similar_groups=r.similar_groups,
                        applicant=r.applicant, application_no=f"{r.id:08d}") for r in data.records + data.register_extra]
    tmp = None
    if index_dir is None:
        tmp = tempfile.TemporaryDirectory()
        index_dir = Path(tmp.name)
    gc.collect()
    rss0 = peak_rss_mb()
    t = time.perf_counter()
    # Built by another process, as `markwatch index build` does before a server opens the index: the
    # measuring process holds what a server holds, not the leftovers of building a million profiles.
    _in_child(_build_register, index_dir / "register", rows)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    index = RegisterIndex.open(index_dir / "register")
    by_id = {r.id: r for r in rows}
    searcher = RegisterSearcher(index, matcher, fetch=lambda ids: [by_id[i] for i in ids if i in by_id])
    searcher.warm_up()
    load_s = time.perf_counter() - t
    # The generated rows stand in for the database and live as long as the run: out of the cyclic
    # collector's walks, as a server keeps its long-lived tables (`search_store.search_register`).
    gc.collect()
    gc.freeze()
    pool = [b.mark for b in data.brands]
    qs = [rng.choice(pool) for _ in range(queries)]
    # Warm up the per-process caches (lexicon, jieba, glyph table) outside the timings, on other queries.
    for q in rng.sample(pool, min(5, len(pool))):
        searcher.search(q, top=top)
    searcher.candidate_counts.clear()
    searcher.scored_counts.clear()
    latencies, results = [], []
    for q in qs:
        t = time.perf_counter()
        results.append(searcher.search(q, top=top))
        latencies.append((time.perf_counter() - t) * 1000)
    equal = 0
    t = time.perf_counter()
    n_exact = min(exact_queries, len(qs))
    for q, got in zip(qs[:n_exact], results[:n_exact]):
        ref = exact_search(matcher, rows, q, top=top)
        equal += int([r["id"] for r in got] == [r["id"] for r in ref])
    exact_s = time.perf_counter() - t
    out = {
        "register_marks": len(rows), "build_s": round(build_s, 1), "load_s": round(load_s, 2),
        "queries": len(qs), "p50_ms": round(_percentile(latencies, 0.5), 2),
        "p95_ms": round(_percentile(latencies, 0.95), 2), "max_ms": round(max(latencies), 2),
        "mean_candidates": round(sum(searcher.candidate_counts) / max(1, len(searcher.candidate_counts)), 1),
        "mean_scored": round(sum(searcher.scored_counts[-len(qs):]) / max(1, len(qs)), 1),
        "exact_queries": n_exact, "top10_equal": round(equal / max(1, n_exact), 4),
        "exact_seconds": round(exact_s, 1), "index_disk_mb": round(index.disk_bytes() / 2**20, 1),
        "index_memory_mb": round(index.memory_bytes() / 2**20, 1),
        "rss_growth_mb": round(peak_rss_mb() - rss0),
    }
    gc.unfreeze()
    if tmp is not None:
        tmp.cleanup()
    return out


def format_table(report: dict) -> str:
    lines = []
    s = report.get("screening")
    if s:
        lines.append(f"screening {s['marks']:,} marks x {s['brands']:,} brands (workers={s['workers']})")
        for k, v in s["stages_s"].items():
            lines.append(f"  {k:<34}{v:>10.2f} s")
        lines.append(f"  {'total (index loaded)':<34}{s['screen_s']:>10.2f} s")
        lines.append(f"  {'total (index built in the run)':<34}{s['screen_with_index_build_s']:>10.2f} s")
        lines.append(f"  {'throughput':<34}{s['throughput_marks_per_s']:>10,} marks/s")
        lines.append(f"  {'candidate pairs':<34}{s['candidate_pairs']:>10,}  ({s['candidates_per_alert']} per alert)")
        cs = s["candidate_stats"]
        lines.append(f"  {'  keyed / checked out / goods out':<34}{cs['keyed_pairs']:>10,} / {cs['checked_out']:,}"
                     f" / {cs['goods_out']:,}")
        lines.append(f"  {'alerts':<34}{s['alerts']:>10,}")
        lines.append(f"  {'planted recall':<34}{s['planted_recall']:>10.4f}  "
                     f"({s['planted_flagged']:,} of {s['planted']:,} planted are flagged by the exact scorer)")
        for kind, v in s["planted_by_kind"].items():
            lines.append(f"      {kind:<14} planted {v['planted']:>6}  flagged {v['flagged']:>6}  found {v['found']:>6}")
        er = s["exact_recall"]
        lines.append(f"  {'recall vs exact (sample)':<34}{(er if er is not None else float('nan')):>10.4f}  "
                     f"({s['exact_flagged']} flagged in {s['exact_pairs']:,} pairs, {s['exact_seconds']} s)")
        lines.append(f"  {'peak RSS':<34}{s['peak_rss_mb']:>10,} MB")
        if s.get("traced_peak_mb"):
            lines.append(f"  {'peak traced (tracemalloc)':<34}{s['traced_peak_mb']:>10,} MB")
        b = s.get("baseline")
        if b:
            ext = f" (extrapolated from {b['measured_on_marks']:,} marks)" if b["extrapolated"] else ""
            lines.append(f"  {'naive baseline':<34}{b['seconds']:>10.2f} s{ext}")
            if b.get("planted_recall") is not None:
                lines.append(f"  {'  baseline planted recall':<34}{b['planted_recall']:>10.4f}")
            lines.append(f"  {'speed-up vs baseline':<34}{s['speedup_vs_baseline']:>10.1f} x  "
                         f"({s['speedup_with_index_build']} x with the index build)")
    q = report.get("search")
    if q:
        lines.append(f"clearance search over {q['register_marks']:,} stored marks")
        lines.append(f"  {'index build / load':<34}{q['build_s']:>10.1f} s / {q['load_s']} s")
        lines.append(f"  {'latency p50 / p95 / max':<34}{q['p50_ms']:>10.2f} / {q['p95_ms']} / {q['max_ms']} ms")
        lines.append(f"  {'mean candidates / scored per query':<34}{q['mean_candidates']:>10} / {q['mean_scored']}")
        lines.append(f"  {'top-10 equal to exact':<34}{q['top10_equal']:>10.4f}  ({q['exact_queries']} queries, "
                     f"{q['exact_seconds']} s)")
        lines.append(f"  {'index on disk / in memory':<34}{q['index_disk_mb']:>10} MB / {q['index_memory_mb']} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--marks", type=int, default=20000, help="gazette marks to screen")
    ap.add_argument("--brands", type=int, default=1000, help="watched brands")
    ap.add_argument("--queries", type=int, default=100, help="clearance-search queries (0: no search)")
    ap.add_argument("--register", type=int, default=0,
                    help="extra ordinary marks in the search register (register = marks + this)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1, help="processes for screening (local engine)")
    ap.add_argument("--exact-sample", type=int, default=None, help="marks scored against every brand")
    ap.add_argument("--exact-queries", type=int, default=20, help="search queries checked against brute force")
    ap.add_argument("--baseline", choices=("auto", "full", "off"), default="auto",
                    help="naive baseline: auto extrapolates from 10%% of the marks when the run is large")
    ap.add_argument("--no-screen", action="store_true")
    ap.add_argument("--trace-memory", action="store_true", help="tracemalloc peak (slows the run)")
    ap.add_argument("--images", type=int, default=0,
                    help="image section: brand logos against this many distractor pictures, and ingest of "
                         "figurative marks with images (needs markwatch[images]; scripts/image_eval.py)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--combination", choices=("rules", "learned"), default=None,
                    help="how the matcher combines its findings (default: the matcher's default)")
    ap.add_argument("--cli", action="store_true",
                    help="time the real `markwatch ingest` and `markwatch run` as child processes on a fresh "
                         "SQLite database, with the naive matcher and the exact reference (scripts/bench_cli.py)")
    ap.add_argument("--keep", type=Path, default=None, help="--cli: keep the files and database in this folder")
    args = ap.parse_args(argv)
    global COMBINATION
    COMBINATION = args.combination
    if args.cli:
        cli = _bench_cli()
        report = cli.run_cli(args.marks, args.brands, seed=args.seed, exact_sample=args.exact_sample,
                             baseline="full" if args.baseline == "auto" else args.baseline, keep=args.keep)
        print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else cli.format_report(report))
        return 0
    t = time.perf_counter()
    data = generate(args.marks, args.brands, seed=args.seed, register_extra=args.register)
    gen_s = time.perf_counter() - t
    report: dict = {"generate_s": round(gen_s, 1), "seed": args.seed}
    if not args.no_screen:
        report["screening"] = run_screening(data, workers=args.workers, exact_sample=args.exact_sample,
                                            baseline=args.baseline, seed=args.seed,
                                            trace_memory=args.trace_memory)
    if args.queries:
        report["search"] = run_search(data, queries=args.queries, exact_queries=args.exact_queries, seed=args.seed)
    if args.images:
        report["images"] = run_images(args.images)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(format_table(report))
        if "images" in report:
            print(_image_eval().format_report(report["images"]))
    return 0


def _script(name: str):
    """A sibling script under scripts/ as a module, loaded once."""
    import importlib.util

    key = f"markwatch_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, ROOT / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def _bench_cli():
    return _script("bench_cli")


def _image_eval():
    return _script("image_eval")


def run_images(distractors: int, logos: int = 20) -> dict:
    """The image section: recall@10 of planted logo copies among `distractors` pictures, false matches
    per logo, and the throughput of ingest with images (see scripts/image_eval.py)."""
    ev = _image_eval()
    return {"retrieval": ev.retrieval(logos, distractors, planted=5),
            "ingest": ev.ingest_throughput(max(10, min(100, distractors // 20)))}


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    raise SystemExit(main())
