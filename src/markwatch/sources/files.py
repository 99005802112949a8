"""Gazette file readers (商标公告文件读取): JSON Lines, CSV/TSV, XLSX, WIPO ST.66 and ST.96 XML.

Every reader yields one ``ParsedItem`` per record. A bad record becomes an error item with a
bilingual reason and the reader goes on; only a file that cannot be read at all (unknown
format, undecodable text, XML that is not well-formed or declares entities) raises
``FileFormatError``.

Locators are what a clerk sees in an editor: ``line N`` is the physical line of a JSON Lines
file, ``row N`` the spreadsheet row (the header is row 1), ``record N`` the N-th mark of an XML
file. The field parsers here (``parse_classes``, ``parse_date``...) are shared with the
watchlist reader.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError, tostring

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from markwatch.errors import FileFormatError, RecordError
from markwatch.model import MARK_TYPES, GazetteRecord

__all__ = [
    "FORMATS",
    "GAZETTE_FIELD_ALIASES",
    "ParsedItem",
    "RawRow",
    "canonical_mapping",
    "decode_bytes",
    "detect_format",
    "gazette_record_from_mapping",
    "iter_table_rows",
    "normalise_key",
    "parse_classes",
    "parse_date",
    "parse_mark_type",
    "parse_similar_groups",
    "parse_text_list",
    "check_zip_inflation",
    "read_gazette_file",
    "read_text_file",
    "table_format_for",
]

# ---------------------------------------------------------------------------------------------
# Text decoding
# ---------------------------------------------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a text file: UTF-8 with BOM, UTF-8, else GB18030 (a superset of GBK and GB2312).

    Returns ``(text, encoding_name)`` with any BOM removed. UTF-16 with a BOM (Excel's
    "Unicode text" export) is accepted too. Raises FileFormatError when nothing decodes
    cleanly or the result looks binary.
    """
    if data.startswith(_UTF8_BOM):
        candidates = [("utf-8-sig", data[len(_UTF8_BOM):], "utf-8")]
    elif data.startswith(_UTF16_BOMS):
        candidates = [("utf-16", data, "utf-16")]
    else:
        # UTF-8 first: valid UTF-8 of any length is almost never meaningful GB18030, while
        # the reverse is common, so this order decides correctly.
        candidates = [("utf-8", data, "utf-8"), ("gb18030", data, "gb18030")]
    for name, payload, codec in candidates:
        try:
            text = payload.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            # NUL never appears in a real text file: this is a binary file (xlsx, zip...).
            break
        return text.lstrip("\ufeff"), name
    tried = ", ".join(c[0] for c in candidates)
    raise FileFormatError(
        f"cannot decode the file as text (tried {tried}); save it as UTF-8 or GBK text "
        "(文件编码无法识别，请另存为 UTF-8 或 GBK 文本)"
    )


# ---------------------------------------------------------------------------------------------
# Items
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedItem:
    """One record of a gazette file: either a GazetteRecord or the reason it was refused."""

    locator: str  # "line 12", "row 7", "record 3"
    raw: str  # the record as text: the JSON line, the CSV row as JSON, the XML element
    record: GazetteRecord | None
    error: str | None

    def __post_init__(self) -> None:
        if (self.record is None) == (self.error is None):
            raise ValueError("ParsedItem needs exactly one of record / error")

    @property
    def ok(self) -> bool:
        return self.record is not None


@dataclass(frozen=True)
class RawRow:
    """One row of a tabular file before validation: a mapping, or why the row is unreadable."""

    locator: str
    raw: str
    mapping: dict[str, Any] | None
    error: str | None


# ---------------------------------------------------------------------------------------------
# Field parsing, shared by every reader (and by the watchlist reader)
# ---------------------------------------------------------------------------------------------


