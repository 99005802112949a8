"""Graded features of a pair beyond its findings, for the learned combination (matching/combination.py).

The findings say *what* two marks share (a contained brand, a look-alike character); these say how
much that sharing weighs, the way examiners and courts weigh it:

- `written_share`: the share of the brand's written characters found in the mark, in any order and
  with anything inserted (康师傅 / 康大师傅, 安途 / 途安行); also what the model's lift is scaled by, so
  that a pair sharing no written character (a partial homophone: 王老吉 / 晚点集) is never lifted;
- `in_order`: the share of those found characters that keep the brand's order (the longest common
  subsequence of the two cores against the found characters);
- `shared_weight`: the written share weighed by distinctiveness (distinctiveness.py: the goods'
  generic words, surnames, places, everyday and frequent words weigh little; a lone Latin letter too);
- `shared_weak`: something is shared, but only weak parts (a surname, a goods word);
- `mark_extra`: how distinctive what the mark adds is (its characters outside the shared part,
  weighed; 0 when it adds nothing or only generic words);
- `goods`: the goods overlap (goods/overlap.py);
- `pinyin_jw`: Jaro-Winkler of the two marks' sounds (pinyin of the Han part, then the Latin letters);
- `initials`, `finals`: the share of syllables, position by position, with the same pinyin initial,
  or the same final;
- `first_sound`: the first characters are the same (1), sound the same (0.5) or differ (0): the
  guideline's first-character exception as graded evidence, not a cap.

Every feature is in [0, 1], so the combination's bounds can take each at its extreme.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rapidfuzz.distance import JaroWinkler

from markwatch.matching.distinctiveness import Weights
from markwatch.text.normalise import NormalisedMark

PAIR_FEATURES = ("written_share", "in_order", "shared_weight", "shared_weak", "mark_extra", "goods", "pinyin_jw",
                 "initials", "finals", "first_sound")
# A shared Latin part of a single letter weighs this much (a letter is hardly distinctive).
SINGLE_LETTER_WEIGHT = 0.2


def lcs_positions(a: str, b: str) -> tuple[list[int], list[int]]:
    """Positions in `a` and in `b` of one longest common subsequence (the earliest in `a`)."""
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
    i = j = 0
    pa: list[int] = []
    pb: list[int] = []
    while i < n and j < m:
        if a[i] == b[j]:
            pa.append(i)
            pb.append(j)
            i += 1
            j += 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return pa, pb


def found_positions(a: str, b: str) -> tuple[list[int], list[int]]:
    """Positions of the characters of `a` found in `b` in any order, each of `b`'s used once, and
    the positions they were found at."""
    free: dict[str, list[int]] = {}
    for j, ch in enumerate(b):
        free.setdefault(ch, []).append(j)
    pa: list[int] = []
    pb: list[int] = []
    for i, ch in enumerate(a):
        if free.get(ch):
            pa.append(i)
            pb.append(free[ch].pop(0))
    return pa, pb


def _syllable_shares(b: Sequence[str], c: Sequence[str]) -> tuple[float, float]:
    from markwatch.matching.comparisons.sound import split_syllable

    if not b or not c:
        return 0.0, 0.0
    n = max(len(b), len(c))
    ini = fin = 0
    for x, y in zip(b, c):
        xi, xf = split_syllable(x)
        yi, yf = split_syllable(y)
        ini += xi == yi
        fin += xf == yf
    return ini / n, fin / n


def form_features(b: NormalisedMark, c: NormalisedMark, bw: Weights | None,
                  mw: Callable[[], Weights]) -> dict[str, float]:
    """The features of one pair of written forms (brand form `b`, mark form `c`)."""
    out = dict.fromkeys(PAIR_FEATURES, 0.0)
    bcore, ccore = b.core.replace(" ", ""), c.core.replace(" ", "")
    if not bcore or not ccore:
        return out
    found, _ = found_positions(bcore, ccore)
    out["written_share"] = len(found) / len(bcore)
    out["in_order"] = len(lcs_positions(bcore, ccore)[0]) / len(found) if found else 0.0
    if b.chinese and c.chinese and bw is not None:
        hb, hc = found_positions(b.chinese, c.chinese)
        total = bw.total or 1.0
        out["shared_weight"] = sum(bw.weights[i] for i in hb) / total
        out["shared_weak"] = float(bool(hb) and all(bw.weights[i] < 1 for i in hb))
        weights = mw()
        extra = [weights.weights[j] for j in range(len(c.chinese)) if j not in set(hc)]
        out["mark_extra"] = sum(w for w in extra if w >= 1) / len(c.chinese)
        first_b, first_c = b.chinese[0], c.chinese[0]
        same_sound = bool(b.pinyin and c.pinyin and b.pinyin[0] == c.pinyin[0])
        out["first_sound"] = 1.0 if first_b == first_c else 0.5 if same_sound else 0.0
    elif b.latin and c.latin:
        la, _ = found_positions(b.latin, c.latin)
        share = len(la) / len(b.latin)
        out["shared_weight"] = share * (SINGLE_LETTER_WEIGHT if len(la) == 1 else 1.0)
        out["shared_weak"] = float(len(la) == 1)
    if b.sound_key and c.sound_key:
        out["pinyin_jw"] = JaroWinkler.similarity(b.sound_key, c.sound_key)
    out["initials"], out["finals"] = _syllable_shares(b.pinyin, c.pinyin)
    return out


def pair_features(pairs: Sequence[tuple[NormalisedMark, NormalisedMark, Weights | None, Callable[[], Weights]]],
                  goods: float) -> dict[str, float]:
    """The features of the pair of forms sharing the most (by weighed, then written share), with the goods."""
    best: dict[str, float] | None = None
    for b, c, bw, mw in pairs:
        f = form_features(b, c, bw, mw)
        if best is None or (f["shared_weight"], f["written_share"], f["pinyin_jw"]) > (
                best["shared_weight"], best["written_share"], best["pinyin_jw"]):
            best = f
    out = best if best is not None else dict.fromkeys(PAIR_FEATURES, 0.0)
    out["goods"] = max(0.0, min(1.0, goods))
    return out
