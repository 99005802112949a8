"""The work queue's "due this week / this month" views hold the alerts still to decide (new, reviewing),
never the ones already filed or dismissed."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from markwatch.api import create_app
from markwatch.config import Settings
from markwatch.service.alerts import due_window

from .servicekit import STATION, make_service, seed

# knock-offs of 康师傅 published on one day, so that their deadlines fall together
KNOCKOFFS = [
    {"application_no": f"9100000{i}", "mark": mark, "classes": [30], "goods": ["方便面"],
     "applicant": f"仿冒食品厂{i}", "publication_date": "2026-09-20", "gazette_issue": "1990"}
    for i, mark in enumerate(["康師傅", "康师傳", "ＫＡＮＧＳＨＩＦＵ", "康师付", "康帥傅"], start=1)]


def test_due_views_hold_open_alerts_only(tmp_path, monkeypatch):
    svc = make_service(f"sqlite:///{tmp_path}/due.db", tmp_path)
    world = seed(svc, tmp_path, extra_records=KNOCKOFFS)
    client = TestClient(create_app(svc))
    hdr = {"Authorization": f"Bearer {world.tokens[STATION]}"}

    def page(**params) -> dict:
        r = client.get("/api/v1/alerts", headers=hdr, params={"limit": 500, **params})
        assert r.status_code == 200, r.text
        return r.json()

    published = [a for a in page()["items"] if a["publication_date"] == "2026-09-20"]
    assert len(published) >= 5
    deadline = date.fromisoformat(published[0]["opposition_deadline"])
    same_day = [a for a in published if a["opposition_deadline"] == deadline.isoformat()]
    assert len(same_day) >= 4
    monkeypatch.setattr(Settings, "today", lambda self, now=None: deadline)  # the clock: the last day to oppose

    station = svc.as_org(svc.authenticate(world.tokens[STATION]))
    filed, dismissed, reviewing = (a["alert_id"] for a in same_day[:3])
    station.review(filed, "opposition_filed", "已提交异议申请")
    station.review(dismissed, "dismissed", "商品不类似，不予异议")
    station.review(reviewing, "reviewing", "待权利人确认")
    everything = page()["items"]
    for window in ("week", "month"):
        start, end = due_window(window, deadline)
        due = page(due=window)
        want = {a["alert_id"] for a in everything if start.isoformat() <= a["opposition_deadline"] <= end.isoformat()
                and a["status"] in ("new", "reviewing")}
        got = {a["alert_id"] for a in due["items"]}
        assert got == want and due["total"] == len(want)
        assert reviewing in got and not {filed, dismissed} & got
        assert {a["status"] for a in due["items"]} <= {"new", "reviewing"}
        assert page(due=window, status="dismissed")["total"] == 0  # a dismissed alert is not due
        assert {a["alert_id"] for a in page(due=window, status="reviewing")["items"]} == {reviewing}
    # the plain list and a deadline window still show every status
    window = page(deadline_from=deadline.isoformat(), deadline_to=deadline.isoformat())["items"]
    assert {filed, dismissed, reviewing} <= {a["alert_id"] for a in window}
