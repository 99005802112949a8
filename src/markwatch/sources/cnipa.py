"""The CNIPA gazette list as the official site's front end exports it (商标公告列表导出).

A row of the site's list answer carries these fields (the site's own names)::

    id, searchId, anncIssue, anncDate, anncType, anncTypeName, regNo, registerCnName, registerCnAddress,
    registerEnName, registerEnAddress, agentName, tmName, intlCls, applyDate, pageNo, fileId, imgDir,
    anncPageNum

``site_row`` turns such a row into the canonical gazette fields, with no hand mapping: regNo is the
application number, tmName the mark (empty or 图形 for a figurative mark), anncIssue and anncDate the issue
and its date, pageNo the mark's page and anncPageNum the page count of the announcement in that issue;
the site's references (row id, fileId, imgDir, the announcement type, the agent, the English name and
address) are kept as the record's ``refs`` so that an alert can point at its gazette page. The list
mixes every announcement type (注册公告, 转让公告, 送达公告…): only 初步审定 rows are watched, the others
raise ``NotWatched`` and are counted as skipped with their type.

The same columns are read from CSV, TSV, XLSX and JSON Lines by the table readers; a ``.json`` file is
read here: an array of rows, one answer of the site (``{"code": 0, "data": {"list": [...], "total": N,
"pageIndex": 1, "pages": P}}``, or ``{"list"|"rows"|"records": [...]}``), or an array of such answers
(one per listing page). A declared ``total`` and the listing pages are checked against what the file
holds, and the differences become notes of the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from markwatch.errors import FileFormatError
from markwatch.sources.decoding import read_text_file
from markwatch.sources.fields import NotWatched, RawRow, is_blank, normalise_key

# site field → canonical field (the rest of a row's keys pass through unchanged: goods and 类似群 added
# from the detail page keep their own names)
SITE_FIELDS: dict[str, str] = {
    "regNo": "application_no", "tmName": "mark", "intlCls": "classes", "applyDate": "filing_date",
    "anncDate": "publication_date", "anncIssue": "gazette_issue", "pageNo": "page_no",
    "anncPageNum": "page_count",
}
# kept as the record's references, in this order
SITE_REFS = ("id", "searchId", "fileId", "imgDir", "anncType", "anncTypeName", "agentName",
             "registerEnName", "registerEnAddress")
_SITE_KEYS = {normalise_key(k) for k in (*SITE_FIELDS, *SITE_REFS, "registerCnName", "registerCnAddress")}
_SITE_ONLY = _SITE_KEYS - {"id", "searchid"}
# the announcement type code of 商标初步审定公告 on the site
PRELIMINARY_TYPE_CODES = frozenset({"TMZCSQ"})
PRELIMINARY_WORD = "初步审定"
FIGURATIVE_NAMES = frozenset({"图形", "图形商标", "(图形)", "（图形）", "图", "无"})


def is_site_row(m: Mapping[Any, Any]) -> bool:
    """A row in the site's field names (two of its own names at least)."""
    keys = tuple(m)
    known = _SITE_ROW_KEYS.get(keys)
    if known is None:
        known = sum(1 for k in keys if normalise_key(k) in _SITE_ONLY) >= 2
        if len(_SITE_ROW_KEYS) > 1000:
            _SITE_ROW_KEYS.clear()
        _SITE_ROW_KEYS[keys] = known
    return known


# the answer per set of keys: every row of a file has the same few
_SITE_ROW_KEYS: dict[tuple, bool] = {}


def _get(m: Mapping[str, Any], name: str) -> Any:
    for k, v in m.items():
        if normalise_key(k) == normalise_key(name):
            return v
    return None


def announcement_type(m: Mapping[str, Any]) -> str | None:
    name, code = _get(m, "anncTypeName"), _get(m, "anncType")
    if not is_blank(name):
        return str(name).strip()
    if not is_blank(code):
        return str(code).strip()
    return None


def is_preliminary(kind: str | None) -> bool:
    """No type given (a plain export of one announcement), or the 初步审定 announcement."""
    return kind is None or PRELIMINARY_WORD in kind or kind.upper() in PRELIMINARY_TYPE_CODES


def site_row(m: Mapping[str, Any]) -> dict[str, Any]:
    """A site list row as canonical gazette fields; other rows unchanged. NotWatched for rows of another
    announcement type."""
    if not is_site_row(m):
        return dict(m)
    kind = announcement_type(m)
    if not is_preliminary(kind):
        raise NotWatched(f"{kind} (非初步审定公告，不监测 / not a preliminary approval, not watched)")
    out: dict[str, Any] = {k: v for k, v in m.items() if normalise_key(k) not in _SITE_KEYS}
    for name, field in SITE_FIELDS.items():
        value = _get(m, name)
        if not is_blank(value) and is_blank(out.get(field)):
            out[field] = value
    applicant = _get(m, "registerCnName")
    out.setdefault("applicant", applicant if not is_blank(applicant) else _get(m, "registerEnName"))
    agent = _get(m, "agentName")
    if not is_blank(agent):
        out.setdefault("agent", agent)
    address = _get(m, "registerCnAddress")
    out.setdefault("applicant_address", address if not is_blank(address) else _get(m, "registerEnAddress"))
    mark = out.get("mark")
    if is_blank(mark) or (isinstance(mark, str) and mark.strip() in FIGURATIVE_NAMES):
        out["mark"] = ""
        out.setdefault("mark_type", "figurative")
    refs = {name: _get(m, name) for name in SITE_REFS}
    out["refs"] = {k: v for k, v in refs.items() if not is_blank(v)}
    return out


