"""Alerts as users see them: listing with filters, review status, and export to JSONL, CSV and XLSX."""

from __future__ import annotations

import calendar
import csv
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import Select, String, case, cast, func, or_, select
from sqlalchemy.orm import Session, joinedload

from markwatch.errors import Conflict, MarkwatchError, NotFound
from markwatch.fileio import atomic_output
from markwatch.goods.table import MarkGroups, mark_groups
from markwatch.ports import GoodsTable
from markwatch.store.tables import AlertEvent, AlertRow, BrandRow, GazetteMark, Subscription, Watchlist

STATUSES = ("new", "reviewing", "opposition_filed", "dismissed")
STATUS_LABELS = {"new": "新预警", "reviewing": "审查中", "opposition_filed": "已提异议", "dismissed": "已排除"}
SEVERITY_LABELS = {"high": "高", "medium": "中", "low": "低"}
OPEN_STATUSES = ("new", "reviewing")  # still to decide; filed and dismissed alerts are done with
DUE_WINDOWS = ("week", "month")  # open alerts with deadlines from today to the end of this week / month
# Sort keys of an alert list ("-" before one for descending); every order ends with the alert id.
SORT_KEYS = ("deadline", "score", "severity", "publication", "brand", "mark", "applicant", "status", "alert")
ALLOWED_MOVES = {
    "new": {"reviewing", "opposition_filed", "dismissed"},
    "reviewing": {"opposition_filed", "dismissed", "new"},
    "opposition_filed": {"reviewing"},
    "dismissed": {"reviewing", "new"},
}

# Export columns: key, Chinese header (the XLSX and CSV use these; JSONL uses the keys). The first
# seventeen keep their places from earlier exports; what the brand owner and the reviewer need follows.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("alert_id", "预警编号"), ("severity", "风险等级"), ("score", "近似度"), ("opposition_deadline", "异议截止日"),
    ("days_left", "剩余天数"), ("watchlist", "监测名单"), ("brand_id", "品牌编号"), ("brand", "监测商标"),
    ("application_no", "申请号"), ("mark", "初审商标"), ("classes", "类别"), ("applicant", "申请人"),
    ("publication_date", "初审公告日"), ("gazette_issue", "公告期号"), ("reasons", "预警理由"),
    ("status", "处理状态"), ("deadline_note", "期限说明"),
    ("goods", "商品/服务项目"), ("similar_groups", "类似群"), ("applicant_address", "申请人地址"),
    ("agent", "代理机构"), ("brand_owner", "商标权利人"), ("brand_classes", "监测商标类别"),
    ("brand_similar_groups", "监测商标类似群"), ("status_by", "处理人"), ("status_comment", "处理备注"),
    ("reviewed_at", "处理时间"), ("gazette_page", "公告页码"),
)
_LIST_COLUMNS = frozenset({"classes", "brand_classes", "brand_similar_groups", "similar_groups"})


@dataclass
class AlertFilter:
    """Which alerts, in which order. `since`/`until` bound the publication date, `deadline_from`/
    `deadline_to` the opposition deadline; `due` (week or month) sets the deadline window from today and
    keeps the open alerts only (new, reviewing: a filed or dismissed alert is not due);
    `mark_class` is a Nice class of the new mark; `text` is looked for in the marks, the applicant,
    the agent and the application number."""

    watchlist_ids: Sequence[int] | None = None  # None: all visible
    watchlist: str | None = None
    brand_id: str | None = None
    severity: str | None = None
    status: str | None = None
    since: date | None = None
    until: date | None = None
    mark_class: int | None = None
    text: str | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None
    due: str | None = None
    sort: str | None = None
    limit: int | None = None
    offset: int = 0


def parse_severity(value: str | None) -> str | None:
    """A severity by its name or its Chinese label (high / 高); MarkwatchError when it is neither."""
    return _choice(value, {**{k: k for k in SEVERITY_LABELS}, **{v: k for k, v in SEVERITY_LABELS.items()}},
                   "severity")


