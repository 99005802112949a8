"""Field parsing shared by every reader (gazette and watchlist): classes, groups, dates, mark types,
and the canonical gazette record with its limits.

A bad field raises ``RecordError`` with a bilingual reason; the readers turn it into an error item."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from markwatch.errors import RecordError
from markwatch.model import MARK_TYPES, GazetteRecord

# ---------------------------------------------------------------------------------------------
# Items
# ---------------------------------------------------------------------------------------------


class NotWatched(Exception):
    """A record that is read and counted but not watched (another announcement type, a Madrid record
    not designating China); the message is the reason, short and stable: records are counted under it."""


@dataclass(frozen=True)
class ParsedItem:
    """One record of a gazette file: a GazetteRecord, the reason it was refused, or why it is not watched."""

    locator: str  # "line 12", "row 7", "record 3"
    raw: str  # the record as text: the JSON line, the CSV row as JSON, the XML element
    record: GazetteRecord | None
    error: str | None
    skipped: str | None = None
    # for a refused record: the gazette issue and page it claims, when they could be read
    issue: str | None = None
    page_no: int | None = None

    def __post_init__(self) -> None:
        # without a generator: an item is made for every record of a file
        if (self.record is not None) + (self.error is not None) + (self.skipped is not None) != 1:
            raise ValueError("ParsedItem needs exactly one of record / error / skipped")

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
    return _normalise_key_text(key if isinstance(key, str) else str(key))


@functools.lru_cache(maxsize=4096)
def _normalise_key_text(key: str) -> str:
    # Cached: every record of a file repeats the same few keys (16 lookups a record at ingest).
    text = unicodedata.normalize("NFKC", key).strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def alias_table(aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for field, names in aliases.items():
        table[normalise_key(field)] = field
        for name in names:
            table[normalise_key(name)] = field
    return table


def suggest(name: object, keys: Mapping[str, str]) -> str | None:
    """The field a misspelt key most likely means ('mrak' → 'mark', 'clases' → 'classes'), from an
    alias table; None when no key is within a typo (one edit for short keys, two for longer ones;
    none below three characters), so that other columns (备注, remark, 权利人地址) are not mistaken."""
    from rapidfuzz.distance import DamerauLevenshtein

    key = normalise_key(name)
    best: tuple[int, str] | None = None
    for known in keys:
        reach = 0 if len(known) < 3 else 1 if len(known) <= 5 else 2
        d = DamerauLevenshtein.distance(key, known)
        if 0 < d <= reach and (best is None or d < best[0]):
            best = (d, known)
    return keys[best[1]] if best else None


def unknown_key_message(name: object, keys: Mapping[str, str], what: str = "field") -> str:
    """"unknown field 'mrak'; did you mean 'mark'?" (or the fields there are)."""
    guess = suggest(name, keys)
    if guess is not None:
        return f"unknown {what} {str(name)!r}; did you mean {guess!r}? (未知{'列' if what == 'column' else '字段'})"
    return (f"unknown {what} {str(name)!r}; expected one of {', '.join(sorted(set(keys.values())))} "
            f"(未知{'列' if what == 'column' else '字段'})")


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
    "agent": ("agent_name", "agency", "representative", "代理机构", "代理机构名称", "代理人", "代理组织"),
    "filing_date": ("application_date", "申请日期", "申请日"),
    "publication_date": ("pub_date", "公告日期", "初审公告日期", "初步审定公告日期", "公告日"),
    "gazette_issue": ("issue", "issue_no", "期号", "公告期号", "公告期"),
    "mark_type": ("type", "商标类型", "类型"),
    "office": ("office_code", "受理局"),
    "image": ("image_file", "image_path", "image_url", "mark_image", "商标图样", "图样", "图片"),
    "vienna_codes": ("vienna", "vienna_code", "vienna_classification", "图形要素编码", "图形要素", "图形编码"),
    "page_no": ("page", "页码", "公告页码", "所在页码"),
    "page_count": ("pages", "总页数", "公告页数"),
    "international_registration_no": (
        "intl_registration_no", "international_registration_number", "ir_no", "ir_number", "国际注册号",
    ),
    "designation_date": ("date_of_designation", "subsequent_designation_date", "指定日期", "后期指定日期",
                         "领土延伸日期"),
    "wipo_gazette": ("wipo_gazette_no", "wipo_gazette_number", "gazette_no", "国际公告期号", "国际公告期"),
    "wipo_publication_date": ("wipo_gazette_date", "国际公告日期", "国际公告出版日期"),
    "refs": ("references",),
}
GAZETTE_KEYS = alias_table(GAZETTE_FIELD_ALIASES)


def canonical_mapping(m: Mapping[Any, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    """Rename aliased keys to field names; unknown keys are dropped, the first non-empty wins."""
    out: dict[str, Any] = {}
    for raw_key, value in m.items():
        field = keys.get(normalise_key(raw_key))
        if field is None:
            continue
        if field not in out or is_blank(out[field]):
            out[field] = value
    return out


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def scalar_text(value: Any, field: str) -> str:
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


def optional_text(value: Any, field: str) -> str | None:
    if is_blank(value):
        return None
    return scalar_text(value, field) or None


_JSON_LIST = re.compile(r"^\s*\[")


def _as_items(
    value: Any, splitter: re.Pattern[str] | None, field: str, split_elements: bool = False
) -> list[Any]:
    """A list cell as raw items: a list, a JSON array in a string, or a separated string.

    Elements of a real list are single items unless ``split_elements`` (codes: ["30,32"] is harmless).
    """
    if is_blank(value):
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
    if isinstance(item, str) and item.strip().isdecimal():
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
        text = scalar_text(item, field)
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
    if is_blank(value):
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
    if is_blank(value):
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
_BLANKS = re.compile(r"\s+")


def _application_no(value: Any) -> str:
    if is_blank(value):
        raise RecordError("missing application_no (缺少申请号)")
    text = _BLANKS.sub("", scalar_text(value, "application_no"))
    if not text:
        raise RecordError("missing application_no (缺少申请号)")
    return text


def _gazette_issue(value: Any) -> str | None:
    text = optional_text(value, "gazette_issue")
    if text is None:
        return None
    match = re.fullmatch(r"第\s*(\S+?)\s*期", text)  # "第1925期" → "1925": the issue key must not vary
    return match.group(1) if match else text


def _office(value: Any) -> str:
    text = optional_text(value, "office")
    if text is None:
        return "CN"
    if not re.fullmatch(r"[A-Za-z]{2}", text):
        raise RecordError(f"office {text!r} is not a 2-letter office code like CN (局代码无效)")
    return text.upper()


def _image_ref(value: Any) -> str | None:
    from markwatch.images.refs import parse_ref

    text = optional_text(value, "image")
    if text is None:
        return None
    return parse_ref(text).text


def _vienna_codes(value: Any) -> tuple[str, ...]:
    from markwatch.images.vienna import parse_codes

    if is_blank(value):
        return ()
    items = _as_items(value, None, "vienna_codes") if not isinstance(value, str) else value
    return parse_codes(items)
def _positive_int(value: Any, field: str, limit: int = 1_000_000) -> int | None:
    if is_blank(value):
        return None
    number = _whole_number(value)
    if number is None or not 1 <= number <= limit:
        raise RecordError(f"{field} {value!r} is not a page number (页码无效)")
    return number


MAX_REF_LENGTH = 500


def _refs(value: Any) -> tuple[tuple[str, str], ...]:
    """The source's own references (row id, file id, image path...) as (name, text) pairs."""
    if is_blank(value):
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    out: list[tuple[str, str]] = []
    try:
        for name, item in items:
            if is_blank(item):
                continue
            text = scalar_text(item, f"refs.{name}")
            if len(text) > MAX_REF_LENGTH:
                raise RecordError(f"refs.{name} longer than {MAX_REF_LENGTH} characters (字段过长)")
            out.append((str(name), text))
    except (TypeError, ValueError):
        raise RecordError("refs must be a mapping of names to texts (refs 格式无效)") from None
    return tuple(out)


