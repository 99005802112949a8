"""Alignment (对照): the brand's characters found in the new mark, one by one, each weighed by its distinctiveness.

One general comparison covers containment with insertions (康师傅 / 康大师傅, 五粮液 / 大午粮液),
reordering with additions (安途 / 途安行), a brand kept with its generic words changed (稻香村月饼 /
稻香村粽子) and characters taken apart or merged (恒源祥 / 恒源彩羊: 祥 ⊃ 羊; 林 / 木木).

Each brand character is either matched with a character of the mark, scored by how alike the two
are (the same; the same or a fuzzy sound; a look-alike; one a component of the other), or left out;
two neighbours may be matched crosswise (a swap), one character with the two or three it is written
with (拆字) and two with the one they make (合字). Characters of the mark put between matched ones cost
`ALIGNMENT["gap"]` each. The alignment with the highest weighed gain wins; its coverage is that gain
over the brand's total weight, and the score is `ALIGNMENT["top"]` x coverage, less
`ALIGNMENT["extra"]` per distinctive character the mark adds (up to `extra_cap` of them).

A pair is aligned only when two characters that stand side by side in the brand appear in the mark
written the same with at most `ANCHOR_GAP` characters between them (in either order): the anchor, which is
also the blocking key of the evidence family (`registry.SHARED_PART`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from markwatch.matching.comparisons.base import Evidence
from markwatch.matching.distinctiveness import Weights, weak_reason, weak_reason_en
from markwatch.matching.rules import ALIGNMENT, LOOK
from markwatch.model import Reason
from markwatch.text.normalise import pinyin_of

ANCHOR_GAP = 1  # characters allowed between the two anchor characters in the mark
ALIGN_MAX_EXTRA = 8  # marks longer than the brand by more than this are not aligned
SHARED_PART_SCORE = ALIGNMENT["top"]  # the highest score of the evidence


def anchor_pairs(text: str) -> set[str]:
    """The brand side's anchors: each two neighbouring characters, as a sorted pair."""
    return {"".join(sorted(text[i:i + 2])) for i in range(len(text) - 1)}


def mark_anchor_pairs(text: str) -> set[str]:
    """The mark side's: each two characters with at most ANCHOR_GAP between them, as a sorted pair."""
    out = set()
    for k in range(len(text)):
        for step in range(1, ANCHOR_GAP + 2):
            if k + step < len(text):
                out.add("".join(sorted(text[k] + text[k + step])))
    return out


@lru_cache(maxsize=262_144)
def has_anchor(brand: str, mark: str) -> bool:
    """Whether the pair can be aligned at all (see the module's docstring): two neighbouring brand
    characters at two positions of the mark with at most ANCHOR_GAP characters between, in either order."""
    if len(brand) < 2 or len(mark) < 2 or len(mark) > len(brand) + ALIGN_MAX_EXTRA:
        return False
    where: dict[str, list[int]] = {}
    for k, ch in enumerate(mark):
        where.setdefault(ch, []).append(k)
    reach = ANCHOR_GAP + 1
    for i in range(len(brand) - 1):
        xs, ys = where.get(brand[i]), where.get(brand[i + 1])
        if xs and ys and any(0 < abs(a - b) <= reach for a in xs for b in ys):
            return True
    return False


@lru_cache(maxsize=262_144)
def char_alike(x: str, y: str) -> tuple[float, str]:
    """How alike two characters are for the alignment, and how: same, sound, fuzzy, look, component."""
    if x == y:
        return 1.0, "same"
    from markwatch.matching.comparisons.look import lookalike
    from markwatch.matching.comparisons.sound import fuzzy_pair, readings
    from markwatch.text.components import holds_component

    best = (0.0, "")
    rx, ry = readings(x), readings(y)
    if rx & ry:
        best = (ALIGNMENT["sound"], "sound")
    elif any(fuzzy_pair(a, b) for a in rx for b in ry):
        best = (ALIGNMENT["fuzzy"], "fuzzy")
    s = lookalike(x, y)
    if s > 0:
        floor = LOOK["lookalike_floor"]
        look = ALIGNMENT["look_floor"] + ALIGNMENT["look_span"] * (s - floor) / (1 - floor)
        if look > best[0]:
            best = (round(look, 4), "look")
    if best[0] < ALIGNMENT["component"] and (holds_component(x, y) or holds_component(y, x)):
        best = (ALIGNMENT["component"], "component")
    return best


