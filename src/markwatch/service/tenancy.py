"""Use cases made as an organisation (租户隔离): watchlists, brands, subscriptions and alerts.

Every function takes the calling ``Principal``. An organisation sees the watchlists it owns and those
it subscribes to, and the alerts of those; an admin sees everything. An object the caller cannot see
is ``NotFound`` (so its existence does not leak); one it sees but may not change is ``Forbidden``.
"""

from __future__ import annotations

import re
import secrets
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from markwatch.errors import Conflict, FileFormatError, Forbidden, MarkwatchError, NotFound, RecordError
from markwatch.model import Brand
from markwatch.outbound import check_url, mask_url
from markwatch.service.alerts import (
    AlertFilter,
    alert_dict,
    alert_query,
    alert_views,
    check_filter,
    get_alert,
    set_status,
    visible_watchlist_ids,
)
from markwatch.service.email_addresses import is_confirmed, request_confirmation
from markwatch.service.orgs import Principal
from markwatch.service.watchlists import brand_values, upsert_brand
from markwatch.store.rows import brand_from_row, iso
from markwatch.store.tables import AlertEvent, AlertRow, BrandRow, GazetteMark, Organisation, Subscription, Watchlist

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WEBHOOK = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)


# ---------------------------------------------------------------- visibility
def visible_ids(s: Session, p: Principal) -> list[int] | None:
    """Watchlist ids the caller may see; None means all (admin)."""
    return None if p.is_admin else visible_watchlist_ids(s, p.id)


def _watchlist(s: Session, p: Principal, watchlist_id: int, *, write: bool = False) -> Watchlist:
    wl = s.get(Watchlist, watchlist_id)
    visible = visible_ids(s, p)
    if wl is None or (visible is not None and wl.id not in visible):
        raise NotFound(f"watchlist {watchlist_id} not found")
    if write and not p.is_admin and wl.organisation_id != p.id:
        raise Forbidden(f"watchlist {watchlist_id} belongs to {wl.organisation.name}; only its owner may change it")
    return wl


def watchlist_dict(s: Session, w: Watchlist, p: Principal | None = None,
                   counts: Mapping[int, tuple[int, int]] | None = None) -> dict:
    """`counts`: (brands, subscribers) per watchlist id from `watchlist_counts`, asked once for a list."""
    brands, subscribers = (counts if counts is not None else watchlist_counts(s, [w.id])).get(w.id, (0, 0))
    return {
        "id": w.id, "name": w.name, "description": w.description, "organisation": w.organisation.name,
        "organisation_id": w.organisation_id, "brands": brands,
        "owned": p is not None and (p.is_admin or w.organisation_id == p.id),
        "subscribers": subscribers,
        "created_at": iso(w.created_at),
    }


