"""Look (形): per-character visual similarity from the shipped glyph table."""

from __future__ import annotations

from functools import lru_cache

from markwatch.matching.comparisons.base import Evidence, evidence
from markwatch.matching.rules import LOOK
from markwatch.text.glyphs import char_similarity
from markwatch.text.normalise import NormalisedMark

LOOK_CAP = LOOK["cap"]  # the highest look score


@lru_cache(maxsize=262_144)
def lookalike(x: str, y: str) -> float:
    """Glyph similarity of two characters when they count as look-alike, else 0."""
    if x == y:
        return 1.0
    s = char_similarity(x, y)
    return s if s >= LOOK["lookalike_floor"] else 0.0


def look_finding(b: NormalisedMark, c: NormalisedMark) -> tuple[float, list[tuple[str, str]]] | None:
    """Same length, every differing character a look-alike: (score, the differing pairs)."""
    bt, ct = b.chinese, c.chinese
    if not bt or len(bt) != len(ct) or bt == ct:
        return None
    pairs = [(x, y, lookalike(x, y)) for x, y in zip(bt, ct) if x != y]
    if any(s == 0.0 for _, _, s in pairs):
        return None
    mean_diff = sum(s for _, _, s in pairs) / len(pairs)
    share_same = 1 - len(pairs) / len(bt)
    score = 0.72 + 0.18 * mean_diff + 0.1 * share_same
    return round(min(score, LOOK_CAP), 4), [(x, y) for x, y, _ in pairs]


def look_similarity(b: NormalisedMark, c: NormalisedMark) -> list[Evidence]:
    """康师傅/康帅傅, 雪碧/雷碧, 洽洽/治治 (`look_finding`), with the reason worded."""
    found = look_finding(b, c)
    if found is None:
        return []
    score, pairs = found
    pairs = list(dict.fromkeys(pairs))  # 洽洽/治治: the pair once
    zh = "，".join(f"{x}/{y} 字形相近" for x, y in pairs)
    en = ", ".join(f"{x}/{y} look alike" for x, y in pairs)
    return [evidence("look", "look_whole", score, a=b.chinese, b=c.chinese).with_detail(zh, en)]