@dataclass(frozen=True)
class Step:
    op: str  # match, swap, split, merge, delete, insert
    brand: str  # the brand characters it covers
    mark: str  # the mark characters it covers
    how: str = ""  # for matches: same, sound, fuzzy, look, component
    gain: float = 0.0


@dataclass(frozen=True)
class Alignment:
    steps: tuple[Step, ...]
    gain: float  # weighed matches less gaps
    coverage: float
    extra: float  # weight of the mark's characters left unmatched (capped)
    score: float


def align(brand: str, mark: str, bw: Weights, mw: Weights | Callable[[], Weights]) -> Alignment | None:
    """The best alignment of `brand` in `mark` (Han texts), or None when they share no anchor or
    cannot reach ALIGNMENT["min_coverage"]. `mw`: the mark's weights, or a function that gives them
    (called only when the alignment is worth computing)."""
    if not has_anchor(brand, mark):
        return None
    n, m = len(brand), len(mark)
    splits, merges = _compositions(brand, mark)
    if bw.total and _coverage_reach(brand, mark, bw, splits, merges) < ALIGNMENT["min_coverage"] - 1e-9:
        return None  # even each brand character at its best match would not cover enough
    if callable(mw):
        mw = mw()
    w, v = bw.weights, mw.weights
    gap = ALIGNMENT["gap"]
    neg = float("-inf")
    # best[s][i][j]: B[:i] aligned with C[start:j]; s = 1 once something is matched (gaps then cost).
    best = [[[neg] * (m + 1) for _ in range(n + 1)] for _ in range(2)]
    back: dict[tuple[int, int, int], tuple[int, int, int, Step]] = {}
    for j in range(m + 1):
        best[0][0][j] = 0.0

    def relax(s: int, i: int, j: int, value: float, frm: tuple[int, int, int], step: Step) -> None:
        if value > best[s][i][j] + 1e-12:
            best[s][i][j] = value
            back[(s, i, j)] = (*frm, step)

    for i in range(n + 1):
        for j in range(m + 1):
            for s in (0, 1):
                cur = best[s][i][j]
                if cur == neg:
                    continue
                if i < n:  # leave the brand character out
                    relax(s, i + 1, j, cur, (s, i, j), Step("delete", brand[i], ""))
                if j < m and s == 1 and i < n:  # a mark character put inside
                    relax(1, i, j + 1, cur - gap, (s, i, j), Step("insert", "", mark[j]))
                if i < n and j < m:
                    score, how = char_alike(brand[i], mark[j])
                    if score > 0:
                        relax(1, i + 1, j + 1, cur + w[i] * score, (s, i, j),
                              Step("match", brand[i], mark[j], how, w[i] * score))
                if i + 1 < n and j + 1 < m and brand[i:i + 2] != mark[j:j + 2]:
                    a, how_a = char_alike(brand[i], mark[j + 1])
                    b, how_b = char_alike(brand[i + 1], mark[j])
                    if a > 0 and b > 0:
                        g = (w[i] * a + w[i + 1] * b) * ALIGNMENT["swap"]
                        relax(1, i + 2, j + 2, cur + g, (s, i, j),
                              Step("swap", brand[i:i + 2], mark[j:j + 2], how_a if a <= b else how_b, g))
                for k in splits.get((i, j), ()):
                    g = w[i] * ALIGNMENT["compose"]
                    relax(1, i + 1, j + k, cur + g, (s, i, j), Step("split", brand[i], mark[j:j + k], "", g))
                for k in merges.get((i, j), ()):
                    g = sum(w[i:i + k]) * ALIGNMENT["compose"]
                    relax(1, i + k, j + 1, cur + g, (s, i, j), Step("merge", brand[i:i + k], mark[j], "", g))
    end = max(range(m + 1), key=lambda j: best[1][n][j])
    if best[1][n][end] == neg:
        return None
    steps: list[Step] = []
    state = (1, n, end)
    while state in back:
        s, i, j, step = back[state]
        steps.append(step)
        state = (s, i, j)
    steps.reverse()
    start = state[2]
    gain = best[1][n][end]
    coverage = max(0.0, min(1.0, gain / bw.total)) if bw.total else 0.0
    covered: set[int] = set()
    pos = start
    for st in steps:
        if st.op in ("match", "swap", "split", "merge"):
            covered.update(range(pos, pos + len(st.mark)))
        pos += len(st.mark)
    extra = sum(v[k] for k in range(m) if k not in covered)
    extra = min(extra, ALIGNMENT["extra_cap"])
    score = ALIGNMENT["top"] * coverage - ALIGNMENT["extra"] * extra
    return Alignment(tuple(steps), round(gain, 4), round(coverage, 4), round(extra, 4), round(max(score, 0.0), 4))