def watchlist_counts(s: Session, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(brands, subscribers) of each watchlist, counted by the database: a list of watchlists costs two
    small queries however many brands they hold, never a load of the brand rows."""
    if not ids:
        return {}
    brands = dict(s.execute(select(BrandRow.watchlist_id, func.count(BrandRow.id))
                            .where(BrandRow.watchlist_id.in_(ids)).group_by(BrandRow.watchlist_id)).all())
    subs = dict(s.execute(select(Subscription.watchlist_id, func.count(Subscription.id))
                          .where(Subscription.watchlist_id.in_(ids)).group_by(Subscription.watchlist_id)).all())
    return {i: (brands.get(i, 0), subs.get(i, 0)) for i in ids}


def brand_dict(b: BrandRow) -> dict:
    return {"watchlist_id": b.watchlist_id, "brand_id": b.brand_id, **brand_values(_brand_of(b)),
            "updated_at": iso(b.updated_at)}


def _brand_of(b: BrandRow) -> Brand:

    return brand_from_row(b)


# ---------------------------------------------------------------- watchlists
def list_watchlists(s: Session, p: Principal) -> list[dict]:
    q = select(Watchlist).order_by(Watchlist.id)
    visible = visible_ids(s, p)
    if visible is not None:
        q = q.where(Watchlist.id.in_(visible or [-1]))
    rows = list(s.scalars(q.options(joinedload(Watchlist.organisation))))
    counts = watchlist_counts(s, [w.id for w in rows])
    return [watchlist_dict(s, w, p, counts) for w in rows]


def get_watchlist(s: Session, p: Principal, watchlist_id: int) -> dict:
    return watchlist_dict(s, _watchlist(s, p, watchlist_id), p)


def _owner_for(s: Session, p: Principal, organisation: str | None) -> int:
    if organisation is None or organisation == p.name:
        return p.id
    if not p.is_admin:
        raise Forbidden("only an admin may create a watchlist for another organisation")
    org = s.scalar(select(Organisation).where(Organisation.name == organisation))
    if org is None:
        raise NotFound(f"no organisation named {organisation!r}")
    return org.id


def create_watchlist(s: Session, p: Principal, name: str, description: str | None = None,
                     organisation: str | None = None) -> dict:
    from markwatch.sources.watchlists import clean_text

    name = clean_text(name)
    if not name:
        raise MarkwatchError("a watchlist needs a name (监测名单名称不能为空)")
    owner = _owner_for(s, p, organisation)
    if s.scalar(select(Watchlist.id).where(Watchlist.organisation_id == owner, Watchlist.name == name)):
        raise Conflict(f"a watchlist named {name!r} already exists for this organisation (名单已存在)")
    wl = Watchlist(name=name, description=description, organisation_id=owner)
    s.add(wl)
    s.flush()
    s.refresh(wl)
    return watchlist_dict(s, wl, p)


def update_watchlist(s: Session, p: Principal, watchlist_id: int, changes: Mapping[str, Any]) -> dict:
    wl = _watchlist(s, p, watchlist_id, write=True)
    if "name" in changes and changes["name"] is not None:
        from markwatch.sources.watchlists import clean_text

        name = clean_text(str(changes["name"]))
        if not name:
            raise MarkwatchError("a watchlist needs a name (监测名单名称不能为空)")
        clash = s.scalar(select(Watchlist.id).where(Watchlist.organisation_id == wl.organisation_id,
                                                    Watchlist.name == name, Watchlist.id != wl.id))
        if clash:
            raise Conflict(f"a watchlist named {name!r} already exists for this organisation (名单已存在)")
        wl.name = name
    if "description" in changes:
        wl.description = changes["description"]
    s.flush()
    return watchlist_dict(s, wl, p)


def delete_watchlist(s: Session, p: Principal, watchlist_id: int) -> None:
    s.delete(_watchlist(s, p, watchlist_id, write=True))


# ---------------------------------------------------------------- brands
def _brand_row(s: Session, wl: Watchlist, brand_id: str) -> BrandRow:
    row = s.scalar(select(BrandRow).where(BrandRow.watchlist_id == wl.id, BrandRow.brand_id == brand_id))
    if row is None:
        raise NotFound(f"brand {brand_id!r} not found in watchlist {wl.id}")
    return row


def parse_brand(data: Mapping[str, Any]) -> Brand:
    """A brand from API input, validated exactly as a watchlist file row is (RecordError if bad)."""
    from markwatch.sources.watchlists import parse_brand_mapping

    return parse_brand_mapping({k: v for k, v in data.items() if v is not None}, strict=True)


def list_brands(s: Session, p: Principal, watchlist_id: int) -> list[dict]:
    wl = _watchlist(s, p, watchlist_id)
    rows = s.scalars(select(BrandRow).where(BrandRow.watchlist_id == wl.id).order_by(BrandRow.brand_id))
    return [brand_dict(b) for b in rows]


def get_brand(s: Session, p: Principal, watchlist_id: int, brand_id: str) -> dict:
    return brand_dict(_brand_row(s, _watchlist(s, p, watchlist_id), brand_id))


def create_brand(s: Session, p: Principal, watchlist_id: int, data: Mapping[str, Any]) -> dict:
    wl = _watchlist(s, p, watchlist_id, write=True)
    brand = parse_brand(data)
    if s.scalar(select(BrandRow.id).where(BrandRow.watchlist_id == wl.id, BrandRow.brand_id == brand.brand_id)):
        raise Conflict(f"brand {brand.brand_id!r} already exists in watchlist {wl.id} (商标编号已存在)")
    upsert_brand(s, wl, brand)
    s.flush()
    return brand_dict(_brand_row(s, wl, brand.brand_id))


def update_brand(s: Session, p: Principal, watchlist_id: int, brand_id: str, changes: Mapping[str, Any]) -> dict:
    wl = _watchlist(s, p, watchlist_id, write=True)
    row = _brand_row(s, wl, brand_id)
    merged = {"brand_id": brand_id, **brand_values(_brand_of(row))}
    merged.update({k: v for k, v in changes.items() if k != "brand_id"})
    # None clears optional fields; the parser treats a missing key as empty
    upsert_brand(s, wl, parse_brand({k: v for k, v in merged.items() if v is not None}))
    s.flush()
    return brand_dict(_brand_row(s, wl, brand_id))


def delete_brand(s: Session, p: Principal, watchlist_id: int, brand_id: str) -> None:
    wl = _watchlist(s, p, watchlist_id, write=True)
    s.delete(_brand_row(s, wl, brand_id))


IMPORT_SUFFIXES = (".xlsx", ".csv", ".tsv", ".jsonl")
# An upload is one org's list of its own brands (thousands at most); the limits keep one
# request from holding millions of rows, errors or inflated sheet XML in memory.
MAX_IMPORT_ROWS = 50_000
MAX_IMPORT_ERRORS = 100
MAX_IMPORT_XLSX_BYTES = 200_000_000
MAX_IMPORT_XLSX_RATIO = 100


def import_brands(s: Session, p: Principal, watchlist_id: int, filename: str, data: bytes,
                  list_name: str | None = None, year: int | None = None) -> dict:
    """Bulk import brands from an uploaded XLSX/CSV/TSV/JSONL table into one watchlist (upsert by
    brand_id). Rows need only brand columns (编号, 商标, 类别…); watchlist/organisation columns are
    ignored because the watchlist is the one in the URL. Bad rows are listed, good ones stored.
    A key-trademark protection list (重点商标保护名录: 注册号 and 商标 columns, no 编号, a title row
    above the header) is read as one: one key brand per registration, with the list's name and year."""
    from markwatch.sources.tables import check_zip_inflation, iter_table_rows, table_format_for
    from markwatch.sources.watchlists import parse_brand_mapping

    wl = _watchlist(s, p, watchlist_id, write=True)
    suffix = Path(filename or "").suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise FileFormatError(f"unsupported file {filename!r}: upload .xlsx, .csv, .tsv or .jsonl (不支持的文件类型)")
    if not data:
        raise FileFormatError(f"{filename}: the file is empty (文件为空)")
    summary: dict[str, Any] = {"brands_new": 0, "brands_updated": 0, "brands_unchanged": 0, "errors": [],
                               "errors_total": 0}

    def refuse(locator: str, reason: str) -> None:
        summary["errors_total"] += 1
        if len(summary["errors"]) < MAX_IMPORT_ERRORS:
            summary["errors"].append({"locator": locator, "reason": reason})

    with tempfile.TemporaryDirectory(prefix="markwatch-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        fmt = table_format_for(path, {"jsonl", "csv", "tsv", "xlsx"})
        seen: dict[str, str] = {}
        from markwatch.sources.protection_lists import looks_like_protection_list

        try:
            if fmt == "xlsx":
                check_zip_inflation(path, max_bytes=MAX_IMPORT_XLSX_BYTES, max_ratio=MAX_IMPORT_XLSX_RATIO)
        except FileFormatError as exc:
            raise FileFormatError(str(exc).replace(str(path), filename)) from None
        if list_name or year or looks_like_protection_list(path, fmt):
            return _import_protection_list(s, wl, path, filename, list_name, year, summary, refuse)

        def read_rows():
            # only reading errors are the file's fault; errors storing a row stay what they are
            try:
                if fmt == "xlsx":
                    check_zip_inflation(path, max_bytes=MAX_IMPORT_XLSX_BYTES, max_ratio=MAX_IMPORT_XLSX_RATIO)
                yield from iter_table_rows(path, fmt)
            except FileFormatError as exc:
                raise FileFormatError(str(exc).replace(str(path), filename)) from None
            except Exception as exc:
                raise FileFormatError(f"{filename}: cannot read the file: {exc} (文件无法读取)") from None

        # lazily: only the current row is held, and reading stops at the row limit
        for count, row in enumerate(read_rows(), start=1):
            if count > MAX_IMPORT_ROWS:
                raise FileFormatError(f"{filename}: more than {MAX_IMPORT_ROWS} rows; split the file "
                                      f"(行数超过 {MAX_IMPORT_ROWS}，请拆分文件)")
            if row.mapping is None:
                refuse(row.locator, row.error or "unreadable row")
                continue
            try:
                brand = parse_brand_mapping(row.mapping)
            except RecordError as exc:
                refuse(row.locator, str(exc))
                continue
            if brand.brand_id in seen:
                refuse(row.locator, f"duplicate brand_id {brand.brand_id!r}, also at {seen[brand.brand_id]} "
                                    "(商标编号重复)")
                continue
            seen[brand.brand_id] = row.locator
            outcome = upsert_brand(s, wl, brand)
            summary[f"brands_{outcome}"] += 1
            s.flush()
    if not seen and summary["errors"]:
        raise FileFormatError(f"{filename}: no usable brand row; "
                              + "; ".join(f"{e['locator']}: {e['reason']}" for e in summary["errors"][:5]))
    if not seen:
        raise FileFormatError(f"{filename}: no brand rows found (文件中没有商标)")
    return summary


def _import_protection_list(s: Session, wl: Watchlist, path: Path, filename: str, list_name: str | None,
                            year: int | None, summary: dict[str, Any], refuse) -> dict:
    from markwatch.sources.protection_lists import read_protection_list

    try:
        parsed = read_protection_list(path, name=list_name, year=year)
    except FileFormatError as exc:
        raise FileFormatError(str(exc).replace(str(path), filename)) from None
    if len(parsed.brands) + len(parsed.errors) > MAX_IMPORT_ROWS:
        raise FileFormatError(f"{filename}: more than {MAX_IMPORT_ROWS} rows; split the file "
                              f"(行数超过 {MAX_IMPORT_ROWS}，请拆分文件)")
    for locator, reason in parsed.errors:
        refuse(locator, reason)
    if not parsed.brands:
        raise FileFormatError(f"{filename}: no usable row of the protection list (名录中没有可导入的商标)")
    for _, brand in parsed.brands:
        summary[f"brands_{upsert_brand(s, wl, brand)}"] += 1
    s.flush()
    name = parsed.name if parsed.name != path.stem else Path(filename).stem
    return {**summary, "protection_list": name, "year": parsed.year}


# ---------------------------------------------------------------- subscriptions
def subscription_dict(s: Session, sub: Subscription) -> dict:
    return {"id": sub.id, "watchlist_id": sub.watchlist_id, "watchlist": sub.watchlist.name,
            "organisation": sub.organisation.name, "email": sub.email,
            # digests wait until the address has confirmed by the link e-mailed to it
            "email_confirmed": bool(sub.email) and is_confirmed(s, sub.organisation_id, sub.email or ""),
            "webhook": mask_url(sub.webhook), "has_webhook_secret": bool(sub.webhook_secret),
            "created_at": iso(sub.created_at)}


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def _check_secret(secret: str | None) -> None:
    from markwatch.config import DEFAULT_WEBHOOK_SECRET

    if secret is not None and secret.strip() == DEFAULT_WEBHOOK_SECRET:
        raise RecordError("webhook_secret must not be the public default 'change-me'; leave it out and markwatch "
                          "generates one (webhook 密钥不能使用默认值)")


def _check_targets(email: str | None, webhook: str | None, allow: tuple[str, ...] = ()) -> None:
    if email and not EMAIL.match(email):
        raise RecordError(f"email {email!r} is not an e-mail address (邮箱地址无效)")
    if webhook and not WEBHOOK.match(webhook):
        raise RecordError(f"webhook {mask_url(webhook)} must be an http(s):// URL (webhook 地址无效)")
    if webhook:
        check_url(webhook, allow, unresolvable_ok=True)
    if not email and not webhook:
        raise RecordError("a subscription needs an email or a webhook (订阅需要邮箱或 webhook)")


def _subscription(s: Session, p: Principal, subscription_id: int) -> Subscription:
    """Visible to the subscriber and to the watchlist's owner (and admins)."""
    sub = s.get(Subscription, subscription_id)
    if sub is None or not (p.is_admin or sub.organisation_id == p.id or sub.watchlist.organisation_id == p.id):
        raise NotFound(f"subscription {subscription_id} not found")
    return sub


def list_subscriptions(s: Session, p: Principal) -> list[dict]:
    q = select(Subscription).join(Watchlist, Subscription.watchlist_id == Watchlist.id).order_by(Subscription.id)
    if not p.is_admin:
        q = q.where((Subscription.organisation_id == p.id) | (Watchlist.organisation_id == p.id))
    return [subscription_dict(s, sub) for sub in s.scalars(q)]


def get_subscription(s: Session, p: Principal, subscription_id: int) -> dict:
    return subscription_dict(s, _subscription(s, p, subscription_id))


def create_subscription(s: Session, p: Principal, watchlist_id: int, *, organisation: str | None = None,
                        email: str | None = None, webhook: str | None = None,
                        webhook_secret: str | None = None, outbound_allow: tuple[str, ...] = ()) -> dict:
    """The watchlist's owner decides who receives its alerts: itself, or another organisation by name.

    A webhook without a secret gets a random one, returned once in this answer as `webhook_secret`
    (listings and reads only say `has_webhook_secret`): the receiver needs it to verify the signatures."""
    wl = _watchlist(s, p, watchlist_id, write=True)
    _check_targets(email, webhook, outbound_allow)
    _check_secret(webhook_secret)
    if organisation is None or organisation == p.name:
        org_id = p.id
    else:
        org = s.scalar(select(Organisation).where(Organisation.name == organisation))
        if org is None:
            raise NotFound(f"no organisation named {organisation!r}; an admin creates it with `markwatch org create`")
        org_id = org.id
    if s.scalar(select(Subscription.id).where(Subscription.watchlist_id == wl.id,
                                              Subscription.organisation_id == org_id)):
        raise Conflict("this organisation already subscribes to this watchlist; change or delete that subscription")
    generated = new_webhook_secret() if webhook and not webhook_secret else None
    sub = Subscription(watchlist_id=wl.id, organisation_id=org_id, email=email, webhook=webhook,
                       webhook_secret=webhook_secret or generated)
    s.add(sub)
    s.flush()
    s.refresh(sub)
    if email:
        request_confirmation(s, org_id, email)
    return _with_generated(subscription_dict(s, sub), generated)


def _with_generated(out: dict, generated: str | None) -> dict:
    """The answer that made a secret shows it, once: it is never returned again."""
    return {**out, "webhook_secret": generated} if generated else out


def update_subscription(s: Session, p: Principal, subscription_id: int, changes: Mapping[str, Any],
                        outbound_allow: tuple[str, ...] = ()) -> dict:
    sub = _subscription(s, p, subscription_id)
    email = changes.get("email", sub.email)
    webhook = changes.get("webhook", sub.webhook)
    _check_targets(email, webhook, outbound_allow)
    _check_secret(changes.get("webhook_secret"))
    sub.email, sub.webhook = email, webhook
    if "webhook_secret" in changes:
        sub.webhook_secret = changes["webhook_secret"]
    # a webhook is never left to the global secret: one without its own gets a new one, shown once
    generated = new_webhook_secret() if sub.webhook and not sub.webhook_secret else None
    if generated:
        sub.webhook_secret = generated
    if changes.get("email"):  # a new address, or the same one again: a (new) confirmation link is due
        request_confirmation(s, sub.organisation_id, changes["email"])
    s.flush()
    return _with_generated(subscription_dict(s, sub), generated)


def delete_subscription(s: Session, p: Principal, subscription_id: int) -> None:
    s.delete(_subscription(s, p, subscription_id))


# ---------------------------------------------------------------- alerts
def scoped_filter(s: Session, p: Principal, f: AlertFilter) -> AlertFilter:
    visible = visible_ids(s, p)
    if visible is not None:
        f.watchlist_ids = [i for i in (f.watchlist_ids if f.watchlist_ids is not None else visible) if i in visible]
    return f


def alert_page(s: Session, p: Principal, f: AlertFilter, today: date, page_url: str = "") -> dict:
    from markwatch.service.alerts import count_alerts

    f = scoped_filter(s, p, check_filter(f, today))
    total = count_alerts(s, f)
    items = []
    for a in alert_views(s, f):
        d = _alert_out(p, a, today, page_url)  # type: ignore[arg-type]  # a view reads like an AlertRow
        d["reviewed_at"] = a.reviewed_at.isoformat() if a.reviewed_at else None
        items.append(d)
    return {"total": total, "limit": f.limit, "offset": f.offset, "items": items,
            "deadline_from": f.deadline_from.isoformat() if f.deadline_from else None,
            "deadline_to": f.deadline_to.isoformat() if f.deadline_to else None}


def alert_history(s: Session, alert_id: int) -> list[dict]:
    rows = s.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id))
    return [{"status": e.status, "comment": e.comment, "actor": e.actor,
             "at": iso(e.created_at)} for e in rows]