# A word mark's verbal element is short; kilobytes of text are a broken export, not a mark.
MAX_MARK_LENGTH = 200
MAX_TEXT_LENGTH = 2000
MAX_GOODS = 500


def _madrid_defaults(fields: Mapping[str, Any], values: dict[str, Any], problems: list[str]) -> None:
    """A record with an international registration number or a WIPO Gazette date is a Madrid designation
    of China: office WO, the IR number as its application number, the WIPO Gazette as its issue. Its
    opposition clock runs from the WIPO Gazette, so that date is required."""
    ir, wipo_date = values.get("international_registration_no"), values.get("wipo_publication_date")
    if not ir and not wipo_date and is_blank(fields.get("wipo_gazette")):
        return
    values["procedure"] = "madrid"
    if ir:
        values["international_registration_no"] = re.sub(r"\s+", "", ir)
    if is_blank(fields.get("office")):
        values["office"] = "WO"
    if is_blank(fields.get("application_no")) and ir:
        values["application_no"] = values["international_registration_no"]
        problems[:] = [p for p in problems if not p.startswith("missing application_no")]
    if not values.get("gazette_issue") and values.get("wipo_gazette"):
        values["gazette_issue"] = values["wipo_gazette"]
    if values.get("publication_date") is None and wipo_date:
        values["publication_date"] = wipo_date
    if wipo_date is None and "wipo_publication_date" in values:
        problems.append("a Madrid designation needs the WIPO Gazette publication date: its opposition period "
                        "runs from it (国际注册缺少《国际商标公告》出版日期)")