def normalise_key(key: Any) -> str:
    """Column header / JSON key → comparable form (NFKC, lower case, spaces → underscores)."""
    text = unicodedata.normalize("NFKC", str(key)).strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _alias_table(aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for field, names in aliases.items():
        table[normalise_key(field)] = field
        for name in names:
            table[normalise_key(name)] = field
    return table


GAZETTE_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "application_no": (
        "application_number", "applicationno", "app_no", "申请号", "注册号", "申请/注册号", "注册/申请号",
    ),
    "mark": ("mark_text", "trademark", "商标", "商标名称", "商标文字"),
    "classes": ("class", "nice_class", "nice_classes", "国际分类", "国际分类号", "类别", "类号", "分类"),
    "goods": (
        "goods_services", "goods_and_services", "商品/服务项目", "商品服务项目", "商品/服务", "商品",
        "服务项目", "指定商品", "指定商品/服务", "核定使用商品",
    ),
    "similar_groups": ("similar_group", "类似群", "类似群组", "类似群号"),
    "applicant": ("applicant_name", "申请人", "申请人名称", "申请人名义"),
    "applicant_address": ("address", "申请人地址", "地址"),
    "filing_date": ("application_date", "申请日期", "申请日"),
    "publication_date": ("pub_date", "公告日期", "初审公告日期", "初步审定公告日期", "公告日"),
    "gazette_issue": ("issue", "issue_no", "期号", "公告期号", "公告期"),
    "mark_type": ("type", "商标类型", "类型"),
    "office": ("office_code", "受理局"),
}
_GAZETTE_KEYS = _alias_table(GAZETTE_FIELD_ALIASES)


def canonical_mapping(m: Mapping[Any, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    """Rename aliased keys to field names; unknown keys are dropped, the first non-empty wins."""
    out: dict[str, Any] = {}
    for raw_key, value in m.items():
        field = keys.get(normalise_key(raw_key))
        if field is None:
            continue
        if field not in out or _is_blank(out[field]):
            out[field] = value
    return out


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _scalar_text(value: Any, field: str) -> str:
    """A cell as text: strings stripped, whole numbers without '.0' (Excel stores 12345 as 12345.0)."""
    if isinstance(value, bool):
        raise RecordError(f"{field} must be text, not {value!r} ({field} 应为文本)")
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (float, date)):
        return str(value)
    raise RecordError(f"{field} must be text, not {type(value).__name__} ({field} 应为文本)")


def _optional_text(value: Any, field: str) -> str | None:
    if _is_blank(value):
        return None
    return _scalar_text(value, field) or None


_JSON_LIST = re.compile(r"^\s*\[")


def _as_items(
    value: Any, splitter: re.Pattern[str] | None, field: str, split_elements: bool = False
) -> list[Any]:
    """A list cell as raw items: a list, a JSON array in a string, or a separated string.

    Elements of a real list are single items unless ``split_elements`` (codes: ["30,32"] is harmless).
    """
    if _is_blank(value):
        return []
    if isinstance(value, str):
        if _JSON_LIST.match(value):
            try:
                decoded = json.loads(value)
            except json.JSONDecodeError as exc:
                raise RecordError(f"{field} looks like a JSON array but is not valid JSON: {exc.msg} "
                                  f"({field} 不是有效的 JSON 数组)") from None
            if not isinstance(decoded, list):
                raise RecordError(f"{field} must be a list ({field} 应为列表)")
            return _as_items(decoded, splitter, field, split_elements)
        parts = splitter.split(value) if splitter else [value]
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, (list, tuple)):
        items: list[Any] = []
        for item in value:
            if isinstance(item, (list, tuple, dict)):
                raise RecordError(f"{field} items must be plain values, not nested lists ({field} 格式无效)")
            if isinstance(item, str):
                if split_elements:
                    items.extend(_as_items(item, splitter, field))
                elif item.strip():
                    items.append(item.strip())
            elif item is not None:
                items.append(item)
        return items
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value]
    raise RecordError(f"{field} must be a list or text, not {type(value).__name__} ({field} 格式无效)")


_CODE_SPLIT = re.compile(r"[,，;；、/|\s]+")
_GOODS_SPLIT = re.compile(r"[;；、,，\n\r]+")
_CLASS_WORDS = re.compile(r"(?i)第|类|classes|class|cl\.")
_GROUP_WORDS = re.compile(r"第|类似群组|类似群|组|群")


def _whole_number(item: Any) -> int | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return item
    if isinstance(item, float):
        return int(item) if item.is_integer() else None
    if isinstance(item, str) and item.strip().isdigit():
        return int(item.strip())
    return None