def _detail(s: Session, p: Principal, a: AlertRow, today: date, page_url: str = "") -> dict:
    history = alert_history(s, a.id)
    return {**_alert_out(p, a, today, page_url), "history": history,
            "reviewed_at": history[-1]["at"] if history else None}


def get_alert_detail(s: Session, p: Principal, alert_id: int, today: date, page_url: str = "") -> dict:
    a = get_alert(s, alert_id, visible_ids(s, p))
    return _detail(s, p, a, today, page_url)


def can_review(p: Principal, a: AlertRow) -> bool:
    """The review status belongs to the watchlist's owner (and admins); subscribers read it."""
    return p.is_admin or a.watchlist.organisation_id == p.id


def _check_can_review(p: Principal, a: AlertRow) -> None:
    if not can_review(p, a):
        raise Forbidden(f"alert {a.id} is on a watchlist of {a.watchlist.organisation.name}; only the "
                        "watchlist's owner sets its review status, subscribers read it "
                        "(只有监测名单的所有者可以修改处理状态)")


def _alert_out(p: Principal, a: AlertRow, today: date, page_url: str = "") -> dict:
    return {**alert_dict(a, today, page_url), "can_review": can_review(p, a)}


def alert_image_file(s: Session, p: Principal, alert_id: int, side: str) -> tuple[str, str]:
    """(stored file, features key) of one of the caller's alerts' pictures: side "mark" (the gazette
    mark's image) or "logo" (the brand's logo); NotFound when the alert is not visible or has none."""
    a = get_alert(s, alert_id, visible_ids(s, p))
    if side == "mark":
        file, key = a.gazette_mark.image_file, a.gazette_mark.image_key
    elif side == "logo":
        file, key = a.brand.logo_file, a.brand.logo_key
    else:
        raise NotFound(f"no picture {side!r}: mark or logo")
    if not file or not key:
        raise NotFound(f"alert {alert_id} has no stored {'image' if side == 'mark' else 'logo'} (无图样)")
    return file, key


