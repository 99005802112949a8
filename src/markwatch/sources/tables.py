"""Tabular files (JSON Lines, CSV/TSV, XLSX): format by extension, rows as header → cell mappings.

Locators are what a clerk sees in an editor: ``line N`` is the physical line of a JSON Lines file,
``row N`` the spreadsheet row (the header is row 1)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from markwatch.errors import FileFormatError
from markwatch.sources.decoding import read_text_file
from markwatch.sources.fields import RawRow, is_blank

# ---------------------------------------------------------------------------------------------
# Format detection
# ---------------------------------------------------------------------------------------------

EXTENSIONS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json-lines": "jsonl",
    ".csv": "csv", ".tsv": "tsv", ".xlsx": "xlsx", ".xml": "xml", ".json": "json",
}
FORMATS = ("jsonl", "json", "csv", "tsv", "xlsx", "st66", "st96", "madrid")


def check_readable(path: Path) -> None:
    if not path.exists():
        raise FileFormatError(f"{path}: no such file (文件不存在)")
    if not path.is_file():
        raise FileFormatError(f"{path}: not a regular file (不是文件)")


def table_format_for(path: Path, allowed: Iterable[str], extra: Mapping[str, str] | None = None) -> str:
    """The reader for a file name among ``allowed``, else a FileFormatError naming the choices.

    ``extra`` adds extensions (".yaml" → "yaml") known to the caller only.
    """
    extensions = {**EXTENSIONS, **(extra or {})}
    allowed = set(allowed) | set((extra or {}).values())
    suffix = Path(path).suffix.lower()
    fmt = extensions.get(suffix)
    if fmt is None or fmt not in allowed:
        known = sorted(s for s, f in extensions.items() if f in allowed)
        hint = " (save old .xls workbooks as .xlsx)" if suffix == ".xls" else ""
        raise FileFormatError(
            f"{path}: unknown file type {suffix or '(no extension)'!r}; expected one of "
            f"{', '.join(known)}{hint} (不支持的文件类型)"
        )
    return fmt



# ---------------------------------------------------------------------------------------------
# Tabular readers (JSON Lines, CSV/TSV, XLSX)
# ---------------------------------------------------------------------------------------------



def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def jsonl_lines(text: str) -> list[tuple[int, str]]:
    """The non-blank lines of a JSON Lines text with their physical line numbers. Each parses on its own
    (`jsonl_rows`), so a file's lines can be split into runs read apart."""
    # split on "\n" only: str.splitlines() would also split on U+2028, which JSON allows in strings
    lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if line.strip():
            lines.append((number, line))
    return lines


def jsonl_rows(lines: Iterable[tuple[int, str]]) -> Iterator[RawRow]:
    """Numbered JSON Lines (`jsonl_lines`) as RawRows."""
    for number, line in lines:
        locator = f"line {number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RawRow(locator, line, None,
                         f"not valid JSON: {exc.msg} at column {exc.colno} (不是有效的 JSON)")
            continue
        if not isinstance(value, dict):
            kind = "an array" if isinstance(value, list) else type(value).__name__
            yield RawRow(locator, line, None, f"JSON line is {kind}, not an object (不是 JSON 对象)")
            continue
        yield RawRow(locator, line, value, None)


def _header_names(cells: Iterable[Any]) -> list[str]:
    return ["" if c is None else str(c).strip().lstrip("\ufeff") for c in cells]


def _iter_cells(rows: Iterator[list[Any]], check_header: Callable[[list[str]], None] | None,
                path: Path, first_row: int = 1) -> Iterator[RawRow]:
    """Rows of cells (first = header) → RawRows located as spreadsheet rows (the header is `first_row`)."""
    header: list[str] | None = None
    for number, cells in enumerate(rows, start=first_row):
        if header is None:
            header = _header_names(cells)
            if not any(header):
                raise FileFormatError(f"{path}: the first row must be a header row, but it is empty (缺少表头)")
            if check_header:
                check_header(header)
            continue
        cells = list(cells)
        if all(is_blank(c) for c in cells):
            continue  # blank rows are layout, not records; they still count for row numbers
        locator = f"row {number}"
        named = [h for h in header if h]
        extra = [c for c in cells[len(header):] if not is_blank(c)]
        if extra:
            raw = json.dumps(cells, ensure_ascii=False, default=_json_default)
            yield RawRow(locator, raw, None,
                         f"row has {len(header) + len(extra)} cells but the header has {len(header)} "
                         "(列数多于表头，可能有未加引号的分隔符)")
            continue
        mapping: dict[str, Any] = {}
        for name, cell in zip(header, cells):
            if name and (name not in mapping or is_blank(mapping[name])):
                mapping[name] = cell
        raw = json.dumps({h: mapping.get(h) for h in named}, ensure_ascii=False, default=_json_default)
        yield RawRow(locator, raw, mapping, None)
    if header is None:
        raise FileFormatError(f"{path}: the file is empty, it needs a header row (文件为空)")