def _mark_text(value: Any) -> str:
    return "" if is_blank(value) else scalar_text(value, "mark")


# Every field of a gazette record and its parser, in the order problems are reported. `repeats`: the
# field's values repeat across the records of a file (dates, classes, the issue), so a parse is kept
# per distinct value; the others (numbers, names, addresses) are nearly all distinct.
_Parser = tuple[str, Callable[[Any], Any], bool]
_GAZETTE_PARSERS: tuple[_Parser, ...] = (
    ("application_no", _application_no, False),
    ("mark_type", parse_mark_type, True),
    ("mark", _mark_text, False),
    ("classes", parse_classes, True),
    ("goods", lambda v: parse_text_list(v, "goods"), False),
    ("similar_groups", parse_similar_groups, True),
    ("applicant", lambda v: optional_text(v, "applicant"), False),
    ("applicant_address", lambda v: optional_text(v, "applicant_address"), False),
    ("agent", lambda v: optional_text(v, "agent"), True),
    ("filing_date", lambda v: parse_date(v, "filing_date"), True),
    ("publication_date", lambda v: parse_date(v, "publication_date"), True),
    ("gazette_issue", _gazette_issue, True),
    ("office", _office, True),
    ("image", _image_ref, False),
    ("vienna_codes", _vienna_codes, True),
    ("page_no", lambda v: _positive_int(v, "page_no"), True),
    ("page_count", lambda v: _positive_int(v, "page_count"), True),
    ("refs", _refs, True),
    ("international_registration_no", lambda v: optional_text(v, "international_registration_no"), False),
    ("designation_date", lambda v: parse_date(v, "designation_date"), True),
    ("wipo_gazette", _gazette_issue, True),
    ("wipo_publication_date", lambda v: parse_date(v, "wipo_publication_date"), True),
)
_SCALARS = (str, int, float, type(None))
_PARSED: dict[str, dict[Any, tuple[bool, Any]]] = {name: {} for name, _, _ in _GAZETTE_PARSERS}
_PARSED_LIMIT = 50_000
_KEY_PLANS: dict[tuple, tuple[tuple[tuple[Any, str], ...] | None, tuple[_Parser, ...]]] = {}


def _absent() -> tuple[dict[str, Any], str]:
    """What every parser makes of an absent field (None): the values, and the one problem (no number)."""
    values: dict[str, Any] = {}
    problem = ""
    for name, parse, _ in _GAZETTE_PARSERS:
        try:
            values[name] = parse(None)
        except RecordError as exc:
            if name != "application_no":
                raise
            problem = str(exc)
    return values, problem


_ABSENT_VALUES, _ABSENT_PROBLEM = _absent()


def _value_key(value: Any) -> Any:
    """A cache key that tells apart every value a parser could tell apart (30, 30.0 and "30" differ;
    True is not 1), or None for a value that is not cached (mappings, nested or mixed lists)."""
    kind = type(value)
    if kind in _SCALARS:
        return (kind, value) if kind is not str or len(value) <= 100 else None
    if (kind is list or kind is tuple) and len(value) <= 50:
        if all(type(x) is str or type(x) is int for x in value):
            return kind, tuple((type(x), x) for x in value)
    return None


def _gazette_fields(m: Mapping[Any, Any]) -> tuple[dict[str, Any], tuple[_Parser, ...]]:
    """`canonical_mapping(m, GAZETTE_KEYS)` and the parsers of the fields it holds, with the renaming
    worked out once per set of keys."""
    keys = tuple(m)
    plan = _KEY_PLANS.get(keys)
    if plan is None:
        pairs = [(k, GAZETTE_KEYS.get(normalise_key(k))) for k in keys]
        found = tuple((k, f) for k, f in pairs if f is not None)
        fields = {f for _, f in found}
        # two keys for one field: the first non-empty wins, canonical_mapping decides
        plan = (found if len(fields) == len(found) else None, tuple(p for p in _GAZETTE_PARSERS if p[0] in fields))
        if len(_KEY_PLANS) > 1000:
            _KEY_PLANS.clear()
        _KEY_PLANS[keys] = plan
    renames, present = plan
    if renames is None:
        return canonical_mapping(m, GAZETTE_KEYS), present
    return {f: m[k] for k, f in renames}, present