def review_alert(s: Session, p: Principal, alert_id: int, status: str, comment: str | None,
                 today: date, page_url: str = "") -> dict:
    """Move an alert through new → reviewing → opposition_filed / dismissed; the actor is the caller,
    which must own the alert's watchlist (or be an admin). Saving the status and comment it already
    has changes nothing and adds no history entry."""
    a = get_alert(s, alert_id, visible_ids(s, p))
    _check_can_review(p, a)
    changed = set_status(s, a, status, comment=comment, actor=p.name)
    s.flush()
    return {**_detail(s, p, a, today, page_url), "changed": changed}


MAX_BULK_REVIEW = 500


def review_alerts(s: Session, p: Principal, alert_ids: list[int], status: str, comment: str | None,
                  today: date) -> dict:
    """Set one status on many alerts at once, all or none: a move the workflow does not allow for any
    of them refuses the whole set (Conflict naming them), so a clerk never half-applies a decision."""
    ids = list(dict.fromkeys(alert_ids))
    if not ids:
        raise MarkwatchError("no alerts selected (未选择预警)")
    if len(ids) > MAX_BULK_REVIEW:
        raise MarkwatchError(f"at most {MAX_BULK_REVIEW} alerts at once (一次最多 {MAX_BULK_REVIEW} 条)")
    visible = visible_ids(s, p)
    alerts = [get_alert(s, i, visible) for i in ids]
    for a in alerts:  # all or none: one alert the caller may not review refuses the whole set
        _check_can_review(p, a)
    refused: list[str] = []
    changed: list[int] = []
    for a in alerts:
        try:
            if set_status(s, a, status, comment=comment, actor=p.name):
                changed.append(a.id)
        except Conflict as exc:
            refused.append(str(exc))
    if refused:
        raise Conflict("; ".join(refused) + " (部分预警不能改为该状态，未作任何修改)")
    s.flush()
    return {"status": status, "alerts": ids, "changed": changed, "unchanged": [i for i in ids if i not in changed]}