def parse_classes(value: Any, field: str = "classes") -> tuple[int, ...]:
    """Nice classes (尼斯分类) 1..45 from a list, a number, "30,32", "30；32" or "第30类"; sorted, unique."""
    if isinstance(value, str) and not _JSON_LIST.match(value):
        value = _CLASS_WORDS.sub(" ", value)
    out: set[int] = set()
    for item in _as_items(value, _CODE_SPLIT, field, split_elements=True):
        if isinstance(item, str):
            item = _CLASS_WORDS.sub("", item).strip()
            if not item:
                continue  # "第" / "类" / "class" on their own
        number = _whole_number(item)
        if number is None:
            raise RecordError(f"class {item!r} is not a number (尼斯分类号无效)")
        if not 1 <= number <= 45:
            raise RecordError(f"class {number} is not a Nice class 1-45 (尼斯分类号无效)")
        out.add(number)
    return tuple(sorted(out))


def parse_similar_groups(value: Any, field: str = "similar_groups") -> tuple[str, ...]:
    """类似群 codes: 4 digits whose first two are the class ("3001"); 3 digits are zero-padded
    because spreadsheets drop the leading zero of "0101"."""
    if isinstance(value, str) and not _JSON_LIST.match(value):
        value = _GROUP_WORDS.sub(" ", value)
    out: list[str] = []
    for item in _as_items(value, _CODE_SPLIT, field, split_elements=True):
        if isinstance(item, str):
            item = _GROUP_WORDS.sub("", item).strip()
            if not item:
                continue
        number = _whole_number(item)
        text = str(number).zfill(4) if number is not None else None
        if text is None or len(text) != 4 or not 1 <= int(text[:2]) <= 45:
            raise RecordError(f"similar group {item!r} is not a 4-digit code like 3001 (类似群号无效)")
        if text not in out:
            out.append(text)
    return tuple(out)


def parse_text_list(
    value: Any, field: str, splitter: re.Pattern[str] | None = _GOODS_SPLIT
) -> tuple[str, ...]:
    """A list of texts: a list, a JSON array, or a string split on ；;、 and , (ASCII and full-width)."""
    out: list[str] = []
    for item in _as_items(value, splitter, field):
        text = _scalar_text(item, field)
        if text and text not in out:
            out.append(text)
    return tuple(out)


_DATE_PATTERNS = (
    # ISO and its loose relatives, optionally followed by a time or an XML time-zone offset
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
               r"(?:[T\s]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: Any, field: str) -> date | None:
    """A date from ISO text, 2026-1-5, 2026/01/05, 2026年1月5日, 20260105, or an Excel date cell."""
    if _is_blank(value):
        return None
    bad = RecordError(f"bad date {value!r} in {field} (日期无效)")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise bad
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            raise bad
        number = int(value)
        if 10000 <= number <= 100000:  # an Excel serial day number (1927..2173) in a General cell
            return _EXCEL_EPOCH + timedelta(days=number)
        value = str(number)
    if not isinstance(value, str):
        raise bad
    text = unicodedata.normalize("NFKC", value).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                raise bad from None
    raise bad


_MARK_TYPE_ALIASES = {
    "word": "word", "text": "word", "verbal": "word", "文字": "word",
    "figurative": "figurative", "figure": "figurative", "device": "figurative", "image": "figurative",
    "design": "figurative", "logo": "figurative", "图形": "figurative",
    "combined": "combined", "composite": "combined", "mixed": "combined", "组合": "combined",
    "图文": "combined", "图形文字": "combined",
    "3d": "3d", "3-d": "3d", "three-dimensional": "3d", "three dimensional": "3d", "shape": "3d",
    "立体": "3d", "三维": "3d", "三维标志": "3d",
    "colour": "colour", "color": "colour", "颜色": "colour", "颜色组合": "colour",
    "sound": "sound", "声音": "sound",
}


def parse_mark_type(value: Any) -> str:
    """word/figurative/combined/3d/colour/sound, also 文字/图形/组合/立体/颜色/声音; empty → word."""
    if _is_blank(value):
        return "word"
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    for suffix in ("商标", " trademark", " mark", "_mark"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)].strip()
    found = _MARK_TYPE_ALIASES.get(text)
    if found is None:
        raise RecordError(
            f"unknown mark_type {value!r}; use one of {', '.join(MARK_TYPES)} "
            "(商标类型无效：文字/图形/组合/立体/颜色/声音)"
        )
    return found


_NON_VERBAL_TYPES = {"figurative", "colour", "sound", "3d"}


def _application_no(value: Any) -> str:
    if _is_blank(value):
        raise RecordError("missing application_no (缺少申请号)")
    text = re.sub(r"\s+", "", _scalar_text(value, "application_no"))
    if not text:
        raise RecordError("missing application_no (缺少申请号)")
    return text


