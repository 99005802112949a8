"""The deadline calendar (异议期限日历): an iCalendar feed per organisation, one all-day event per open alert
on its opposition deadline with reminders, importable into Outlook or a phone.

Calendar programs fetch a URL and send no Authorization header, so the feed has its own token, in the
URL (``?token=``): it reads the calendar and nothing else, is stored as an HMAC like the API token, and
issuing a new one (``markwatch org calendar-token``, ``POST /api/v1/calendar/token``) cuts the old off.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from markwatch.service.alerts import OPEN_STATUSES, AlertFilter, alert_query, gazette_page
from markwatch.service.orgs import Principal, hash_token, principal_of
from markwatch.service.tenancy import visible_ids
from markwatch.store.tables import Organisation

CALENDAR_TOKEN_PREFIX = "mwcal_"
# deadlines this long past stay in the feed, so a phone still shows what was missed
KEEP_PAST_DAYS = 30


def issue_calendar_token(s: Session, org: Organisation, pepper: str = "") -> str:
    token = CALENDAR_TOKEN_PREFIX + secrets.token_urlsafe(32)
    org.calendar_token_hash = hash_token(token, pepper)
    return token


def revoke_calendar_token(s: Session, org: Organisation) -> None:
    org.calendar_token_hash = None


def authenticate_calendar(s: Session, token: str | None, pepper: str = "") -> Principal | None:
    if not token or len(token) > 200 or not token.startswith(CALENDAR_TOKEN_PREFIX):
        return None
    wanted = hash_token(token, pepper)
    org = s.scalar(select(Organisation).where(Organisation.calendar_token_hash == wanted))
    if org is None or org.calendar_token_hash is None or not hmac.compare_digest(org.calendar_token_hash, wanted):
        return None
    return principal_of(org)


def calendar_feed(s: Session, p: Principal, today: date, reminders: Sequence[int] = (7, 1),
                  page_url: str = "") -> bytes:
    """The organisation's open alerts (new, reviewing) as an iCalendar document."""
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//markwatch//opposition deadlines//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{p.name} 商标异议期限")
    cal.add("x-wr-timezone", "Asia/Shanghai")
    now = datetime.now(timezone.utc)
    visible = visible_ids(s, p)
    for status in OPEN_STATUSES:
        f = AlertFilter(watchlist_ids=visible, status=status)
        for a in s.scalars(alert_query(f)).unique():
            end = a.opposition_deadline
            if end is None or end < today - timedelta(days=KEEP_PAST_DAYS):
                continue
            m, b = a.gazette_mark, a.brand
            event = Event()
            event.add("uid", f"alert-{a.id}-org-{p.id}@markwatch")
            event.add("dtstamp", now)
            event.add("dtstart", end)
            event.add("dtend", end + timedelta(days=1))
            event.add("summary", f"异议截止：{m.mark or '（图形）'}（{m.application_no}）↔ {b.mark}")
            lines = [f"被异议商标：{m.mark or '（图形）'}，申请号 {m.application_no}，第{'、'.join(map(str, m.classes or []))}类",
                     f"申请人：{m.applicant or '—'}",
                     f"公告：第{m.gazette_issue or '?'}期 {m.publication_date or ''}",
                     f"引证商标：{b.mark}（{b.brand_id}），监测名单 {a.watchlist.name}",
                     f"风险等级 {a.severity}，近似度 {a.score:.2f}，预警编号 {a.id}"]
            lines += [f"理由：{r.get('detail', '')}" for r in (a.reasons or [])[:5]]
            if a.deadline_note:
                lines.append(f"期限说明：{a.deadline_note}")
            event.add("description", "\n".join(lines))
            event.add("categories", ["商标异议", a.severity])
            event.add("status", "CONFIRMED")
            event.add("transp", "TRANSPARENT")
            page = gazette_page(m, page_url)
            if page and page.get("url"):
                event.add("url", page["url"])
            for days in reminders:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", f"{days} 天后异议截止：{m.mark or m.application_no}")
                alarm.add("trigger", timedelta(days=-days))
                event.add_component(alarm)
            cal.add_component(event)
    return cal.to_ical()