TIMELINE_BY = ("brand", "class", "severity")


def alert_timeline(s: Session, p: Principal, f: AlertFilter, by: str = "brand", today: date | None = None) -> dict:
    """Alerts per month (of the gazette's publication, else of the alert) per brand, Nice class or
    severity. `months` runs without gaps from the first month to the last, so a chart of it reads
    true; `totals` are the alerts of each month (an alert in two classes counts once)."""
    if by not in TIMELINE_BY:
        raise MarkwatchError(f"by must be one of {', '.join(TIMELINE_BY)}")
    f = scoped_filter(s, p, check_filter(f, today or date.today()))
    f.limit, f.offset = None, 0
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_month: dict[str, int] = defaultdict(int)
    for a in s.scalars(alert_query(f)).unique():
        day: date | None = a.gazette_mark.publication_date or (a.created_at.date() if a.created_at else None)
        month = day.strftime("%Y-%m") if day else "unknown"
        per_month[month] += 1
        if by == "brand":
            keys = [a.brand.mark]
        elif by == "severity":
            keys = [a.severity]
        else:
            keys = [f"第{c}类" for c in (a.gazette_mark.classes or [])] or ["未分类"]
        for k in keys:
            counts[k][month] += 1
    months = _month_run(sorted(m for m in per_month if m != "unknown"))
    if "unknown" in per_month:
        months.append("unknown")
    order = (lambda kv: ("high", "medium", "low").index(kv[0]) if kv[0] in ("high", "medium", "low") else 9) \
        if by == "severity" else (lambda kv: -sum(kv[1].values()))
    series = [{"key": k, "counts": [per.get(m, 0) for m in months], "total": sum(per.values())}
              for k, per in sorted(counts.items(), key=order)]
    return {"by": by, "months": months, "totals": [per_month.get(m, 0) for m in months], "series": series}


def _month_run(months: list[str]) -> list[str]:
    """Every month from the first to the last of `months` (YYYY-MM), none left out."""
    if not months:
        return []
    y, m = map(int, months[0].split("-"))
    end = tuple(map(int, months[-1].split("-")))
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def count_visible(s: Session, p: Principal) -> dict:
    visible = visible_ids(s, p)
    q = select(func.count(AlertRow.id))
    if visible is not None:
        q = q.where(AlertRow.watchlist_id.in_(visible or [-1]))
    return {"alerts": s.scalar(q) or 0, "gazette_marks": s.scalar(select(func.count(GazetteMark.id))) or 0}
