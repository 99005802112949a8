"""Goods and services similarity, after China's 类似商品和服务区分表 (Similar Goods and Services
Classification Table, NCL 13-2026 edition).

Examiners presume goods in the same 类似群 (similar group) to be similar, goods in the same Nice
class but another group to be possibly similar, and goods in other classes not similar unless
the earlier mark is 驰名 (well known, protected across classes). `goods_overlap` scores a pair
of marks that way; `SimilarGoodsTable` maps the free goods texts of a gazette to group codes.

Data: `data/nice/` (see NOTICE.md there). Cross-group similarity (交叉检索 and the notes under each
group) is not in the source data, so no cross-class "related goods" pairs are offered here.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from rapidfuzz import fuzz, process

from .errors import FileFormatError
from .model import Reason

TABLE_FILE = "cn-similar-groups-ncl13-2026.jsonl"
CLASSES_EN_FILE = "nice-classes-en.json"
EDITION = "NCL(13-2026)"

# Fallback for texts that are not a table item, searched only within the given classes. The
# numbers were tuned leave-one-out on the table itself (each item removed in turn and mapped back
# from its name; see `_match_uncached(exclude=...)`), where abstaining is cheap and a wrong group
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
_STRIP = " \t\r\n*。.;:、,"
# Texts that list several goods: gazette exports sometimes keep a whole 商品/服务项目 line.
_SEMICOLON = re.compile(r"[;；]")
_COMMA = re.compile(r"[,，](?![^()（）]*[)）])")  # not inside brackets


def normalise(text: str) -> str:
    """Matching key: NFKC (full-width → half-width), lower case, one bracket style, no spaces."""
    key = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    key = _SPACE.sub("", key).lower()
    return key.strip(_STRIP)


def _without_brackets(key: str) -> str:
    """`水(饮料)` → `水`: the bracket explains the item; texts often leave it out."""
    prev = None
    while prev != key:
        prev, key = key, _PAREN.sub("", key)
    return key.strip(_STRIP)


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
class GoodsMapping:
    """Goods texts of one mark mapped to 类似群: groups found, per-text matches, texts not placed."""

    groups: frozenset[str]
    matches: tuple[tuple[str, GoodsMatch], ...] = ()
    unmapped: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.unmapped


@dataclass(frozen=True)
class _Entry:
    key: str
    group: str
    item: str
    item_name: str


class SimilarGoodsTable:
    """The 类似商品和服务区分表: classes, 类似群 (similar groups) and their items."""

    def __init__(self, rows: Iterable[dict], classes_en: Iterable[dict] = ()):
        self._class_names: dict[int, str] = {}
        self._group_names: dict[str, str] = {}
        self._group_class: dict[str, int] = {}
        self._item_names: dict[str, str] = {}
        self._item_group: dict[str, str] = {}
        items: list[dict] = []
        for row in rows:
            kind, code = row.get("type"), row.get("code")
            if kind == "class":
                self._class_names[int(code)] = row["name"]
            elif kind == "group":
                self._group_names[code] = row["name"]
                self._group_class[code] = int(row["parentCode"])
            elif kind == "item":
                items.append(row)
            else:
                raise FileFormatError(f"similar-goods table: unknown row type {kind!r} for code {code!r}")
        for row in items:
            if row["parentCode"] not in self._group_names:
                raise FileFormatError(
                    f"similar-goods table: item {row['code']} names unknown group {row['parentCode']!r}"
                )
            self._item_names[row["code"]] = row["name"]
            self._item_group[row["code"]] = row["parentCode"]
        self._classes_en: dict[int, dict] = {int(c["number"]): c for c in classes_en}
        self._groups_by_class: dict[int, tuple[str, ...]] = {}
        by_class: dict[int, list[str]] = defaultdict(list)
        for code in sorted(self._group_names):
            by_class[self._group_class[code]].append(code)
        self._groups_by_class = {n: tuple(codes) for n, codes in by_class.items()}
        self._build_indexes()
        self._match_cached = lru_cache(maxsize=TEXT_CACHE_SIZE)(self._match_uncached)

    # --- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls) -> SimilarGoodsTable:
        """The table shipped with markwatch, parsed once per process."""
        return _load_shipped()

    @classmethod
    def from_files(cls, table_path, classes_en_path=None) -> SimilarGoodsTable:
        """A table from other files (another edition); `.gz` files are read transparently."""
        with _open_text(table_path) as fh:
            rows = list(_read_jsonl(fh, str(table_path)))
        classes_en: list[dict] = []
        if classes_en_path is not None:
            with _open_text(classes_en_path) as fh:
                classes_en = json.load(fh)
        return cls(rows, classes_en)

    # --- lookups ---------------------------------------------------------------------------

    @property
    def classes(self) -> tuple[int, ...]:
        return tuple(sorted(self._class_names))

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(sorted(self._group_names))

    @property
    def item_count(self) -> int:
        return len(self._item_names)

    def class_name(self, n: int) -> str:
        """Chinese class heading (类别名称) of Nice class `n`."""
        try:
            return self._class_names[int(n)]
        except (KeyError, ValueError):
            raise KeyError(f"no Nice class {n!r}; classes are 1-45") from None

    def class_name_en(self, n: int) -> str:
        """English class heading, or "" when the English file was not loaded."""
        self.class_name(n)  # same error for an unknown class
        return self._classes_en.get(int(n), {}).get("heading", "")

    def group_name(self, code: str) -> str:
        """Name of 类似群 `code`, e.g. "3002" → "茶，茶饮料"."""
        try:
            return self._group_names[code]
        except KeyError:
            raise KeyError(f"no similar group {code!r} in the {EDITION} table") from None

    def group_class(self, code: str) -> int:
        """Nice class of 类似群 `code` (from the table; the code's first two digits otherwise)."""
        if code in self._group_class:
            return self._group_class[code]
        if len(code) == 4 and code.isdigit() and 1 <= int(code[:2]) <= 45:
            return int(code[:2])  # a group of another edition: the code still starts with the class
        raise KeyError(f"no similar group {code!r} in the {EDITION} table")

    def groups_of_class(self, n: int) -> tuple[str, ...]:
        self.class_name(n)
        return self._groups_by_class.get(int(n), ())

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

    def item_name(self, code: str) -> str:
        return self._item_names[code]

    def item_group(self, code: str) -> str:
        """类似群 of item `code` (its parentCode; NOT the first four digits of the item code)."""
        try:
            return self._item_group[code]
        except KeyError:
            raise KeyError(f"no item {code!r} in the {EDITION} table") from None

    def items_of_group(self, code: str) -> list[tuple[str, str]]:
        """(item code, name) of every item in 类似群 `code`."""
        self.group_name(code)
        return [(c, self._item_names[c]) for c, g in self._item_group.items() if g == code]

    # --- goods texts → groups --------------------------------------------------------------

    def groups_for_goods(self, goods_texts: Iterable[str], classes: Iterable[int] = ()) -> set[str]:
        """类似群 codes of free goods texts. Texts that cannot be placed are left out."""
        return set(self.map_goods(goods_texts, classes).groups)

    def map_goods(self, goods_texts: Iterable[str], classes: Iterable[int] = ()) -> GoodsMapping:
        """Like `groups_for_goods`, and says which texts could not be placed (then the groups
        are a lower bound: an unplaced text may be in the other side's group)."""
        cls = _class_key(classes)
        matches: list[tuple[str, GoodsMatch]] = []
        unmapped: list[str] = []
        for text in goods_texts:
            found = list(self._match_parts(text, cls))
            if found:
                matches += [(text, m) for m in found]
            elif text and text.strip(_STRIP):
                unmapped.append(text)
        groups = frozenset(m.group for _, m in matches)
        return GoodsMapping(groups, tuple(matches), tuple(unmapped))

    def match_goods_text(self, text: str, classes: Iterable[int] = ()) -> GoodsMatch | None:
        """Best table match for one goods text, with the rule that found it; None if none is safe.

        Order: exact item name (synonyms split at '，', trailing '*' removed), normalised name
        (full-/half-width, brackets, spaces), name without its bracketed note; then, only within
        `classes`, a guess: contained in item names, head-noun vote, fuzzy, modifier + item.
        With `classes` given, items of other classes are never returned.
        """
        if not text:
            return None
        return self._match_cached(text, _class_key(classes))

    def _match_parts(self, text: str, cls: tuple[int, ...]) -> Iterator[GoodsMatch]:
        """Matches of a text that may list several goods (茶；咖啡 or 绿茶，咖啡)."""
        for part in _SEMICOLON.split(text or ""):
            if not part.strip(_STRIP):
                continue
            pieces = [p for p in _COMMA.split(part) if p.strip(_STRIP)]
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

    def _build_indexes(self) -> None:
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

    def _match_uncached(
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
            top = Counter(e.group for e in found.values()).most_common(1)[0][1]
            if top / len(found) < share:
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
        for score, e in near:
            distinct.setdefault(e.item, (score, e))
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


def _class_key(classes: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted({int(c) for c in classes or ()}))


def _open_text(path):
    path = str(path)
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _read_jsonl(lines: Iterable[str], source: str) -> Iterator[dict]:
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise FileFormatError(f"{source}, line {n}: not JSON ({exc.msg})") from exc


def _read_resource(name: str) -> str:
    """Text of a shipped data file; a gzipped copy (`name.gz`) is read the same way."""
    folder = resources.files("markwatch").joinpath("data", "nice")
    plain = folder.joinpath(name)
    if plain.is_file():
        return plain.read_text(encoding="utf-8")
    packed = folder.joinpath(name + ".gz")
    if packed.is_file():
        return gzip.decompress(packed.read_bytes()).decode("utf-8")
    raise FileFormatError(f"markwatch data file data/nice/{name} is missing: reinstall markwatch")


@lru_cache(maxsize=1)
def _load_shipped() -> SimilarGoodsTable:
    rows = list(_read_jsonl(_read_resource(TABLE_FILE).splitlines(), TABLE_FILE))
    classes_en = json.loads(_read_resource(CLASSES_EN_FILE))
    return SimilarGoodsTable(rows, classes_en)


# --- overlap of two marks' goods -------------------------------------------------------------


@dataclass(frozen=True)
class OverlapRules:
    """Scores of the goods comparison, as an examiner weighs it (readable in one place)."""

    same_group: float = 1.0  # same 类似群: presumed similar
    same_class_groups_unknown: float = 0.8  # same class, groups not known on one side
    same_class_other_groups: float = 0.5  # same class, both groups known and different
    classes_unknown: float = 0.6  # no class on one side: cannot rule anything out
    well_known_cross_class: float = 0.7  # 驰名商标: protected beyond its own goods
    different_class: float = 0.0


RULES = OverlapRules()


@dataclass
class GoodsOverlap:
    """How far the goods of a watched brand and of a published mark overlap."""

    score: float  # 0..1
    same_groups: tuple[str, ...] = ()
    same_classes: tuple[int, ...] = ()
    reasons: list[Reason] = field(default_factory=list)


def goods_overlap(
    brand_classes: Iterable[int],
    brand_groups: Iterable[str],
    cand_classes: Iterable[int],
    cand_groups: Iterable[str],
    *,
    well_known: bool = False,
    table: SimilarGoodsTable | None = None,
    rules: OverlapRules = RULES,
) -> GoodsOverlap:
    """Score the goods of a brand against those of a candidate mark. Empty groups mean unknown."""
    table = table or SimilarGoodsTable.load()
    b_classes, c_classes = set(_class_key(brand_classes)), set(_class_key(cand_classes))
    b_groups, c_groups = set(brand_groups or ()), set(cand_groups or ())

    # Same 类似群 decides on its own: the group code already names the class.
    shared_groups = tuple(sorted(b_groups & c_groups))
    if shared_groups:
        classes = {c for c in (_group_class(table, g) for g in shared_groups) if c is not None}
        classes |= b_classes & c_classes
        names = "；".join(_group_name(table, g) for g in shared_groups)
        plural = "s" if len(shared_groups) > 1 else ""
        reason = Reason(
            "goods",
            f"类似群 {'、'.join(shared_groups)} 相同（{names}）",
            # The table has no English group names: the Chinese name and the Nice class stand in.
            f"same similar-goods group{plural} {', '.join(shared_groups)} ({names}; {_classes_en(classes)})",
            rules.same_group,
        )
        return GoodsOverlap(rules.same_group, shared_groups, tuple(sorted(classes)), [reason])

    if not b_classes or not c_classes:
        reason = Reason("goods", "类别未知", "classes unknown", rules.classes_unknown)
        return _with_well_known(GoodsOverlap(rules.classes_unknown, reasons=[reason]), well_known, rules)

    shared_classes = tuple(sorted(b_classes & c_classes))
    if not shared_classes:
        reason = Reason(
            "goods",
            f"类别不同（{_classes_zh(b_classes)} / {_classes_zh(c_classes)}）",
            f"different classes ({_classes_en(b_classes)} vs {_classes_en(c_classes)})",
            rules.different_class,
        )
        return _with_well_known(GoodsOverlap(rules.different_class, (), (), [reason]), well_known, rules)

    # Same class: groups known on both sides in that class (and, as none is shared, different)?
    unknown = tuple(
        n for n in shared_classes if not _in_class(table, b_groups, n) or not _in_class(table, c_groups, n)
    )
    if unknown:
        score = rules.same_class_groups_unknown
        reason = Reason("goods", f"同属{_classes_zh(unknown)}", f"both in {_classes_en(unknown)}", score)
    else:
        score = rules.same_class_other_groups
        reason = Reason(
            "goods",
            f"同属{_classes_zh(shared_classes)}但类似群不同",
            f"same {_classes_en(shared_classes)}, different similar groups",
            score,
        )
    return _with_well_known(GoodsOverlap(score, (), shared_classes, [reason]), well_known, rules)


def _with_well_known(result: GoodsOverlap, well_known: bool, rules: OverlapRules) -> GoodsOverlap:
    """A 驰名 (well-known) brand is protected across classes: never below that floor."""
    if well_known and result.score < rules.well_known_cross_class:
        result.score = rules.well_known_cross_class
        result.reasons.append(
            Reason(
                "goods",
                "驰名商标跨类保护",
                "well-known mark: protected across classes",
                rules.well_known_cross_class,
            )
        )
    return result


def _in_class(table: SimilarGoodsTable, groups: set[str], n: int) -> bool:
    return any(_group_class(table, g) == n for g in groups)


def _group_class(table: SimilarGoodsTable, code: str) -> int | None:
    try:
        return table.group_class(code)
    except KeyError:
        return None


def _group_name(table: SimilarGoodsTable, code: str) -> str:
    try:
        return table.group_name(code)
    except KeyError:
        return "?"


def _classes_zh(classes: Iterable[int]) -> str:
    return "、".join(f"第{n}类" for n in sorted(classes))


def _classes_en(classes: Iterable[int]) -> str:
    return ", ".join(f"class {n}" for n in sorted(classes))