def _csv_rows(text: str, delimiter: str) -> Iterator[list[Any]]:
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def check_zip_inflation(path: Path, *, max_bytes: int, max_ratio: float) -> None:
    """Refuse a zip (xlsx) whose members would inflate past `max_bytes` in all, or any member
    past `max_ratio` times its compressed size: openpyxl reads sharedStrings.xml whole, and a
    few kB of repeated sheet XML stand for millions of rows. Sizes come from the zip directory,
    nothing is decompressed here."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileFormatError(f"{path}: not a readable .xlsx workbook: {exc} (Excel 文件无法读取)") from None
    total = sum(m.file_size for m in members)
    if total > max_bytes:
        raise FileFormatError(f"{path}: the workbook unpacks to {total} bytes, at most {max_bytes} allowed "
                              "(Excel 文件解压后过大)")
    for m in members:
        # small members compress well without being a bomb; only large ones are judged by ratio
        if m.file_size > 1_000_000 and m.file_size > max_ratio * max(m.compress_size, 1):
            raise FileFormatError(f"{path}: {m.filename} unpacks {m.file_size // max(m.compress_size, 1)} times "
                                  f"its size, at most {max_ratio:g} allowed (Excel 文件压缩比异常)")


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileFormatError(f"{path}: not a readable .xlsx workbook: {exc} (Excel 文件无法读取)") from None
    try:
        if not workbook.worksheets:
            raise FileFormatError(f"{path}: the workbook has no worksheet (工作簿没有工作表)")
        sheet = workbook.worksheets[0]
        # some writers store a wrong sheet size; without this, read-only mode would trust it
        sheet.reset_dimensions()
        for cells in sheet.iter_rows(values_only=True):
            yield list(cells)
    finally:
        workbook.close()


def iter_cell_rows(path: Path, fmt: str) -> Iterator[list[Any]]:
    """The raw cells of each row of a csv/tsv/xlsx file, title rows included (for tables whose header is
    not the first row, such as published lists with a title above the header)."""
    path = Path(path)
    if fmt in ("csv", "tsv"):
        return _csv_rows(read_text_file(path), "," if fmt == "csv" else "\t")
    if fmt == "xlsx":
        return _xlsx_rows(path)
    raise FileFormatError(f"{path}: {fmt!r} is not a spreadsheet format")


def cell_rows_as_mappings(rows: Iterator[list[Any]], path: Path, first_row: int = 1) -> Iterator[RawRow]:
    """Rows of cells whose first is the header (spreadsheet row `first_row`) as RawRows."""
    return _iter_cells(rows, None, Path(path), first_row)


def iter_table_rows(path: Path, fmt: str,
                    check_header: Callable[[list[str]], None] | None = None) -> Iterator[RawRow]:
    """Rows of a jsonl/csv/tsv/xlsx file as mappings (header → cell), never validated here.

    Text files are decoded with ``decode_bytes`` (UTF-8, BOM, GBK/GB18030). ``check_header``
    may raise FileFormatError when a header row lacks a needed column.
    """
    path = Path(path)
    if fmt == "jsonl":
        return jsonl_rows(jsonl_lines(read_text_file(path)))
    if fmt in ("csv", "tsv"):
        text = read_text_file(path)  # eagerly: an undecodable file fails at call time
        return _iter_cells(_csv_rows(text, "," if fmt == "csv" else "\t"), check_header, path)
    if fmt == "xlsx":
        return _iter_cells(_xlsx_rows(path), check_header, path)
    raise FileFormatError(f"{path}: {fmt!r} is not a tabular format")