def parse_status(value: str | None) -> str | None:
    """A review status by its name or its Chinese label (reviewing / 审查中)."""
    return _choice(value, {**{k: k for k in STATUSES}, **{v: k for k, v in STATUS_LABELS.items()}}, "status")


def _choice(value: str | None, table: dict[str, str], what: str) -> str | None:
    if value is None or not value.strip():
        return None
    found = table.get(value.strip().lower()) or table.get(value.strip())
    if found is None:
        names = ", ".join(dict.fromkeys(f"{k} ({lab})" for k, lab in (
            SEVERITY_LABELS if what == "severity" else STATUS_LABELS).items()))
        raise MarkwatchError(f"unknown {what} {value!r}; use one of {names}")
    return found


def due_window(due: str, today: date) -> tuple[date, date]:
    """The deadlines of the "due this week / this month" views: today to Sunday, or to the month's end.
    The views show only OPEN_STATUSES (see `_where`)."""
    if due == "week":
        return today, today + timedelta(days=6 - today.weekday())
    if due == "month":
        return today, today.replace(day=calendar.monthrange(today.year, today.month)[1])
    raise MarkwatchError(f"unknown due window {due!r}; use week or month")


def check_filter(f: AlertFilter, today: date) -> AlertFilter:
    """Validate a filter the way every caller needs it (the API, the CLI): names, windows, sort keys."""
    f.severity = parse_severity(f.severity)
    f.status = parse_status(f.status)
    if f.since and f.until and f.since > f.until:
        raise MarkwatchError(f"since {f.since} is after until {f.until}")
    if f.due:
        f.deadline_from, f.deadline_to = due_window(f.due, today)
    if f.deadline_from and f.deadline_to and f.deadline_from > f.deadline_to:
        raise MarkwatchError(f"deadline_from {f.deadline_from} is after deadline_to {f.deadline_to}")
    if f.mark_class is not None and not 1 <= f.mark_class <= 45:
        raise MarkwatchError(f"class {f.mark_class} is not a Nice class (1-45)")
    if f.sort and f.sort.lstrip("-") not in SORT_KEYS:
        raise MarkwatchError(f"unknown sort {f.sort!r}; use one of {', '.join(SORT_KEYS)} (with - for descending)")
    if f.text is not None:
        f.text = f.text.strip() or None
    return f


def visible_watchlist_ids(s: Session, organisation_id: int) -> list[int]:
    """Watchlists an organisation owns or subscribes to (one query)."""
    owned = select(Watchlist.id).where(Watchlist.organisation_id == organisation_id)
    subscribed = select(Subscription.watchlist_id).where(Subscription.organisation_id == organisation_id)
    return sorted(set(s.scalars(owned.union(subscribed))))


def _where(q: Select, f: AlertFilter) -> Select:
    q = (q.join(BrandRow, AlertRow.brand_pk == BrandRow.id)
         .join(GazetteMark, AlertRow.gazette_mark_id == GazetteMark.id)
         .join(Watchlist, AlertRow.watchlist_id == Watchlist.id))
    if f.watchlist_ids is not None:
        q = q.where(AlertRow.watchlist_id.in_(list(f.watchlist_ids) or [-1]))
    if f.watchlist:
        q = q.where(or_(Watchlist.name == f.watchlist, Watchlist.id == _int_or(f.watchlist)))
    if f.brand_id:
        q = q.where(BrandRow.brand_id == f.brand_id)
    if f.severity:
        q = q.where(AlertRow.severity == f.severity)
    if f.status:
        q = q.where(AlertRow.status == f.status)
    if f.due:  # what is due is what still waits for a decision
        q = q.where(AlertRow.status.in_(OPEN_STATUSES))
    if f.since:
        q = q.where(GazetteMark.publication_date >= f.since)
    if f.until:
        q = q.where(GazetteMark.publication_date <= f.until)
    if f.deadline_from:
        q = q.where(AlertRow.opposition_deadline >= f.deadline_from)
    if f.deadline_to:
        q = q.where(AlertRow.opposition_deadline <= f.deadline_to)
    if f.mark_class is not None:
        q = q.where(_json_list_has(GazetteMark.classes, f.mark_class))
    if f.text:
        q = q.where(or_(*(col.contains(f.text, autoescape=True) for col in (
            GazetteMark.mark, GazetteMark.application_no, GazetteMark.applicant, GazetteMark.agent, BrandRow.mark,
            BrandRow.brand_id))))
    return q