def gazette_record_from_mapping(m: Mapping[str, Any]) -> GazetteRecord:
    """Validate one record (any reader's output) into a GazetteRecord; raise RecordError(reason).

    Keys may be field names or Chinese/English header aliases (申请号, 商标, 国际分类...). All
    problems of the record are reported together, separated by "; ". Mark text is passed
    through unchanged apart from surrounding blanks: normalisation happens elsewhere.
    """
    if not isinstance(m, Mapping):
        raise RecordError("record is not an object (记录不是 JSON 对象/表格行)")
    fields, present = _gazette_fields(m)
    problems: list[str] = []
    # An absent field parses as None does (the same for every record): only the fields present are
    # parsed, in the order of _GAZETTE_PARSERS, so problems are reported in that order.
    values = dict(_ABSENT_VALUES)
    if "application_no" not in fields:
        problems.append(_ABSENT_PROBLEM)
    for name, parse, repeats in present:
        value = fields[name]
        if not repeats:
            key = None
        elif type(value) is str and len(value) <= 100:
            key = value  # other keys are tuples: never equal to a string
        else:
            key = _value_key(value)
        if key is not None:
            cache = _PARSED[name]
            got = cache.get(key)
            if got is None:
                try:
                    got = (True, parse(value))
                except RecordError as exc:
                    got = (False, str(exc))
                if len(cache) > _PARSED_LIMIT:
                    cache.clear()
                cache[key] = got
            if got[0]:
                values[name] = got[1]
            else:
                del values[name]  # a field that did not parse has no value (the checks below ask)
                problems.append(got[1])
            continue
        try:
            values[name] = parse(value)
        except RecordError as exc:
            values.pop(name, None)
            problems.append(str(exc))
    _madrid_defaults(fields, values, problems)

    if len(values.get("mark") or "") > MAX_MARK_LENGTH:
        problems.append(f"mark text longer than {MAX_MARK_LENGTH} characters (商标文字过长)")
    for name in ("applicant", "applicant_address", "agent"):
        if len(values.get(name) or "") > MAX_TEXT_LENGTH:
            problems.append(f"{name} longer than {MAX_TEXT_LENGTH} characters (字段过长)")
    if len(values.get("goods") or ()) > MAX_GOODS or any(len(g) > MAX_TEXT_LENGTH for g in values.get("goods") or ()):
        problems.append(f"goods: more than {MAX_GOODS} items or an item longer than {MAX_TEXT_LENGTH} characters")
    if ("mark" in values and not values["mark"] and values.get("mark_type", "word") not in _NON_VERBAL_TYPES
            and not (values.get("mark_type") == "combined" and values.get("image"))):
        problems.append("missing mark text (缺少商标文字); figurative/colour/sound/3d marks, and combined marks "
                        "with an image, may leave it empty")
    if "classes" in values and not values["classes"]:
        problems.append("missing classes (缺少国际分类)")
    if problems:
        raise RecordError("; ".join(problems))
    return _record(values)


_RECORD_DEFAULTS = {f.name: f.default for f in dataclasses.fields(GazetteRecord) if f.default is not dataclasses.MISSING}
if (set(_ABSENT_VALUES) | {"application_no"} | set(_RECORD_DEFAULTS) != {f.name for f in dataclasses.fields(GazetteRecord)}
        or hasattr(GazetteRecord, "__post_init__") or hasattr(GazetteRecord, "__slots__")):
    raise RuntimeError("GazetteRecord changed: _record no longer fills it as its __init__ would")


def _record(values: dict[str, Any]) -> GazetteRecord:
    """`GazetteRecord(**values)` for the values of a checked record (every parser's field, and the
    procedure when it is not the default), filled at once: the generated __init__ of a frozen dataclass
    sets its fields one object.__setattr__ at a time, which was half the cost of checking a record."""
    record = object.__new__(GazetteRecord)
    fields = record.__dict__
    fields.update(_RECORD_DEFAULTS)
    fields.update(values)
    return record