def loose_place(m: Mapping[str, Any] | None) -> tuple[str | None, int | None]:
    """The issue and page a row claims, read leniently (for a row that is otherwise unusable)."""
    if not isinstance(m, Mapping):
        return None, None
    issue = page = None
    for key in ("anncIssue", "gazette_issue", "期号", "issue"):
        value = _get(m, key)
        if not is_blank(value):
            issue = str(value).strip().removeprefix("第").removesuffix("期").strip()[:40] or None
            break
    for key in ("pageNo", "page_no", "页码"):
        value = _get(m, key)
        try:
            page = int(str(value).strip()) if not is_blank(value) else None
        except ValueError:
            page = None
        if page is not None:
            break
    return issue, page if page is None or 0 < page < 10_000_000 else None


# ---------------------------------------------------------------------------------------------
# The site's JSON answers
# ---------------------------------------------------------------------------------------------

_LIST_KEYS = ("list", "rows", "records", "items", "data")


def _rows_of(payload: Mapping[str, Any]) -> tuple[list[Any] | None, Mapping[str, Any]]:
    """(rows, the mapping that held them) of one answer, looking into data/result."""
    for holder in (payload, payload.get("data"), payload.get("result")):
        if not isinstance(holder, Mapping):
            continue
        for key in _LIST_KEYS:
            rows = holder.get(key)
            if isinstance(rows, list):
                return rows, holder
    return None, payload


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _is_answer(value: Any) -> bool:
    return isinstance(value, Mapping) and not is_site_row(value) and _rows_of(value)[0] is not None


class JsonRows:
    """The rows of a ``.json`` export, with notes about what the file says it should hold."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.notes: list[str] = []
        text = read_text_file(self.path)  # eagerly: an unreadable file fails at call time
        try:
            self.document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FileFormatError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} "
                                  "(不是有效的 JSON 文件)") from None
        if isinstance(self.document, Mapping) and _rows_of(self.document)[0] is None:
            code = self.document.get("code", self.document.get("status"))
            message = self.document.get("msg", self.document.get("message", ""))
            raise FileFormatError(f"{path}: the JSON holds no list of records (code={code!r} {message}); export "
                                  "the list answer of the gazette site or an array of rows (JSON 中没有记录列表)")
        if not isinstance(self.document, (list, Mapping)):
            raise FileFormatError(f"{path}: the JSON must be an array of records or the site's list answer "
                                  "(JSON 应为记录数组或列表查询结果)")

    def __iter__(self) -> Iterator[RawRow]:
        doc = self.document
        answers = [doc] if isinstance(doc, Mapping) else (doc if doc and all(_is_answer(d) for d in doc) else None)
        if answers is None:
            yield from self._rows(doc, "record {n}")
            return
        declared: int | None = None
        page_total: int | None = None
        seen_pages: set[int] = set()
        count = 0
        for ordinal, answer in enumerate(answers, start=1):
            rows, holder = _rows_of(answer)
            index = _int(holder.get("pageIndex", holder.get("pageNum", holder.get("current"))))
            declared = _int(holder.get("total")) if holder.get("total") is not None else declared
            page_total = _int(holder.get("pages")) if holder.get("pages") is not None else page_total
            page = index if index is not None else ordinal
            seen_pages.add(page)
            label = f"page {page} record {{n}}" if len(answers) > 1 or index is not None else "record {n}"
            for item in self._rows(rows or [], label):
                count += 1
                yield item
        if declared is not None and declared != count:
            self.notes.append(f"the export declares {declared} records but holds {count} "
                              f"(导出文件声明共 {declared} 条，实际 {count} 条)")
        if page_total is not None:
            missing = [p for p in range(1, page_total + 1) if p not in seen_pages]
            if missing:
                shown = ", ".join(map(str, missing[:20])) + (" …" if len(missing) > 20 else "")
                self.notes.append(f"listing pages missing from the export: {shown} of {page_total} "
                                  f"(导出缺少列表第 {shown} 页，共 {page_total} 页)")

    @staticmethod
    def _rows(rows: list[Any], label: str) -> Iterator[RawRow]:
        for n, row in enumerate(rows, start=1):
            locator = label.format(n=n)
            raw = json.dumps(row, ensure_ascii=False, default=str)
            if not isinstance(row, Mapping):
                yield RawRow(locator, raw, None, f"record is {type(row).__name__}, not an object (不是 JSON 对象)")
            else:
                yield RawRow(locator, raw, dict(row), None)