def _gazette_issue(value: Any) -> str | None:
    text = _optional_text(value, "gazette_issue")
    if text is None:
        return None
    match = re.fullmatch(r"第\s*(\S+?)\s*期", text)  # "第1925期" → "1925": the issue key must not vary
    return match.group(1) if match else text


def _office(value: Any) -> str:
    text = _optional_text(value, "office")
    if text is None:
        return "CN"
    if not re.fullmatch(r"[A-Za-z]{2}", text):
        raise RecordError(f"office {text!r} is not a 2-letter office code like CN (局代码无效)")
    return text.upper()


# A word mark's verbal element is short; kilobytes of text are a broken export, not a mark.
MAX_MARK_LENGTH = 200
MAX_TEXT_LENGTH = 2000
MAX_GOODS = 500


def gazette_record_from_mapping(m: Mapping[str, Any]) -> GazetteRecord:
    """Validate one record (any reader's output) into a GazetteRecord; raise RecordError(reason).

    Keys may be field names or Chinese/English header aliases (申请号, 商标, 国际分类...). All
    problems of the record are reported together, separated by "; ". Mark text is passed
    through unchanged apart from surrounding blanks: normalisation happens elsewhere.
    """
    if not isinstance(m, Mapping):
        raise RecordError("record is not an object (记录不是 JSON 对象/表格行)")
    fields = canonical_mapping(m, _GAZETTE_KEYS)
    problems: list[str] = []
    values: dict[str, Any] = {}

    def take(name: str, parse: Callable[[Any], Any]) -> None:
        try:
            values[name] = parse(fields.get(name))
        except RecordError as exc:
            problems.append(str(exc))

    take("application_no", _application_no)
    take("mark_type", parse_mark_type)
    take("mark", lambda v: "" if _is_blank(v) else _scalar_text(v, "mark"))
    take("classes", parse_classes)
    take("goods", lambda v: parse_text_list(v, "goods"))
    take("similar_groups", parse_similar_groups)
    take("applicant", lambda v: _optional_text(v, "applicant"))
    take("applicant_address", lambda v: _optional_text(v, "applicant_address"))
    take("filing_date", lambda v: parse_date(v, "filing_date"))
    take("publication_date", lambda v: parse_date(v, "publication_date"))
    take("gazette_issue", _gazette_issue)
    take("office", _office)

    if len(values.get("mark") or "") > MAX_MARK_LENGTH:
        problems.append(f"mark text longer than {MAX_MARK_LENGTH} characters (商标文字过长)")
    for name in ("applicant", "applicant_address"):
        if len(values.get(name) or "") > MAX_TEXT_LENGTH:
            problems.append(f"{name} longer than {MAX_TEXT_LENGTH} characters (字段过长)")
    if len(values.get("goods") or ()) > MAX_GOODS or any(len(g) > MAX_TEXT_LENGTH for g in values.get("goods") or ()):
        problems.append(f"goods: more than {MAX_GOODS} items or an item longer than {MAX_TEXT_LENGTH} characters")
    if "mark" in values and not values["mark"] and values.get("mark_type", "word") not in _NON_VERBAL_TYPES:
        problems.append("missing mark text (缺少商标文字); figurative/colour/sound/3d marks may leave it empty")
    if "classes" in values and not values["classes"]:
        problems.append("missing classes (缺少国际分类)")
    if problems:
        raise RecordError("; ".join(problems))
    return GazetteRecord(**values)


# ---------------------------------------------------------------------------------------------
# Format detection
# ---------------------------------------------------------------------------------------------

_EXTENSIONS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json-lines": "jsonl",
    ".csv": "csv", ".tsv": "tsv", ".xlsx": "xlsx", ".xml": "xml",
}
FORMATS = ("jsonl", "csv", "tsv", "xlsx", "st66", "st96")
_ST66_NS = "http://www.wipo.int/standards/xmlschema/trademarks"
_ST96_NS = re.compile(r"st96|/xmlschema/trademark/\d", re.IGNORECASE)
_SNIFF_LIMIT = 20000  # start tags to look at before giving up on an XML file


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise FileFormatError(f"{path}: no such file (文件不存在)")
    if not path.is_file():
        raise FileFormatError(f"{path}: not a regular file (不是文件)")


