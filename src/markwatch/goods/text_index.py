"""Free goods texts → 类似群: the table's item names indexed for exact, normalised and guessed lookups.

Gazette goods texts are mostly standard item names, sometimes with other brackets or widths, and
sometimes a free wording. Exact and normalised lookups are sure; the fallback guesses only within
the mark's classes (containment, head-noun vote, fuzzy, modifier + item).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from markwatch.text.normalise import to_simplified

# Fallback for texts that are not a table item, searched only within the given classes. The
# numbers were tuned leave-one-out on the table itself (each item removed in turn and mapped back
# from its name; see `GoodsTextIndex.match_uncached(exclude=...)`), where abstaining is cheap and a wrong group
# is not: an unknown group still scores "same class", a wrong one can hide a conflict.
#
# 1. contained: the text is part of longer item names (饮用水 → 佐餐饮用水); all of them in one group.
CONTAINED_MIN_ITEMS = 2
# 2. head noun: Chinese compounds put the head last (普洱茶 → …茶). Items sharing the longest suffix
#    of the text vote; a one-character suffix needs a broad, nearly unanimous vote.
HEAD_MIN_ITEMS = 3
HEAD_MIN_SHARE = 1.0
HEAD_CHAR_MIN_ITEMS = 5
HEAD_CHAR_MIN_SHARE = 0.9
# 3. fuzzy: rapidfuzz `fuzz.ratio` over item names; the nearest items must agree on the group.
FUZZY_THRESHOLD = 80.0
FUZZY_AGREE = 2
# 4. modifier + item: the text ends with a whole item name of at least this many characters.
MODIFIED_ITEM_MIN_LEN = 2
# Extra words in a longer item name that move goods to another group (医用X, 宠物X, 工业用X…):
# such items do not vote for a text that lacks the word.
_QUALIFIER = re.compile("用|宠物|动物|兽|医|工业|婴儿|儿童|非")
# Cache of mapped texts; gazettes repeat the same standard items over and over.
TEXT_CACHE_SIZE = 200_000

_BRACKETS = str.maketrans(
    {"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")", "{": "(", "}": ")"}
)
_PAREN = re.compile(r"\([^()]*\)")
_SPACE = re.compile(r"\s+")
STRIP_CHARS = " \t\r\n*。.;:、,"
# Texts that list several goods: gazette exports sometimes keep a whole 商品/服务项目 line.
_SEMICOLON = re.compile(r"[;；]")
_COMMA = re.compile(r"[,，](?![^()（）]*[)）])")  # not inside brackets


def normalise(text: str) -> str:
    """Matching key: NFKC (full-width → half-width), simplified characters (a Hong Kong or Taiwan
    applicant's 方便麵 is the table's 方便面), lower case, one bracket style, no spaces."""
    key = to_simplified(unicodedata.normalize("NFKC", text)).translate(_BRACKETS)
    key = _SPACE.sub("", key).lower()
    return key.strip(STRIP_CHARS)


def _without_brackets(key: str) -> str:
    """`水(饮料)` → `水`: the bracket explains the item; texts often leave it out."""
    prev = None
    while prev != key:
        prev, key = key, _PAREN.sub("", key)
    return key.strip(STRIP_CHARS)


@dataclass(frozen=True)
class GoodsMatch:
    """How one goods text was mapped: the group, the table item it matched, and by which rule."""

    group: str
    item: str  # item code, e.g. "300037"
    item_name: str
    method: str  # exact, normalised, bracket | contained, head, fuzzy, modified (guesses in the classes)
    score: float = 100.0  # share of the vote (contained, head) or rapidfuzz ratio (fuzzy), in %
    evidence: int = 1  # table items behind a guess


@dataclass(frozen=True)
class _Entry:
    key: str
    group: str
    item: str
    item_name: str



class GoodsTextIndex:
    """Item names of one table, indexed for matching goods texts to groups."""

    def __init__(self, item_names: dict[str, str], item_group: dict[str, str], group_class: dict[str, int]):
        self._item_names = item_names
        self._item_group = item_group
        self._group_class = group_class
        self._exact: dict[str, _Entry] = {}
        norm: dict[str, list[_Entry]] = defaultdict(list)
        loose: dict[str, list[_Entry]] = defaultdict(list)
        per_class: dict[int, dict[str, list[_Entry]]] = defaultdict(lambda: defaultdict(list))
        for code, name in self._item_names.items():
            group = self._item_group[code]
            n = self._group_class[group]
            for part in name.split("，"):
                raw = part.strip().rstrip("*").strip()
                if not raw:
                    continue
                key = normalise(raw)
                entry = _Entry(key, group, code, raw)
                self._exact.setdefault(raw, entry)
                norm[key].append(entry)
                per_class[n][key].append(entry)
                bare = _without_brackets(key)
                if bare and bare != key:
                    loose_entry = _Entry(bare, group, code, raw)
                    loose[bare].append(loose_entry)
                    per_class[n][bare].append(loose_entry)
        self._norm = dict(norm)
        self._loose = dict(loose)
        self._goods_word_cache: dict[str, bool] = {}  # is_goods_word scans every item name: asked again and again
        # Per class: item keys (containment and fuzzy search) and every proper suffix of every key
        # (head-noun vote), so a lookup costs one dict access per suffix of the text.
        self._class_keys: dict[int, dict[str, list[_Entry]]] = {n: dict(d) for n, d in per_class.items()}
        self._class_choices: dict[int, list[str]] = {n: list(d) for n, d in per_class.items()}
        self._class_suffixes: dict[int, dict[str, list[_Entry]]] = {}
        for n, keyed in self._class_keys.items():
            suffixes: dict[str, list[_Entry]] = defaultdict(list)
            for key, entries in keyed.items():
                for i in range(len(key)):
                    suffixes[key[i:]].extend(entries)
            self._class_suffixes[n] = dict(suffixes)

        self._match_cached = lru_cache(maxsize=TEXT_CACHE_SIZE)(self.match_uncached)

    def match(self, text: str, cls: tuple[int, ...], guess: bool = True) -> GoodsMatch | None:
        """One text → one group (cached); `guess=False` stops before the fallback."""
        return self._match_cached(text, cls, guess)

    def is_goods_word(self, text: str) -> bool:
        """Whether the text names goods in the table, alone or as the head of an item (大米, 白茶)."""
        key = normalise(text)
        if not key:
            return False
        known = self._goods_word_cache.get(key)
        if known is None:
            names = self._norm.keys() | self._loose.keys()
            # 大米 ends with the item 米; 苹果 is the head of the item 苹果（水果）.
            known = any(key[i:] in names for i in range(len(key))) or any(key in name for name in names)
            if len(self._goods_word_cache) < 100_000:
                self._goods_word_cache[key] = known
        return known


    def match_parts(self, text: str, cls: tuple[int, ...]) -> Iterator[GoodsMatch]:
        """Matches of a text that may list several goods (茶；咖啡 or 绿茶，咖啡)."""
        for part in _SEMICOLON.split(text or ""):
            if not part.strip(STRIP_CHARS):
                continue
            pieces = [p for p in _COMMA.split(part) if p.strip(STRIP_CHARS)]
            if len(pieces) > 1:
                # "方便粉丝，方便面" is one table item: only a sure match keeps the text whole.
                whole = self._match_cached(part, cls, False)
                if whole is None:
                    for piece in pieces:
                        m = self._match_cached(piece, cls)
                        if m is not None:
                            yield m
                    continue
                yield whole
                continue
            m = self._match_cached(part, cls)
            if m is not None:
                yield m

    # --- matching internals ----------------------------------------------------------------

    def match_uncached(
        self, text: str, cls: tuple[int, ...], guess: bool = True, exclude: str | None = None
    ) -> GoodsMatch | None:
        """One text → one group; `guess=False` stops before the fallback.
        `exclude` drops one item code (leave-one-out tuning only)."""

        def usable(entries: Iterable[_Entry]) -> list[_Entry]:
            # With classes given, an item of another class is a homonym (乙醇 in class 1 vs
            # 乙醇（燃料） in class 4), not the goods the applicant meant.
            return [
                e for e in entries if e.item != exclude and (not cls or self._group_class[e.group] in cls)
            ]

        raw = text.strip().rstrip("*").strip()
        hit = usable([self._exact[raw]] if raw in self._exact else [])
        if hit:
            e = hit[0]
            return GoodsMatch(e.group, e.item, e.item_name, "exact")
        key = normalise(text)
        if not key:
            return None
        hit = usable(self._norm.get(key, ()))
        if _single_group(hit):
            return GoodsMatch(hit[0].group, hit[0].item, hit[0].item_name, "normalised")
        bare = _without_brackets(key)
        for k in dict.fromkeys((key, bare)):
            hit = usable(self._loose.get(k, ()))
            if k != key:  # the text itself had a bracketed note: its bare form may be an item
                hit += usable(self._norm.get(k, ()))
            if _single_group(hit):
                return GoodsMatch(hit[0].group, hit[0].item, hit[0].item_name, "bracket")
        if not guess or not cls or not bare:
            return None  # guessing without a class is how wrong groups creep in
        return self._fallback(bare, cls, exclude)

    def _fallback(self, key: str, cls: tuple[int, ...], exclude: str | None) -> GoodsMatch | None:
        """Texts that are no table item: containment, head-noun vote, fuzzy, modifier + item."""
        classes = [n for n in cls if n in self._class_keys]
        if not classes:
            return None

        # 1. Contained in longer item names (饮用水 ⊂ 佐餐饮用水), all in one group.
        if len(key) >= 2:
            found = {
                e.item: e
                for n in classes
                for k, entries in self._class_keys[n].items()
                if key in k and k != key and _same_qualifiers(key, k, key)
                for e in entries
                if e.item != exclude
            }
            vote = _vote(found.values(), CONTAINED_MIN_ITEMS, 1.0)
            if vote is not None:
                return GoodsMatch(
                    vote[0].group, vote[0].item, vote[0].item_name, "contained", vote[1], vote[2]
                )

        # 2. Head noun: the longest suffix of the text that table items share; stop on disagreement.
        for start in range(1, len(key)):
            head = key[start:]
            found = {
                e.item: e
                for n in classes
                for e in self._class_suffixes[n].get(head, ())
                if e.item != exclude and _same_qualifiers(key, e.key, head)
            }
            if not found:
                continue
            need, share = (
                (HEAD_CHAR_MIN_ITEMS, HEAD_CHAR_MIN_SHARE)
                if len(head) == 1
                else (HEAD_MIN_ITEMS, HEAD_MIN_SHARE)
            )
            top_votes = Counter(e.group for e in found.values()).most_common(1)[0][1]
            if top_votes / len(found) < share:
                break  # the items ending like this text disagree; shorter suffixes only add noise
            vote = _vote(found.values(), need, share)
            if vote is not None:
                return GoodsMatch(vote[0].group, vote[0].item, vote[0].item_name, "head", vote[1], vote[2])

        # 3. Fuzzy: the nearest item names must be near enough and agree on the group.
        near: list[tuple[float, _Entry]] = []
        for n in classes:
            keyed = self._class_keys[n]
            for name, score, _ in process.extract(
                key,
                self._class_choices[n],
                scorer=fuzz.ratio,
                limit=FUZZY_AGREE + 4,
                score_cutoff=FUZZY_THRESHOLD,
            ):
                near += [(float(score), e) for e in keyed[name] if e.item != exclude]
        near.sort(key=lambda p: -p[0])
        distinct: dict[str, tuple[float, _Entry]] = {}
        for fuzzy_score, e in near:
            distinct.setdefault(e.item, (fuzzy_score, e))
        top = list(distinct.values())[:FUZZY_AGREE]
        if len(top) == FUZZY_AGREE and len({e.group for _, e in top}) == 1:
            score, e = top[0]
            return GoodsMatch(e.group, e.item, e.item_name, "fuzzy", score, len(top))

        # 4. Modifier + item (有机绿茶, 进口红葡萄酒): the text ends with a whole item name, and the
        #    modifier is no qualifier that the table uses to move goods (工业用, 医用, 宠物…).
        for start in range(1, len(key) - MODIFIED_ITEM_MIN_LEN + 1):
            entries = [
                e for n in classes for e in self._class_keys[n].get(key[start:], ()) if e.item != exclude
            ]
            if entries:
                if _QUALIFIER.search(key[:start]) or not _single_group(entries):
                    return None
                e = entries[0]
                return GoodsMatch(
                    e.group, e.item, e.item_name, "modified", 100.0 * (len(key) - start) / len(key)
                )
        return None




def _same_qualifiers(text: str, item_key: str, shared: str) -> bool:
    """False when the item adds a qualifier (医用, 宠物, 工业用…) the text does not have, or the
    text has a qualifier of use (兽医用, 宠物…; a bare 用 as in 饮用 does not count) the item lacks."""
    item_q = set(_QUALIFIER.findall(item_key.replace(shared, "", 1)))
    if item_q - set(_QUALIFIER.findall(text)):
        return False
    text_q = set(_QUALIFIER.findall(text.replace(shared, "", 1))) - {"用"}
    return not text_q - set(_QUALIFIER.findall(item_key))


def _vote(entries: Iterable[_Entry], min_items: int, min_share: float) -> tuple[_Entry, float, int] | None:
    """(an entry of the winning group, its share in %, its item count) if the vote is clear."""
    by_group: dict[str, list[_Entry]] = defaultdict(list)
    for e in entries:
        by_group[e.group].append(e)
    if not by_group:
        return None
    total = sum(len(v) for v in by_group.values())
    _, members = max(by_group.items(), key=lambda kv: (len(kv[1]), kv[0]))
    if len(members) >= min_items and len(members) / total >= min_share:
        members.sort(key=lambda e: (len(e.key), e.item))  # the shortest (most generic) item names it
        return members[0], 100.0 * len(members) / total, len(members)
    return None


def _single_group(entries: list[_Entry]) -> bool:
    return bool(entries) and len({e.group for e in entries}) == 1


def class_key(classes: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted({int(c) for c in classes or ()}))