def _parts_of(whole: str, part: str) -> str:
    from markwatch.text.components import holds_component

    return part if holds_component(whole, part) else ""


def _coverage_reach(brand: str, mark: str, bw: Weights, splits, merges) -> float:
    """Coverage if every brand character got its best match in the mark (no gap, no order): a bound."""
    best = [max(char_alike(x, y)[0] for y in mark) for x in brand]
    compose = ALIGNMENT["compose"]
    for i, _j in splits:
        best[i] = max(best[i], compose)
    for (i, _j), ks in merges.items():
        for k in ks:
            for t in range(i, i + k):
                best[t] = max(best[t], compose)
    return sum(w * b for w, b in zip(bw.weights, best)) / bw.total


def _compositions(brand: str, mark: str) -> tuple[dict[tuple[int, int], list[int]], dict[tuple[int, int], list[int]]]:
    """Where a brand character is written as the next k mark characters (splits, 拆字), and where k
    brand characters make one mark character (merges, 合字): {(i, j): [k, ...]}."""
    from markwatch.text.components import decompositions

    splits: dict[tuple[int, int], list[int]] = {}
    merges: dict[tuple[int, int], list[int]] = {}
    for one, many, out, flip in ((brand, mark, splits, False), (mark, brand, merges, True)):
        starts: dict[str, list[int]] = {}
        for p, ch in enumerate(many):
            starts.setdefault(ch, []).append(p)
        for a, ch in enumerate(one):
            for parts in decompositions(ch):
                if len(parts) > 3:
                    continue
                for p in starts.get(parts[0], ()):
                    if many[p:p + len(parts)] == parts:
                        key = (p, a) if flip else (a, p)
                        out.setdefault(key, []).append(len(parts))
    return splits, merges


_HOW_ZH = {"sound": "读音相同", "fuzzy": "读音相近", "look": "字形相近", "component": "部件相同"}
_HOW_EN = {"sound": "same sound", "fuzzy": "similar sound", "look": "look alike", "component": "share a component"}


def shared_part_evidence(brand: str, mark: str, bw: Weights, mw: Weights | Callable[[], Weights],
                         weak_word: Callable[[str], bool] | None = None) -> list[Evidence]:
    """The alignment as evidence ("与商标“五粮液”文字近似（“五/午”读音相同）", "显著部分“稻香村”相同"),
    when its coverage reaches ALIGNMENT["min_coverage"]. `weak_word(text)`: whether a text alone is a
    weak word (distinctiveness.is_weak_word); a brand cut down to one shares no distinctive part
    (康师傅 / 师傅)."""
    if brand in mark:
        return []  # the brand inside the mark as it is: the containment rule's finding
    found = align(brand, mark, bw, mw)
    if found is None or found.coverage < ALIGNMENT["min_coverage"] or found.score <= 0:
        return []
    kept = "".join(st.brand for st in found.steps if st.op != "delete")
    if weak_word is not None and kept != brand and weak_word(kept):
        return []
    zh, en = _describe(brand, mark, found, bw)
    reason = Reason(kind="contains", detail=zh, detail_en=en, score=found.score)
    if all(st.op == "insert" or (st.op == "match" and st.how == "same") for st in found.steps):
        # the brand's characters in order with others put in: what contains_spread says, naming the insert
        inserted = "".join(st.mark for st in found.steps if st.op == "insert")
        return [Evidence(reason, key="aligned_insert", values=(("a", brand), ("inserted", inserted)))]
    return [Evidence(reason)]