def table_format_for(path: Path, allowed: Iterable[str], extra: Mapping[str, str] | None = None) -> str:
    """The reader for a file name among ``allowed``, else a FileFormatError naming the choices.

    ``extra`` adds extensions (".yaml" → "yaml") known to the caller only.
    """
    extensions = {**_EXTENSIONS, **(extra or {})}
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


def detect_format(path: Path) -> str:
    """One of FORMATS for a gazette file, by extension and, for XML, by its namespaces."""
    path = Path(path)
    _check_readable(path)
    fmt = table_format_for(path, set(_EXTENSIONS.values()))
    return _sniff_xml(path) if fmt == "xml" else fmt


# ---------------------------------------------------------------------------------------------
# Tabular readers (JSON Lines, CSV/TSV, XLSX)
# ---------------------------------------------------------------------------------------------


def read_text_file(path: Path) -> str:
    """The text of a file, decoded with ``decode_bytes``; FileFormatError if unreadable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"{path}: cannot read the file: {exc.strerror or exc} (文件无法读取)") from None
    try:
        return decode_bytes(data)[0]
    except FileFormatError as exc:
        raise FileFormatError(f"{path}: {exc}") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _iter_jsonl(text: str) -> Iterator[RawRow]:
    # split on "\n" only: str.splitlines() would also split on U+2028, which JSON allows in strings
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
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
                path: Path) -> Iterator[RawRow]:
    """Rows of cells (first = header) → RawRows located as spreadsheet rows."""
    header: list[str] | None = None
    for number, cells in enumerate(rows, start=1):
        if header is None:
            header = _header_names(cells)
            if not any(header):
                raise FileFormatError(f"{path}: the first row must be a header row, but it is empty (缺少表头)")
            if check_header:
                check_header(header)
            continue
        cells = list(cells)
        if all(_is_blank(c) for c in cells):
            continue  # blank rows are layout, not records; they still count for row numbers
        locator = f"row {number}"
        named = [h for h in header if h]
        extra = [c for c in cells[len(header):] if not _is_blank(c)]
        if extra:
            raw = json.dumps(cells, ensure_ascii=False, default=_json_default)
            yield RawRow(locator, raw, None,
                         f"row has {len(header) + len(extra)} cells but the header has {len(header)} "
                         "(列数多于表头，可能有未加引号的分隔符)")
            continue
        mapping: dict[str, Any] = {}
        for name, cell in zip(header, cells):
            if name and (name not in mapping or _is_blank(mapping[name])):
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


def iter_table_rows(path: Path, fmt: str,
                    check_header: Callable[[list[str]], None] | None = None) -> Iterator[RawRow]:
    """Rows of a jsonl/csv/tsv/xlsx file as mappings (header → cell), never validated here.

    Text files are decoded with ``decode_bytes`` (UTF-8, BOM, GBK/GB18030). ``check_header``
    may raise FileFormatError when a header row lacks a needed column.
    """
    path = Path(path)
    if fmt == "jsonl":
        return _iter_jsonl(read_text_file(path))
    if fmt in ("csv", "tsv"):
        text = read_text_file(path)  # eagerly: an undecodable file fails at call time
        return _iter_cells(_csv_rows(text, "," if fmt == "csv" else "\t"), check_header, path)
    if fmt == "xlsx":
        return _iter_cells(_xlsx_rows(path), check_header, path)
    raise FileFormatError(f"{path}: {fmt!r} is not a tabular format")


def _gazette_header_check(path: Path) -> Callable[[list[str]], None]:
    def check(header: list[str]) -> None:
        fields = {_GAZETTE_KEYS.get(normalise_key(h)) for h in header}
        if "application_no" not in fields:
            shown = ", ".join(repr(h) for h in header if h) or "(none)"
            raise FileFormatError(
                f"{path}: the header has no application_no / 申请号 column (found {shown}); "
                "is the delimiter right? (表头缺少申请号列)"
            )

    return check


def _items_from_rows(rows: Iterable[RawRow]) -> Iterator[ParsedItem]:
    for row in rows:
        if row.mapping is None:
            yield ParsedItem(row.locator, row.raw, None, row.error)
            continue
        try:
            record = gazette_record_from_mapping(row.mapping)
        except RecordError as exc:
            yield ParsedItem(row.locator, row.raw, None, str(exc))
        else:
            yield ParsedItem(row.locator, row.raw, record, None)


# ---------------------------------------------------------------------------------------------
# WIPO XML (ST.66 and ST.96)
# ---------------------------------------------------------------------------------------------

# expat decodes only UTF-8/16 and single-byte encodings itself; multi-byte Chinese encodings
# declared in the prolog are decoded by Python first.
_XML_DECL_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.\-]+)["']""")
_PYTHON_DECODED_XML = {"gbk", "gb2312", "gb18030", "cp936", "big5", "big5hkscs", "euc-cn", "hz"}


