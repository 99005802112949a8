"""Key-trademark protection lists (重点商标保护名录) as provinces and cities publish them: a table of owner,
mark, registration number and class, usually under a title row such as
``2025年度浙江省重点商标保护名录``. Each row becomes a watched key brand (重点商标) whose id is its
registration number, with the list's name and year.

The header is found among the first rows (the one naming the mark and the registration number); the
rows above it are the title, from which the list's name and year are taken unless they are given.
A registration cell holding several numbers ("12345678、12345679") gives one brand per registration.
Bad rows come back as (locator, reason) pairs; the others are imported.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markwatch.errors import FileFormatError, RecordError
from markwatch.model import Brand
from markwatch.sources.fields import alias_table, canonical_mapping, is_blank, normalise_key, scalar_text
from markwatch.sources.tables import (
    cell_rows_as_mappings,
    check_readable,
    iter_cell_rows,
    iter_table_rows,
    table_format_for,
)
from markwatch.sources.watchlists import parse_brand_mapping

LIST_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "registration_no": ("registration_number", "reg_no", "注册号", "商标注册号", "注册证号", "申请/注册号",
                        "注册/申请号", "申请号"),
    "mark": ("商标", "商标名称", "商标标识", "商标文字", "品牌", "品牌名称"),
    "classes": ("class", "类别", "核定使用类别", "核定类别", "国际分类", "类号", "商品类别", "核定使用商品类别"),
    "owner": ("权利人", "注册人", "商标注册人", "商标权利人", "商标权人", "企业名称", "单位名称", "持有人",
              "申请人", "注册人名称"),
    "kind": ("商标种类", "种类", "商标类型"),
    "well_known": ("驰名商标", "是否驰名商标", "是否驰名"),
    "aliases": ("别名", "英文名称", "拼音"),
}
_KEYS = alias_table(LIST_FIELD_ALIASES)
MAX_HEADER_SEARCH = 20
_REG_SPLIT = re.compile(r"[;；、,，/\s]+")
_YEAR = re.compile(r"(19[89]\d|20\d\d)\s*年?")


@dataclass
class ProtectionList:
    name: str | None
    year: int | None
    brands: list[tuple[str, Brand]] = field(default_factory=list)  # (locator, brand)
    errors: list[tuple[str, str]] = field(default_factory=list)


def _is_header(cells: list[Any]) -> bool:
    names = {_KEYS.get(normalise_key(c)) for c in cells if not is_blank(c)}
    return "mark" in names and "registration_no" in names


def looks_like_protection_list(path: Path, fmt: str) -> bool:
    """A table whose header (first rows) has a registration number column and no brand id column."""
    from markwatch.sources.watchlists import BRAND_FIELD_ALIASES

    brand_ids = {normalise_key(a) for a in (*BRAND_FIELD_ALIASES["brand_id"], "brand_id")}
    try:
        if fmt == "jsonl":
            first = next(iter(iter_table_rows(path, fmt)), None)
            cells: list[list[Any]] = [list(first.mapping)] if first is not None and first.mapping else []
        else:
            cells = list(itertools.islice(iter_cell_rows(path, fmt), MAX_HEADER_SEARCH))
    except FileFormatError:
        return False
    for row in cells:
        if _is_header(row):
            return not any(normalise_key(c) in brand_ids for c in row if not is_blank(c))
    return False


def _title(rows: list[list[Any]]) -> str | None:
    texts = [str(c).strip() for r in rows for c in r if not is_blank(c)]
    return " ".join(texts) or None


def _rows(path: Path, fmt: str) -> tuple[str | None, Iterator[Any]]:
    if fmt == "jsonl":
        return None, iter(iter_table_rows(path, fmt))
    cells = iter_cell_rows(path, fmt)
    before: list[list[Any]] = []
    for number, row in enumerate(cells, start=1):
        if _is_header(row):
            return _title(before), iter(cell_rows_as_mappings(itertools.chain([row], cells), path, number))
        if number >= MAX_HEADER_SEARCH:
            break
        before.append(row)
    raise FileFormatError(f"{path}: no header row with 商标 (mark) and 注册号 (registration number) in the first "
                          f"{MAX_HEADER_SEARCH} rows (未找到含“商标”“注册号”的表头)")


def read_protection_list(path: Path, *, name: str | None = None, year: int | None = None) -> ProtectionList:
    """The brands of a 名录 table, with the list's name and year (given, else from the title row)."""
    path = Path(path)
    check_readable(path)
    fmt = table_format_for(path, {"csv", "tsv", "xlsx", "jsonl"})
    title, rows = _rows(path, fmt)
    list_name = (name or title or path.stem).strip()
    if year is None:
        found = _YEAR.search(name or title or path.stem)
        year = int(found.group(1)) if found else None
    result = ProtectionList(list_name, year)
    seen: dict[str, str] = {}
    for row in rows:
        if row.mapping is None:
            result.errors.append((row.locator, row.error or "unreadable row"))
            continue
        fields = canonical_mapping(row.mapping, _KEYS)
        try:
            numbers = [n for n in _REG_SPLIT.split(scalar_text(fields.get("registration_no") or "", "注册号")) if n]
        except RecordError as exc:
            result.errors.append((row.locator, str(exc)))
            continue
        if not numbers:
            result.errors.append((row.locator, "missing registration number (缺少注册号)"))
            continue
        for number in numbers:
            values = {**{k: v for k, v in fields.items() if k != "registration_no"}, "brand_id": number,
                      "registration_no": number, "key": True, "protection_list": list_name,
                      "protection_year": year}
            try:
                brand = parse_brand_mapping(values)
            except RecordError as exc:
                result.errors.append((row.locator, str(exc)))
                continue
            if number in seen:
                result.errors.append((row.locator, f"registration {number} is listed twice, also at {seen[number]} "
                                                   "(注册号重复)"))
                continue
            seen[number] = row.locator
            result.brands.append((row.locator, brand))
    return result