def check_names(s: Session, f: AlertFilter) -> None:
    """A watchlist or brand the filter names must exist: a typo is an error, not an empty list."""
    if f.watchlist:
        found = s.scalar(select(func.count(Watchlist.id)).where(
            or_(Watchlist.name == f.watchlist, Watchlist.id == _int_or(f.watchlist))))
        if not found:
            names = sorted(s.scalars(select(Watchlist.name)))
            raise NotFound(f"no watchlist {f.watchlist!r}; there are: {', '.join(names) or '(none)'} "
                           "(name or id, see markwatch watchlist list)")
    if f.brand_id and not s.scalar(select(func.count(BrandRow.id)).where(BrandRow.brand_id == f.brand_id)):
        raise NotFound(f"no brand {f.brand_id!r} on any watchlist (商标编号不存在)")


def _json_list_has(column, number: int):
    """A JSON list of numbers holds `number`: on its text (json.dumps writes "[3, 30]"), so alike on
    SQLite and PostgreSQL."""
    text = cast(column, String)
    n = int(number)
    return or_(text == f"[{n}]", text.like(f"[{n}, %"), text.like(f"%, {n}]"), text.like(f"%, {n}, %"))


_SEVERITY_RANK = case({"high": 0, "medium": 1, "low": 2}, value=AlertRow.severity, else_=3)


def _order(f: AlertFilter) -> list:
    if not f.sort:
        return [AlertRow.opposition_deadline.asc().nulls_last(), AlertRow.score.desc(), AlertRow.id]
    key, desc = f.sort.lstrip("-"), f.sort.startswith("-")
    column = {"deadline": AlertRow.opposition_deadline, "score": AlertRow.score, "severity": _SEVERITY_RANK,
              "publication": GazetteMark.publication_date, "brand": BrandRow.mark, "mark": GazetteMark.mark,
              "applicant": GazetteMark.applicant, "status": AlertRow.status, "alert": AlertRow.id}[key]
    primary = column.desc().nulls_last() if desc else column.asc().nulls_last()
    return [primary, AlertRow.opposition_deadline.asc().nulls_last(), AlertRow.id]


def alert_query(f: AlertFilter) -> Select:
    q = _where(select(AlertRow), f).options(joinedload(AlertRow.brand), joinedload(AlertRow.gazette_mark),
                                            joinedload(AlertRow.watchlist))
    q = q.order_by(*_order(f))
    if f.limit is not None:
        q = q.limit(f.limit)
    if f.offset:
        q = q.offset(f.offset)
    return q


# The columns `alert_dict` (and `can_review`) read, per table. The alert lists load these and no more:
# no ORM objects, and not the marks' stored normal forms or the brands' exclusions, which a list never
# shows. A column alert_dict starts to read must be added here (the views raise AttributeError until then).
_VIEW_COLUMNS = (
    ("alert", AlertRow, ("id", "watchlist_id", "score", "severity", "reasons", "opposition_deadline",
                         "deadline_note", "deadline_rule", "deadline_calendar", "status", "status_comment",
                         "status_by", "created_at")),
    ("brand", BrandRow, ("brand_id", "mark", "kind", "owner", "aliases", "classes", "similar_groups", "well_known",
                         "logo_file")),
    ("gazette_mark", GazetteMark, ("application_no", "office", "mark", "classes", "goods", "similar_groups",
                                   "applicant", "applicant_address", "agent", "filing_date", "mark_type",
                                   "publication_date", "gazette_issue", "procedure", "international_registration_no",
                                   "wipo_gazette", "wipo_publication_date", "designation_date", "page_no",
                                   "page_count", "refs", "image_file")),
    ("watchlist", Watchlist, ("name", "organisation_id")),
)