def _open_xml(path: Path) -> BinaryIO:
    try:
        handle = path.open("rb")
        head = handle.read(512)
        handle.seek(0)
    except OSError as exc:
        raise FileFormatError(f"{path}: cannot read the file: {exc.strerror or exc} (文件无法读取)") from None
    match = _XML_DECL_ENCODING.match(head)
    if match and match.group(1).decode("ascii").lower() in _PYTHON_DECODED_XML:
        encoding = match.group(1).decode("ascii")
        with handle:
            data = handle.read()
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise FileFormatError(
                f"{path}: the XML says encoding={encoding!r} but is not (XML 编码声明与内容不符)") from None
        utf8_declaration = '<?xml version="1.0" encoding="UTF-8"?>'
        text = re.sub(r"""^\ufeff?\s*<\?xml[^>]*\?>""", utf8_declaration, text, count=1)
        return io.BytesIO(text.encode("utf-8"))
    return handle


def _xml_failure(path: Path, exc: Exception) -> FileFormatError:
    if isinstance(exc, (EntitiesForbidden, ExternalReferenceForbidden, DTDForbidden)):
        what = "an external entity" if getattr(exc, "system_id", None) else "an entity"
        if isinstance(exc, ExternalReferenceForbidden):
            what = "an external reference"
        if isinstance(exc, DTDForbidden):
            what = "a DTD"
        return FileFormatError(
            f"{path}: the XML declares {what} ({exc}); markwatch refuses DTD entities because they allow "
            "entity-expansion bombs and reading local or remote files. Remove the <!DOCTYPE ...> "
            "entity declarations (XML 含实体声明，出于安全原因拒绝解析)"
        )
    if isinstance(exc, ParseError):
        line, column = getattr(exc, "position", (0, 0))
        return FileFormatError(
            f"{path}: not well-formed XML at line {line}, column {column + 1}: {exc} (XML 格式错误)"
        )
    return FileFormatError(f"{path}: cannot parse the XML: {exc} (XML 无法解析)")


def _split_tag(tag: Any) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _local(tag: Any) -> str:
    return _split_tag(tag)[1]


def _sniff_xml(path: Path) -> str:
    """"st66" or "st96" from the namespaces (or, failing that, the record element names)."""
    handle = _open_xml(path)
    try:
        for count, (_event, elem) in enumerate(safe_et.iterparse(handle, events=("start",))):
            ns, local = _split_tag(elem.tag)
            ns_lower = ns.lower().rstrip("/")
            if ns_lower == _ST66_NS or local == "TradeMark":
                return "st66"
            if _ST96_NS.search(ns) or local in ("Trademark", "TrademarkBag"):
                return "st96"
            if count >= _SNIFF_LIMIT:
                break
    except (DefusedXmlException, ParseError) as exc:
        raise _xml_failure(path, exc) from None
    finally:
        handle.close()
    raise FileFormatError(
        f"{path}: XML is neither WIPO ST.66 nor ST.96 (no TradeMark/Trademark element and no WIPO "
        "trademark namespace) (不是 WIPO ST.66/ST.96 商标 XML)"
    )


def _children(elem: Element, *names: str) -> list[Element]:
    return [c for c in elem if _local(c.tag) in names]


def _walk(elem: Element) -> Iterator[tuple[Element, Element | None]]:
    """Descendants with their parents, skipping national extension blocks (…Ext, assignments,
    prosecution history): they repeat names such as EntityName or ClassNumber with other meanings."""
    stack: list[tuple[Element, Element | None]] = [(elem, None)]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        for child in reversed(list(node)):
            local = _local(child.tag)
            if local.endswith("Ext") or local in ("MarkEventDetails", "MarkEventBag", "AssignmentBag"):
                continue
            stack.append((child, node))


def _text(elem: Element | None) -> str:
    return (elem.text or "").strip() if elem is not None else ""


