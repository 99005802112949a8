"""Goods and services similarity, after China's 类似商品和服务区分表 (Similar Goods and Services
Classification Table, NCL 13-2026 edition).

Examiners presume goods in the same 类似群 (similar group) to be similar, goods in the same Nice
class but another group to be possibly similar, and goods in other classes not similar unless
the earlier mark is 驰名 (well known, protected across classes). `goods_overlap` scores a pair
of marks that way; `SimilarGoodsTable` (here) maps the free goods texts of a gazette to group codes.

Data: `data/nice/` (see NOTICE.md there). Cross-group similarity (交叉检索 and the notes under each
group) is not in the source data, so no cross-class "related goods" pairs are offered here.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from markwatch.errors import FileFormatError
from markwatch.goods.text_index import STRIP_CHARS, GoodsMatch, GoodsTextIndex, class_key

if TYPE_CHECKING:
    from markwatch.ports import GoodsTable

TABLE_FILE = "cn-similar-groups-ncl13-2026.jsonl"
CLASSES_EN_FILE = "nice-classes-en.json"
EDITION = "NCL(13-2026)"


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
class MarkGroups:
    """A gazette mark's 类似群: those its record carries or, when it carries none, those its goods texts
    map to in the table (`from_goods`). `complete` is False when some goods text found no group: the
    groups are then a lower bound."""

    groups: frozenset[str]
    from_goods: bool = False
    complete: bool = True


def mark_groups(table: GoodsTable | None, similar_groups: Iterable[str] | None, goods: Iterable[str] | None,
                classes: Iterable[int] | None = ()) -> MarkGroups:
    """The one rule for a mark's 类似群, used by the matcher, the alert page, the exports and the
    opposition pack: the record's own codes win; otherwise the goods texts are looked up in the table."""
    carried = frozenset(str(g) for g in similar_groups or ())
    goods = list(goods or ())
    if carried or not goods or table is None:
        return MarkGroups(carried)
    mapping = table.map_goods(goods, classes or ())
    return MarkGroups(frozenset(mapping.groups), from_goods=True, complete=mapping.complete)


class SimilarGoodsTable:
    """The 类似商品和服务区分表: classes, 类似群 (similar groups) and their items; with `notes` (an
    operator's `goods.notes.GoodsNotes`), the groups and classes the table's notes relate."""

    notes = None  # GoodsNotes | None: see with_notes

    def __init__(self, rows: Iterable[dict], classes_en: Iterable[dict] = ()):
        self._class_names: dict[int, str] = {}
        self._group_names: dict[str, str] = {}
        self._group_class: dict[str, int] = {}
        self._item_names: dict[str, str] = {}
        self._item_group: dict[str, str] = {}
        items: list[dict] = []
        for row in rows:
            kind, code = row.get("type"), str(row.get("code", ""))
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
        self._text = GoodsTextIndex(self._item_names, self._item_group, self._group_class)

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

    def with_notes(self, notes) -> SimilarGoodsTable:
        """The same table (sharing its data) that also knows the notes' relations."""
        import copy

        other = copy.copy(self)
        other.notes = notes
        return other

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
        return self._text.is_goods_word(text)

    def item_name(self, code: str) -> str:
        return self._item_names[code]

    def names_by_class(self) -> Iterator[tuple[int, str]]:
        """(class, name) of every item and every 类似群 of the table: the goods vocabulary by class."""
        for code, name in self._item_names.items():
            yield self._group_class[self._item_group[code]], name
        for code, name in self._group_names.items():
            yield self._group_class[code], name

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
        cls = class_key(classes)
        matches: list[tuple[str, GoodsMatch]] = []
        unmapped: list[str] = []
        for text in goods_texts:
            found = list(self._text.match_parts(text, cls))
            if found:
                matches += [(text, m) for m in found]
            elif text and text.strip(STRIP_CHARS):
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
        return self._text.match(text, class_key(classes))



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
    folder = resources.files("markwatch").joinpath("data").joinpath("nice")
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

