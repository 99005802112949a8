"""Notes of the 类似商品和服务区分表 (注): which similar groups and classes are similar across the table.

The notes printed under each 类似群 say that its goods are similar to those of other groups, also in
other classes (2901 meat extracts ↔ 2905 soups ↔ 3016 gravies; class 03 soaps ↔ class 05 medicated
soaps), or must be searched together with them. markwatch ships no notes (the transcriptions it
knows of are not free to redistribute): an operator names a notes file in the setting
`goods_notes_path`, read once at start-up.

The file is JSON lines, one note per line, with at least `group` (a 类似群 code) and any of
`similar_to` and `cross_search` (lists of group codes) and `similar_to_classes` (class numbers, as
numbers or strings). Other fields are ignored. Relations are taken both ways.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from markwatch.errors import FileFormatError


def _group_code(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("group") or value.get("code")
    code = str(value or "").strip()
    return code if len(code) == 4 and code.isdigit() and 1 <= int(code[:2]) <= 45 else None


def _class_number(value: object) -> int | None:
    try:
        n = int(str(value).strip())
    except ValueError:
        return None
    return n if 1 <= n <= 45 else None


@dataclass(frozen=True)
class GoodsNotes:
    """Group-to-group relations (similar or searched together) and the classes they join."""

    groups: dict[str, frozenset[str]] = field(default_factory=dict)
    classes: dict[int, frozenset[int]] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def from_rows(cls, rows: Iterable[dict], *, source: str = "") -> GoodsNotes:
        groups: dict[str, set[str]] = defaultdict(set)
        classes: dict[int, set[int]] = defaultdict(set)
        for row in rows:
            g = _group_code(row.get("group"))
            if g is None:
                continue
            for other in list(row.get("similar_to") or ()) + list(row.get("cross_search") or ()):
                h = _group_code(other)
                if h is not None and h != g:
                    groups[g].add(h)
                    groups[h].add(g)
                    a, b = int(g[:2]), int(h[:2])
                    if a != b:
                        classes[a].add(b)
                        classes[b].add(a)
            for other in row.get("similar_to_classes") or ():
                n = _class_number(other)
                if n is not None and n != int(g[:2]):
                    classes[int(g[:2])].add(n)
                    classes[n].add(int(g[:2]))
        return cls({k: frozenset(v) for k, v in groups.items()}, {k: frozenset(v) for k, v in classes.items()},
                   source)

    @classmethod
    def from_file(cls, path: str | Path) -> GoodsNotes:
        path = Path(path)
        rows = []
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except OSError as exc:
            raise FileFormatError(f"goods notes {path}: cannot read ({exc}); fix the setting goods_notes_path") \
                from exc
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FileFormatError(f"goods notes {path} line {n}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or "group" not in row:
                raise FileFormatError(f"goods notes {path} line {n}: a note needs its group")
            rows.append(row)
        return cls.from_rows(rows, source=str(path))

    def related_groups(self, group: str) -> frozenset[str]:
        return self.groups.get(group, frozenset())

    def related_classes(self, n: int) -> frozenset[int]:
        return self.classes.get(int(n), frozenset())

    def noted_groups(self, a: Iterable[str], b: Iterable[str]) -> list[tuple[str, str]]:
        """(group of a, group of b) pairs that a note relates."""
        bs = set(b)
        return [(g, h) for g in a for h in sorted(self.related_groups(g) & bs)]

    def noted_classes(self, a: Iterable[int], b: Iterable[int]) -> list[tuple[int, int]]:
        bs = {int(x) for x in b}
        return [(int(n), m) for n in a for m in sorted(self.related_classes(n) & bs)]

    def class_link_share(self, a: int, b: int, groups_of_class) -> float:
        """How much of classes a and b the notes join: the share of their groups with a note to the
        other class (29/30 about half; 9/18 a few percent). `groups_of_class(n)` lists a class's groups."""
        ga, gb = tuple(groups_of_class(int(a))), tuple(groups_of_class(int(b)))
        if not ga or not gb:
            return 0.0
        linked = sum(1 for g in ga if any(int(h[:2]) == int(b) for h in self.related_groups(g)))
        linked += sum(1 for g in gb if any(int(h[:2]) == int(a) for h in self.related_groups(g)))
        return linked / (len(ga) + len(gb))