def _first_text(elem: Element, *names: str) -> str | None:
    for node, _ in _walk(elem):
        if _local(node.tag) in names and _text(node):
            return _text(node)
    return None


def _leaf_texts(elem: Element) -> list[str]:
    return [_text(n) for n, _ in _walk(elem) if len(n) == 0 and _text(n)]


def _party_name(party: Element) -> str | None:
    for names in (("EntityName",), ("OrganizationStandardName",), ("PersonFullName",)):
        found = _first_text(party, *names)
        if found:
            return found
    lines = [_text(n) for n, _ in _walk(party) if _local(n.tag) == "FreeFormatNameLine" and _text(n)]
    if lines:
        return " ".join(lines)
    parts = [_first_text(party, "FirstName"), _first_text(party, "LastName")]
    return " ".join(p for p in parts if p) or None


def _party_address(party: Element) -> str | None:
    for node, _ in _walk(party):
        if _local(node.tag) in ("Address", "PostalAddress", "FreeFormatAddress"):
            lines = _leaf_texts(node)
            if lines:
                return ", ".join(lines)
    return None


def _first_applicant(container: Element) -> tuple[str | None, str | None]:
    """Name and address of the first applicant (ApplicantDetails or ApplicantBag) — the gazette
    lists the filing party first; co-applicants follow it."""
    for node, _ in _walk(container):
        if _local(node.tag) == "Applicant":
            name = _party_name(node)
            if name:
                return name, _party_address(node)
    return None, None


_US_FEATURE_CODES = {"1": "word", "2": "figurative", "3": "combined", "4": "word", "5": "word"}


def _mark_type_from_feature(text: str | None) -> str | None:
    """ST.66 MarkFeature / ST.96 MarkFeatureCategory ("Word", "Figurative", "TYPESET WORD(S)"...)."""
    if not text:
        return None
    try:
        return parse_mark_type(text)
    except RecordError:
        pass
    lowered = text.lower()
    ordered = (
        ("3d", ("3-d", "3d", "three dimensional", "three-dimensional", "shape")),
        ("colour", ("colour", "color")),
        ("sound", ("sound",)),
        ("combined", ("combined", "composite", "design plus", "mixed", "word and figurative",
                      "includes word", "with word")),
        ("figurative", ("figurative", "design", "device", "image", "drawing")),
        ("word", ("word", "typeset", "standard character", "stylized", "stylised", "verbal", "letter")),
    )
    for mark_type, words in ordered:
        if any(w in lowered for w in words):
            return mark_type
    return None


def _xml_mapping(record: Element) -> dict[str, Any]:
    """The GazetteRecord fields of one ST.66 TradeMark / ST.96 Trademark element, by local names."""
    m: dict[str, Any] = {}
    office = _text(next(iter(_children(record, "RegistrationOfficeCode")), None))
    number_elems = _children(record, "ApplicationNumber")
    if number_elems:
        number = number_elems[0]
        m["application_no"] = _first_text(number, "ApplicationNumberText") or _text(number)
        office = office or (_first_text(number, "IPOfficeCode") or "")
    if office:
        m["office"] = office
    m["filing_date"] = _text(next(iter(_children(record, "ApplicationDate")), None)) or None
    mark = None
    for node, _ in _walk(record):
        if _local(node.tag) == "WordMarkSpecification":
            mark = _first_text(node, "MarkVerbalElementText")
            break
    m["mark"] = mark or _first_text(record, "MarkVerbalElementText") or ""

    mark_type = None
    for names in (("MarkFeature", "MarkFeatureCategory"), ("MarkCategory",)):
        mark_type = _mark_type_from_feature(_first_text(record, *names))
        if mark_type:
            break
    if mark_type is None:
        code = (_first_text(record, "MarkFeatureCode") or "").rstrip("0") or None
        mark_type = _US_FEATURE_CODES.get(code or "")
    m["mark_type"] = mark_type or ("word" if m["mark"] else "figurative")

    classes: list[str] = []
    goods: list[str] = []
    for node, parent in _walk(record):
        local = _local(node.tag)
        if local == "ClassNumber" and _text(node):
            kind = _first_text(parent, "ClassificationKindCode") if parent is not None else None
            if kind and kind.lower() in ("domestic", "national"):
                continue
            if _text(node) not in classes:
                classes.append(_text(node))
        elif local in ("GoodsServicesDescription", "GoodsServicesDescriptionText") and _text(node):
            # English lists separate items with ";" and keep commas inside an item
            goods.extend(p.strip() for p in re.split(r"[;；、]", _text(node)) if p.strip())
    m["classes"] = classes
    m["goods"] = goods

    for node, _ in _walk(record):
        if _local(node.tag) == "Publication":
            m["publication_date"] = _first_text(node, "PublicationDate")
            identifier = _first_text(node, "PublicationIdentifier") or ""
            if re.fullmatch(r"(第\s*)?\d[\d./-]*(\s*期)?", identifier):
                m["gazette_issue"] = identifier
            break

    for container in _children(record, "ApplicantDetails", "ApplicantBag"):
        m["applicant"], m["applicant_address"] = _first_applicant(container)
        if m["applicant"]:
            break
    return m