@cache
def _views_select() -> Select:
    """The columns of `_VIEW_COLUMNS` and the last review time: built once, since a statement of fifty
    labelled columns costs more to put together than to run on a page of alerts."""
    columns = [getattr(table, name).label(f"{part}__{name}") for part, table, names in _VIEW_COLUMNS
               for name in names]
    reviewed = (select(func.max(AlertEvent.created_at)).where(AlertEvent.alert_id == AlertRow.id)
                .correlate(AlertRow).scalar_subquery().label("reviewed_at"))
    return select(*columns, reviewed)


def alert_views(s: Session, f: AlertFilter) -> list[SimpleNamespace]:
    """The alerts of `f` (checked and scoped by the caller) in its order and page, as plain objects that
    `alert_dict` reads like the ORM rows (``a.brand.mark``, ``a.gazette_mark.goods``...), each with
    `reviewed_at`: when its status was last set (None if never). One query."""
    q = _where(_views_select(), f).order_by(*_order(f))
    if f.limit is not None:
        q = q.limit(f.limit)
    if f.offset:
        q = q.offset(f.offset)
    views = []
    for row in s.execute(q):
        values = row._asdict()
        parts = {part: SimpleNamespace(**{name: values[f"{part}__{name}"] for name in names})
                 for part, _, names in _VIEW_COLUMNS}
        a = parts.pop("alert")
        a.__dict__.update(parts, reviewed_at=values["reviewed_at"])
        views.append(a)
    return views


def count_alerts(s: Session, f: AlertFilter) -> int:
    """How many alerts match the filter, ignoring limit and offset (the total of a paginated list)."""
    return s.scalar(_where(select(func.count(AlertRow.id)), f)) or 0


