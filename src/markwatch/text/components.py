"""Character components (拆字/合字): which characters a character is written with.

A knock-off may write one character of a mark as its parts (林 → 木木, 晶 → 日日日), merge two
characters into one (木木 → 林), or keep one component of a character (祥 → 羊, as 恒源彩羊 keeps
the 羊 of 恒源祥). The table (`data/components.json.gz`, CC BY 3.0, see COMPONENTS_NOTICE.md) lists
each character's decompositions; it is loaded once, lazily.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, ...]]:
    raw = resources.files("markwatch").joinpath("data/components.json.gz").read_bytes()
    doc = json.loads(gzip.decompress(raw).decode("utf-8"))
    return {ch: tuple(parts) for ch, parts in doc["components"].items()}


def decompositions(ch: str) -> tuple[str, ...]:
    """Every decomposition of `ch` as a string of its parts (祥 → ("示羊", "礻羊")); () when unknown."""
    return _table().get(ch, ())


def written_as(ch: str, parts: str) -> bool:
    """Whether `parts` (two or more characters) spell `ch` by its components (林 / 木木)."""
    return len(parts) >= 2 and parts in decompositions(ch)


@lru_cache(maxsize=200_000)
def holds_component(whole: str, part: str) -> bool:
    """Whether `part`, a character that stands on its own, is one of the two components of `whole`
    (祥 ⊃ 羊, 鹭 ⊃ 路). Radical-only forms (氵, 礻) and characters that serve mostly as radicals
    (金 in 银, 鸟 in 鹭) never count."""
    if whole == part or not part or part in RADICAL_CHARACTERS:
        return False
    return any(len(d) == 2 and part in d and _is_standalone(part) for d in decompositions(whole))


# A part counts when it is a character of everyday writing: a word of the general dictionary on its
# own (羊, 路, 可), not a radical form (氵, 礻) or a rare component (冡).
STANDALONE_MIN_FREQ = 10


@lru_cache(maxsize=20_000)
def _is_standalone(ch: str) -> bool:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    from markwatch.text.segmenter import initialise_default

    initialise_default()  # one read of the dictionary for every tokenizer (text.segmenter)
    return ch not in RADICAL_FORMS and (jieba.get_FREQ(ch) or 0) >= STANDALONE_MIN_FREQ


# Characters that mostly stand in other characters as their radical (部首): sharing one (金 in 银,
# 鸟 in 鹭) is a family likeness of thousands of characters, not a character kept.
RADICAL_CHARACTERS = frozenset("金木水火土日月口女人心手言糸食鸟马鱼虫石目竹米禾王玉贝车足示衣山雨草"
                               "田力刀又大小子土工巾弓彳广厂门页走酉隹见革骨齿鬼舟耳肉羽鹿麦黑")
# Radical forms that are written only as parts of a character (the dictionary lists some as words).
RADICAL_FORMS = frozenset("氵礻亻扌艹冫忄犭纟讠钅饣阝刂攵灬丷冖宀辶廴彳疒衤罒覀癶爫丬亠勹匚卩厶廾彐彡夂耂虍糸訁釒飠")