def _record_item(number: int, raw: str, mapping: dict[str, Any]) -> ParsedItem:
    locator = f"record {number}"
    try:
        return ParsedItem(locator, raw, gazette_record_from_mapping(mapping), None)
    except RecordError as exc:
        return ParsedItem(locator, raw, None, str(exc))


def _iter_xml(path: Path, fmt: str) -> Iterator[ParsedItem]:
    record_name = "TradeMark" if fmt == "st66" else "Trademark"
    depth = 0
    record_depth: int | None = None  # depth of the record element being read, if inside one
    count = 0
    # USPTO's ST.66 puts ApplicantDetails beside TradeMarkDetails, not inside TradeMark. Records
    # without their own applicant wait (in order) until their transaction element ends, then
    # take the applicant given at that level.
    pending: list[tuple[int, str, dict[str, Any]]] = []
    pending_depth = 0  # depth of the transaction element around the waiting records
    outer_applicant: tuple[str | None, str | None] = (None, None)
    applicant_scope: int | None = None  # depth of the element holding that outer applicant

    def flush() -> Iterator[ParsedItem]:
        for number, raw, mapping in pending:
            if not mapping.get("applicant") and outer_applicant[0]:
                mapping["applicant"], mapping["applicant_address"] = outer_applicant
            yield _record_item(number, raw, mapping)
        pending.clear()

    handle = _open_xml(path)
    try:
        for event, elem in safe_et.iterparse(handle, events=("start", "end")):
            local = _local(elem.tag)
            if event == "start":
                depth += 1
                if record_depth is None and local == record_name:
                    record_depth = depth
                continue
            if depth == record_depth and local == record_name:
                count += 1
                raw = tostring(elem, encoding="unicode")
                mapping = _xml_mapping(elem)
                elem.clear()  # keep memory flat on large gazettes
                record_depth = None
                if pending or not mapping.get("applicant"):
                    if not pending:
                        pending_depth = depth - 2
                    pending.append((count, raw, mapping))
                else:
                    yield _record_item(count, raw, mapping)
            elif record_depth is None and local in ("ApplicantDetails", "ApplicantBag"):
                name, address = _first_applicant(elem)
                if name and outer_applicant[0] is None:
                    outer_applicant, applicant_scope = (name, address), depth - 1
                elem.clear()
            else:
                if pending and depth <= pending_depth:
                    yield from flush()
                if applicant_scope is not None and depth <= applicant_scope:
                    outer_applicant, applicant_scope = (None, None), None
            depth -= 1
        yield from flush()
    except (DefusedXmlException, ParseError) as exc:
        failure = _xml_failure(path, exc)
        if count == 0:
            raise failure from None
        yield from flush()
        # the records before the break are good; the break itself becomes one error item
        line = getattr(exc, "position", (0, 0))[0]
        yield ParsedItem(f"line {line}", "", None,
                         f"XML breaks off after record {count} (文件可能不完整): {failure}")
    finally:
        handle.close()


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def read_gazette_file(path: Path) -> Iterator[ParsedItem]:
    """Parsed items of a gazette file, choosing the reader by extension (and XML namespaces).

    Unknown, missing or unreadable files raise FileFormatError at call time; bad records come
    back as error items while iteration goes on.
    """
    path = Path(path)
    fmt = detect_format(path)
    if fmt in ("st66", "st96"):
        return _iter_xml(path, fmt)
    return _items_from_rows(iter_table_rows(path, fmt, check_header=_gazette_header_check(path)))