def _describe(brand: str, mark: str, found: Alignment, bw: Weights) -> tuple[str, str]:
    notes_zh: list[str] = []
    notes_en: list[str] = []
    deleted: list[int] = []
    pos = 0
    for st in found.steps:
        if st.op == "match" and st.how == "component":
            whole, part = (st.brand, st.mark) if len(_parts_of(st.brand, st.mark)) else (st.mark, st.brand)
            notes_zh.append(f"“{part}”为“{whole}”的部件")
            notes_en.append(f"{part} is a component of {whole}")
        elif st.op == "match" and st.how != "same":
            # "读音相同" only for the same usual reading; another reading of one of them (娃 wa / 凹 ao, wa)
            # is a similar sound, and the reason says so
            how = "fuzzy" if st.how == "sound" and pinyin_of(st.brand)[0] != pinyin_of(st.mark)[0] else st.how
            notes_zh.append(f"“{st.brand}/{st.mark}”{_HOW_ZH[how]}")
            notes_en.append(f"{st.brand}/{st.mark} {_HOW_EN[how]}")
        elif st.op == "swap":
            notes_zh.append(f"“{st.brand}”顺序调换为“{st.mark}”")
            notes_en.append(f"“{st.brand}” reordered as “{st.mark}”")
        elif st.op == "split":
            notes_zh.append(f"“{st.brand}”拆为“{st.mark}”")
            notes_en.append(f"“{st.brand}” written as its parts “{st.mark}”")
        elif st.op == "merge":
            notes_zh.append(f"“{st.brand}”合为“{st.mark}”")
            notes_en.append(f"“{st.brand}” merged into “{st.mark}”")
        elif st.op == "delete":
            deleted.append(pos)
        pos += len(st.brand)
    inserted = "".join(st.mark for st in found.steps if st.op == "insert")
    if inserted:
        notes_zh.append(f"插入“{inserted}”")
        notes_en.append(f"“{inserted}” put inside")
    weak_deleted = bw.weak_words(deleted)
    weak_positions = {k for w in bw.weak for k in range(w.start, w.end)}
    strong_deleted = "".join(brand[i] for i in deleted if i not in weak_positions)
    if strong_deleted:
        notes_zh.append(f"无“{strong_deleted}”")
        notes_en.append(f"without “{strong_deleted}”")
    if weak_deleted:
        notes_zh.append(weak_reason(weak_deleted))
        notes_en.append(weak_reason_en(weak_deleted))
    distinctive = "".join(ch for i, ch in enumerate(brand) if i not in weak_positions)
    only_weak_changed = (distinctive and not strong_deleted and not inserted and all(
        st.op in ("match", "delete") and (st.op == "delete" or st.how == "same") for st in found.steps))
    if only_weak_changed:
        # Every distinctive character is there as written; only weak parts differ (稻香村月饼 / 稻香村粽子).
        zh = f"显著部分“{distinctive}”相同"
        en = f"the distinctive part “{distinctive}” is the same"
    else:
        zh = f"与商标“{brand}”文字近似"
        en = f"written like “{brand}”"
    if notes_zh:
        zh += f"（{'；'.join(notes_zh)}）"
        en += f" ({'; '.join(notes_en)})"
    return zh, en


def alignment_reach(brand: str, mark: str, brand_weights: Weights | None = None) -> float:
    """An upper bound of the alignment's score for this pair, knowing the brand's weights or not (they
    depend on the goods), but not the mark's: with the brand's, the alignment itself with the mark's
    characters at the lowest weight; without, each brand character at its best match in the mark and
    the weights chosen in their range to favour the pair. 0 when the pair has no anchor or cannot
    reach ALIGNMENT["min_coverage"]."""
    if brand == mark or not has_anchor(brand, mark):
        return 0.0
    if brand_weights is not None:
        from markwatch.matching.distinctiveness import WEIGHTS

        lowest = Weights(mark, tuple(min(WEIGHTS.values()) for _ in mark))
        found = align(brand, mark, brand_weights, lowest)
        if found is None or found.coverage < ALIGNMENT["min_coverage"]:
            return 0.0
        return found.score
    from markwatch.matching.distinctiveness import WEIGHTS
    from markwatch.text.components import written_as

    n, m = len(brand), len(mark)
    best = [max((char_alike(x, y)[0] for y in mark), default=0.0) for x in brand]
    for i, x in enumerate(brand):
        for k in (2, 3):
            if any(written_as(x, mark[j:j + k]) for j in range(m - k + 1)):
                best[i] = max(best[i], ALIGNMENT["compose"])
            if i + k <= n and any(written_as(y, brand[i:i + k]) for y in mark):
                for t in range(i, i + k):
                    best[t] = max(best[t], ALIGNMENT["compose"])
    low = min(WEIGHTS.values())
    ranked = sorted(best, reverse=True)
    coverage = 0.0
    for k in range(n + 1):  # the k best at weight 1, the others at the lowest weight
        top, rest = ranked[:k], ranked[k:]
        coverage = max(coverage, (sum(top) + low * sum(rest)) / (k + low * (n - k)))
    if coverage < ALIGNMENT["min_coverage"] - 1e-9:
        return 0.0
    return round(ALIGNMENT["top"] * min(1.0, coverage), 4)