def _int_or(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


def _quoted(value: object, safe: str = "") -> str:
    from urllib.parse import quote

    return quote(str(value if value is not None else ""), safe=safe)


def gazette_page(m: GazetteMark, template: str = "") -> dict | None:
    """Where the mark stands in its gazette: issue, page, page count, the site's file id and image path,
    and a link: the image path when it is a URL, else ``template`` (the setting ``gazette_page_url``)
    filled with {img_dir} {file_id} {issue} {page} {application_no}."""
    refs = m.refs or {}
    if not m.page_no and not refs:
        return None
    img, fid = refs.get("imgDir"), refs.get("fileId")
    url = None
    if img and re.match(r"(?i)https?://", img):
        url = img
    elif template:
        try:
            url = template.format_map({"img_dir": _quoted(img, "/"), "file_id": _quoted(fid),
                                       "issue": _quoted(m.gazette_issue), "page": _quoted(m.page_no),
                                       "application_no": _quoted(m.application_no)})
        except (KeyError, ValueError, IndexError):
            url = None
    return {"issue": m.gazette_issue, "page_no": m.page_no, "page_count": m.page_count, "file_id": fid,
            "img_dir": img, "url": url}


def alert_dict(a: AlertRow, today: date, page_url: str = "") -> dict:
    """`today` is the day in the settings' time zone (`Settings.today`), from which `days_left` counts;
    `page_url` the setting ``gazette_page_url``."""
    m, b = a.gazette_mark, a.brand
    return {
        "alert_id": a.id,
        "watchlist_id": a.watchlist_id,
        "watchlist": a.watchlist.name,
        "brand_id": b.brand_id,
        "brand": b.mark,
        "brand_kind": b.kind,
        "brand_owner": b.owner,
        "brand_aliases": list(b.aliases or []),
        "brand_classes": list(b.classes or []),
        "brand_similar_groups": list(b.similar_groups or []),
        "brand_well_known": b.well_known,
        "application_no": m.application_no,
        "office": m.office,
        "mark": m.mark,
        "classes": list(m.classes or []),
        "goods": list(m.goods or []),
        "similar_groups": list(m.similar_groups or []),
        "applicant": m.applicant,
        "applicant_address": m.applicant_address,
        "agent": m.agent,
        "filing_date": m.filing_date.isoformat() if m.filing_date else None,
        "mark_type": m.mark_type,
        "publication_date": m.publication_date.isoformat() if m.publication_date else None,
        "gazette_issue": m.gazette_issue,
        "score": round(a.score, 4),
        "severity": a.severity,
        "reasons": list(a.reasons or []),
        "opposition_deadline": a.opposition_deadline.isoformat() if a.opposition_deadline else None,
        "days_left": (a.opposition_deadline - today).days if a.opposition_deadline else None,
        "deadline_note": a.deadline_note,
        "deadline_rule": a.deadline_rule,
        "deadline_calendar": a.deadline_calendar,
        "procedure": m.procedure,
        "international_registration_no": m.international_registration_no,
        "wipo_gazette": m.wipo_gazette,
        "wipo_publication_date": m.wipo_publication_date.isoformat() if m.wipo_publication_date else None,
        "designation_date": m.designation_date.isoformat() if m.designation_date else None,
        "gazette_page": gazette_page(m, page_url),
        # the two pictures of the pair, when stored (GET /alerts/{id}/image/mark and /image/logo)
        "mark_image": bool(m.image_file),
        "brand_logo": bool(b.logo_file),
        "status": a.status,
        "status_comment": a.status_comment,
        "status_by": a.status_by,
        "created_at": a.created_at.isoformat() if a.created_at else None,
    }


def list_alerts(s: Session, f: AlertFilter, today: date, page_url: str = "") -> list[dict]:
    check_filter(f, today)
    check_names(s, f)
    return with_review_times(s, [alert_dict(a, today, page_url) for a in s.scalars(alert_query(f)).unique()])


def with_review_times(s: Session, rows: list[dict]) -> list[dict]:
    """`reviewed_at` on each alert: when its status was last set (None if never), in one query."""
    ids = [r["alert_id"] for r in rows]
    last: dict[int, datetime] = {}
    if ids:
        last = dict(s.execute(select(AlertEvent.alert_id, func.max(AlertEvent.created_at))
                              .where(AlertEvent.alert_id.in_(ids)).group_by(AlertEvent.alert_id)).all())
    for r in rows:
        at = last.get(r["alert_id"])
        r["reviewed_at"] = at.isoformat() if at else None
    return rows


def with_mark_groups(rows: list[dict], table: GoodsTable | None) -> list[dict]:
    """Each alert's `similar_groups` as the new mark has them: the record's own codes or, when the record
    carries none, its goods texts looked up in the 类似商品和服务区分表 (`similar_groups_from_goods`).
    Applied once, where a service hands out alert dicts (lists, exports, the alert page)."""
    found: dict[tuple, MarkGroups] = {}
    for r in rows:
        key = (tuple(r["similar_groups"]), tuple(r["goods"]), tuple(r["classes"]))
        if key not in found:
            found[key] = mark_groups(table, r["similar_groups"], r["goods"], r["classes"])
        r["similar_groups"] = sorted(found[key].groups)
        r["similar_groups_from_goods"] = found[key].from_goods
    return rows


def set_status(s: Session, alert: AlertRow, status: str, *, comment: str | None, actor: str | None) -> bool:
    """Move an alert to `status` with `comment`; False (and no history entry) when neither changes."""
    if status not in STATUSES:
        raise MarkwatchError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    if status != alert.status and status not in ALLOWED_MOVES[alert.status]:
        raise Conflict(f"alert {alert.id} cannot move from {alert.status} to {status}; allowed: "
                       f"{', '.join(sorted(ALLOWED_MOVES[alert.status]))}")
    comment = comment.strip() if comment and comment.strip() else None
    if status == alert.status and comment == (alert.status_comment or None):
        return False

    from markwatch.service.dismissals import record_dismissal, withdraw_dismissal

    if status == "dismissed":
        record_dismissal(s, alert, actor=actor, comment=comment)
    elif alert.status == "dismissed":
        withdraw_dismissal(s, alert)
    alert.status = status
    alert.status_comment = comment
    alert.status_by = actor
    s.add(AlertEvent(alert_id=alert.id, status=status, comment=comment, actor=actor))
    return True


def get_alert(s: Session, alert_id: int, visible: Sequence[int] | None) -> AlertRow:
    a = s.get(AlertRow, alert_id)
    if a is None or (visible is not None and a.watchlist_id not in visible):
        raise NotFound(f"alert {alert_id} not found")
    return a


# ---------------------------------------------------------------- export
def export_filename(fmt: str, today: date) -> str:
    """The dated name an export is offered under: markwatch-alerts-20261106.xlsx."""
    return f"markwatch-alerts-{today.strftime('%Y%m%d')}.{fmt}"


def reasons_text(reasons: Iterable[dict]) -> str:
    return "；".join(r.get("detail", "") for r in reasons if r.get("detail"))


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formula injection: text starting with = + - @ (or tab/CR) is made literal."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def flat_row(d: dict) -> list[object]:
    out: list[object] = []
    for key, _ in COLUMNS:
        v = d.get(key)
        if key == "reasons":
            v = reasons_text(v or [])
        elif key in _LIST_COLUMNS:
            v = ",".join(str(c) for c in v or [])
        elif key == "goods":
            v = "；".join(v or [])
        elif key == "severity":
            v = SEVERITY_LABELS.get(str(v), v)
        elif key == "status":
            v = STATUS_LABELS.get(str(v), v)
        elif key == "gazette_page":
            v = _page_label(v)
        out.append(safe_cell(v))
    return out


def _page_label(page: dict | None) -> str | None:
    if not page or not page.get("page_no"):
        return None
    label = f"第{page['issue']}期第{page['page_no']}页" if page.get("issue") else f"第{page['page_no']}页"
    return label + (f" {page['url']}" if page.get("url") else "")


def export_alerts(rows: list[dict], fmt: str, out: Path) -> Path:
    """Write the alerts to `out` whole or not at all (a failure leaves an earlier file there intact)."""
    if fmt not in ("jsonl", "csv", "xlsx"):
        raise MarkwatchError(f"unknown export format {fmt!r}; use jsonl, csv or xlsx")
    out = Path(out)
    with atomic_output(out) as tmp:
        if fmt == "jsonl":
            with open(tmp, "w", encoding="utf-8") as fh:
                for d in rows:
                    fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        elif fmt == "csv":
            # UTF-8 with BOM so that spreadsheet programs on Chinese Windows open it correctly.
            with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow([h for _, h in COLUMNS])
                for d in rows:
                    w.writerow(flat_row(d))
        else:
            write_xlsx(rows, tmp)
    return out


def write_xlsx(rows: list[dict], out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "商标预警"
    ws.append([h for _, h in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for d in rows:
        ws.append(flat_row(d))
    widths = {"reasons": 60, "applicant": 30, "applicant_address": 30, "agent": 24, "watchlist": 24, "mark": 18,
              "brand": 14, "brand_owner": 24, "goods": 40, "deadline_note": 30, "status_comment": 30,
              "reviewed_at": 20}
    for i, (key, _) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = widths.get(key, 12)
    for row in ws.iter_rows(min_row=2):
        row[[k for k, _ in COLUMNS].index("reasons")].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.save(out)
