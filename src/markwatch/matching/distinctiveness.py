"""Distinctiveness (显著性) of the parts of a mark: how much a shared part weighs.

Sharing a part of a mark matters by how distinctive that part is for the goods. Weak parts are

- a generic or descriptive word of the goods: the 类似商品和服务区分表's own item and group names for
  the classes concerned (咖啡 for cafés, 月饼 for cakes, 汽车 for cars), less so a goods word of
  another class, and the company and trade words the normaliser strips (食品, 集团);
- a surname at the head of the mark (徐福记, 黄福记), or a surname with 氏;
- a place name at the head of the mark (unless the mark is a place-name mark, where the place is
  what distinguishes);
- an everyday word of the general dictionary (师傅, 生活), or a word found in very many stored marks
  (an optional `MarkFrequency`, built from a register);
- a single Latin letter.

`Distinctiveness.weights(text, classes)` gives each character of a Han text a weight in (0, 1]
(1 = distinctive) and the weak parts found, with why; the comparisons weigh shared and differing
characters by them and name the weak parts in their reasons.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol

from markwatch.errors import FileFormatError
from markwatch.goods.overlap import described_by

# Weights of the weak parts (distinctive characters weigh 1).
WEIGHTS = {
    "goods": 0.2,  # a goods word of the classes concerned (咖啡 for class 43)
    "generic": 0.4,  # a goods word of another class, or a company or trade word (食品, 集团)
    "surname": 0.5,  # 徐 in 徐福记, 王氏
    "place": 0.4,  # a place name at the head (杭州 in 杭州小笼)
    "common": 0.6,  # an everyday word of the general dictionary (师傅)
    "frequent": 0.6,  # a word found in very many stored marks
}
# jieba dictionary frequency from which a word of two characters or more is an everyday word.
COMMON_WORD_FREQ = 50
# A word found in at least this share of the stored marks is frequent (MarkFrequency).
FREQUENT_SHARE = 0.002
# Goods words are looked for up to this many characters; sub-words of item names from two.
GOODS_WORD_MAX = 6
_SPLIT = re.compile(r"[，,、（）()*；;\s\[\]【】\"“”]+")

_KEPT = "kept"  # a position no weak part may claim

WHY_ZH = {
    "goods": "为商品或服务的通用名称",
    "generic": "为通用词",
    "surname": "为姓氏",
    "place": "为地名",
    "common": "为常用词",
    "frequent": "为常见商标用词",
}


class MarkFrequency(Protocol):
    """How common a word is among stored marks: the share of marks that contain it."""

    def share(self, word: str) -> float: ...


@dataclass(frozen=True)
class WordCounts:
    """A `MarkFrequency` from counted marks: for each word of 2 to 4 characters, in how many marks it occurs.

    Built from a register's marks (`from_marks`) and saved as JSON (`save`, `load`); only words of at
    least `min_count` marks are kept.
    """

    total: int
    counts: dict[str, int] = field(default_factory=dict)

    VERSION = "word-counts-1"

    def share(self, word: str) -> float:
        return self.counts.get(word, 0) / self.total if self.total else 0.0

    @classmethod
    def from_marks(cls, marks: Iterable[str], *, min_count: int = 2) -> WordCounts:
        counts: Counter[str] = Counter()
        total = 0
        for text in marks:
            total += 1
            counts.update(counted_words(text))
        return cls(total, {w: n for w, n in counts.items() if n >= min_count})

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps({"version": self.VERSION, "total": self.total, "counts": self.counts},
                                         ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> WordCounts:
        fix = "; rebuild it with `markwatch words build` or fix the setting word_counts_path"
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FileFormatError(f"word counts {path}: cannot read ({exc}){fix}") from exc
        if not isinstance(doc, dict) or doc.get("version") != cls.VERSION:
            got = doc.get("version") if isinstance(doc, dict) else None
            raise FileFormatError(f"word counts {path}: version {got!r}, expected {cls.VERSION!r}{fix}")
        try:
            return cls(int(doc["total"]), {str(k): int(v) for k, v in doc["counts"].items()})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FileFormatError(f"word counts {path}: malformed ({exc}){fix}") from exc


def counted_words(text: str) -> set[str]:
    """The words a mark counts for (`WordCounts`): every run of 2 to 4 of its Han characters, once."""
    from markwatch.text.normalise import is_han

    han = "".join(ch for ch in text or "" if is_han(ch))
    return {han[i:i + k] for k in (2, 3, 4) for i in range(len(han) - k + 1)}


@dataclass(frozen=True)
class WeakPart:
    start: int
    end: int
    why: str  # a key of WEIGHTS

    def text(self, of: str) -> str:
        return of[self.start:self.end]


@dataclass(frozen=True)
class Weights:
    """The weight of each character of a text, and the weak parts that set them."""

    text: str
    weights: tuple[float, ...]
    weak: tuple[WeakPart, ...] = ()

    @property
    def total(self) -> float:
        return sum(self.weights)

    @property
    def mean(self) -> float:
        return self.total / len(self.weights) if self.weights else 1.0

    def weak_words(self, positions: Iterable[int] | None = None) -> list[tuple[str, str]]:
        """(word, why) of the weak parts, or of those touching `positions`."""
        keep = None if positions is None else set(positions)
        return [(w.text(self.text), w.why) for w in self.weak
                if keep is None or keep & set(range(w.start, w.end))]


class Distinctiveness:
    """Weights of the characters of a mark, from the goods vocabulary, surnames, places and word frequency."""

    def __init__(self, goods_names: Iterable[tuple[int, str]] = (), *,
                 mark_frequency: MarkFrequency | None = None) -> None:
        self._by_class, self._any = _goods_vocabulary(goods_names)
        self.mark_frequency = mark_frequency
        self._cache: dict[tuple[str, tuple[int, ...], bool], Weights] = {}

    @classmethod
    def from_goods_table(cls, table, *, mark_frequency: MarkFrequency | None = None) -> Distinctiveness:
        names = table.names_by_class() if table is not None and hasattr(table, "names_by_class") else ()
        return cls(names, mark_frequency=mark_frequency)

    def goods_word(self, word: str, classes: Sequence[int] = ()) -> str | None:
        """"goods" when `word` names goods of one of `classes`, "generic" when of another class or a
        trade word, else None."""
        from markwatch.text.normalise import GENERIC_WORDS

        if any(word in self._by_class.get(int(n), ()) for n in described_by(classes)):
            return "goods"
        if word in GENERIC_WORDS:
            return "generic"
        if not classes and word in self._any:
            return "generic"  # goods unknown: a goods name of any class is a generic word
        return None

    def warm_up(self) -> None:
        """Load the lazily read tables (the dictionary's part-of-speech tags, the components) now."""
        from markwatch.matching.comparisons.latin import pinyin_syllables
        from markwatch.text.components import decompositions

        _word_tags()
        pinyin_syllables()
        decompositions("林")
        self.weights("悦川坊月饼", (30,))

    def is_weak_word(self, text: str, classes: Sequence[int] = ()) -> bool:
        """Whether `text` on its own is a weak word: an everyday word of the general dictionary (师傅),
        a goods or trade word, a surname."""
        if len(text) == 1:
            return text in surnames()
        return (self.goods_word(text, classes) is not None or _is_everyday_word(text)
                or (self.mark_frequency is not None and self.mark_frequency.share(text) >= FREQUENT_SHARE))

    def weights(self, text: str, classes: Sequence[int] = (), *, place_distinctive: bool = False) -> Weights:
        """Weights of the characters of `text` (its Han characters: other characters weigh 1).

        `place_distinctive`: the mark is a place-name mark (geographical indication, or a place plus
        a goods word), whose place name is what distinguishes it."""
        key = (text, tuple(sorted(set(classes))), place_distinctive)
        got = self._cache.get(key)
        if got is None:
            if len(self._cache) > 200_000:
                self._cache.clear()
            got = self._cache[key] = self._compute(text, key[1], place_distinctive)
        return got

    def _compute(self, text: str, classes: tuple[int, ...], place_distinctive: bool) -> Weights:
        n = len(text)
        why: list[str | None] = [None] * n
        spans: list[WeakPart] = []

        def mark(start: int, end: int, reason: str) -> None:
            if any(why[k] is not None for k in range(start, end)):
                return
            for k in range(start, end):
                why[k] = reason
            spans.append(WeakPart(start, end, reason))

        # Goods and trade words, longest first at each position.
        i = 0
        while i < n:
            found = None
            for end in range(min(n, i + GOODS_WORD_MAX), i + 1, -1):
                kind = self.goods_word(text[i:end], classes)
                if kind is not None:
                    found = (end, kind)
                    break
            if found is not None and not (i == 0 and found[0] == n):
                mark(i, found[0], found[1])
                i = found[0]
            else:
                i += 1
        place = _leading_place(text)
        if place and len(place) < n:
            if place_distinctive:
                for k in range(len(place)):  # what distinguishes a place-name mark: never weak
                    why[k] = _KEPT
            else:
                mark(0, len(place), "place")
        if self.mark_frequency is not None:
            for k in (4, 3, 2):
                for start in range(0, n - k + 1):
                    if self.mark_frequency.share(text[start:start + k]) >= FREQUENT_SHARE:
                        mark(start, start + k, "frequent")
        for m in re.finditer("氏", text):
            if m.start() > 0 and text[m.start() - 1] in surnames():
                mark(m.start() - 1, m.end(), "surname")
        if n >= 2 and text[0] in surnames() and why[0] is None:
            mark(0, 1, "surname")
        for start, end in _common_words(text):
            if end - start < n:
                mark(start, end, "common")
        weights = tuple(WEIGHTS[w] if w is not None and w != _KEPT else 1.0 for w in why)
        spans.sort(key=lambda s: s.start)
        return Weights(text, weights, tuple(spans))


def _goods_vocabulary(names: Iterable[tuple[int, str]]) -> tuple[dict[int, frozenset[str]], frozenset[str]]:
    """Per class: every item and group name piece of two characters or more, and the dictionary words
    (2 to 4 characters) that begin or end one (咖啡馆 → 咖啡, 新鲜苹果 → 苹果)."""
    import jieba

    from markwatch.text.segmenter import initialise_default

    initialise_default()  # one read of the dictionary for every tokenizer (text.segmenter)
    by_class: dict[int, set[str]] = {}
    pieces = list(names)
    for n, name in pieces:
        words = by_class.setdefault(int(n), set())
        for piece in _SPLIT.split(name):
            piece = piece.strip()
            if len(piece) < 2:
                continue
            words.add(piece)
            for k in range(2, min(4, len(piece) - 1) + 1):
                for w in (piece[:k], piece[-k:]):
                    if (jieba.get_FREQ(w) or 0) >= COMMON_WORD_FREQ // 2:
                        words.add(w)
    frozen = {n: frozenset(ws) for n, ws in by_class.items()}
    return frozen, frozenset(p.strip() for _, name in pieces for p in _SPLIT.split(name) if len(p.strip()) >= 2)




@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """The common single-character surnames (百家姓); 复姓 (欧阳) are in the file too, unused alone."""
    text = resources.files("markwatch").joinpath("data/surnames.txt").read_text(encoding="utf-8")
    return frozenset(ch for line in text.splitlines() if line and not line.startswith("#")
                     for ch in line.split() if len(ch) == 1)


def _leading_place(text: str) -> str | None:
    from markwatch.text.places import leading_place

    return leading_place(text)


@lru_cache(maxsize=100_000)
def _common_words(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of the everyday words (two characters or more) of the general dictionary in `text`, as
    its own segmentation cuts it."""
    import jieba

    from markwatch.text.segmenter import initialise_default

    initialise_default()  # one read of the dictionary for every tokenizer (text.segmenter)
    tags = _word_tags()
    out = []
    pos = 0
    for word in jieba.lcut(text, HMM=False):
        if len(word) >= 2 and (jieba.get_FREQ(word) or 0) >= COMMON_WORD_FREQ and tags.get(word) not in NAME_TAGS:
            out.append((pos, pos + len(word)))
        pos += len(word)
    return tuple(out)


def _is_everyday_word(text: str) -> bool:
    import jieba

    from markwatch.text.segmenter import initialise_default

    initialise_default()  # one read of the dictionary for every tokenizer (text.segmenter)
    return (jieba.get_FREQ(text) or 0) >= COMMON_WORD_FREQ and _word_tags().get(text) not in NAME_TAGS


def is_plain_noun(text: str) -> bool:
    """A word the general dictionary tags as a common noun (大闸蟹, 小笼), not a name (海尔, 娃哈哈)."""
    return len(text) >= 2 and _word_tags().get(text) == "n"


# Part-of-speech tags of the general dictionary that mark names (of brands, firms, foreign persons):
# such entries (海尔, 娃哈哈) are not everyday words.
NAME_TAGS = frozenset({"nrt", "nz", "nt", "nrfg"})


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    from markwatch.text.segmenter import word_tags

    return word_tags()


def weak_reason(words: Sequence[tuple[str, str]]) -> str:
    """“月饼”为商品或服务的通用名称；“徐”为姓氏 (Chinese, for a reason)."""
    return "；".join(f"“{w}”{WHY_ZH[why]}" for w, why in dict.fromkeys(words))


def weak_reason_en(words: Sequence[tuple[str, str]]) -> str:
    names = {"goods": "a generic name of the goods", "generic": "a generic word", "surname": "a surname",
             "place": "a place name", "common": "an everyday word", "frequent": "a word common in marks"}
    return "; ".join(f"“{w}” is {names[why]}" for w, why in dict.fromkeys(words))
