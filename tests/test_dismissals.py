"""Dismissals that stay dismissed: the same brand and the same mark do not alert again, unless the mark or
its goods change (a new record with other content)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text

from markwatch.service.alerts import AlertFilter
from markwatch.service.dismissals import mark_fingerprint
from markwatch.store.db import MIGRATIONS, Database
from markwatch.store.tables import AlertDismissal

from .servicekit import db_url, make_service, write_jsonl

__all__ = ["db_url"]

STATION = "杭州市商标品牌指导站"


def _mark(issue: str, date: str, goods: list[str], mark: str = "康帅傅") -> dict:
    return {"application_no": "82025373", "mark": mark, "classes": [30], "goods": goods,
            "applicant": "广州市某某食品有限公司", "publication_date": date, "gazette_issue": issue}


def _world(db_url, tmp_path):
    svc = make_service(db_url, tmp_path)
    station = svc.as_org(svc.authenticate(svc.create_org(STATION, "station")[1]))
    wl = station.create_watchlist("重点商标")["id"]
    station.create_brand(wl, {"brand_id": "HZ-0002", "mark": "康师傅", "classes": [30]})
    svc.ingest([write_jsonl(tmp_path / "g1.jsonl", [_mark("2004", "2026-10-20", ["方便面"])])])
    svc.run()
    [alert] = station.alerts(AlertFilter())["items"]
    return svc, station, wl, alert


def _alerts(station) -> list[dict]:
    return station.alerts(AlertFilter())["items"]


def test_a_dismissed_mark_does_not_come_back_unless_it_changes(db_url, tmp_path):
    svc, station, wl, alert = _world(db_url, tmp_path)
    station.review(alert["alert_id"], "dismissed", "申请人系被许可人，已核实")

    # the same mark with the same goods published again (another issue): it stays dismissed
    svc.ingest([write_jsonl(tmp_path / "g2.jsonl", [_mark("2010", "2026-12-06", [" 方便面 "])])])
    summary = svc.run()
    assert (summary.alerts_new, summary.alerts_suppressed) == (0, 1)
    assert [a["status"] for a in _alerts(station)] == ["dismissed"]
    assert svc.runs(1)[0]["alerts_suppressed"] == 1

    # the brand is edited (it is compared with every mark again): still nothing new
    station.update_brand(wl, "HZ-0002", {"aliases": ["KANGSHIFU"]})
    assert svc.run().alerts_new == 0

    # the brand is deleted and imported again: the station's decision is kept by its brand id
    station.delete_brand(wl, "HZ-0002")
    station.create_brand(wl, {"brand_id": "HZ-0002", "mark": "康师傅", "classes": [30]})
    again = svc.run()
    assert (again.alerts_new, again.alerts_suppressed) == (0, 2)

    # other goods: a new record of the mark, a new alert
    svc.ingest([write_jsonl(tmp_path / "g3.jsonl", [_mark("2011", "2026-12-13", ["方便面", "饼干"])])])
    assert svc.run().alerts_new == 1
    # other text under the same application number: a new alert too
    svc.ingest([write_jsonl(tmp_path / "g4.jsonl", [_mark("2012", "2026-12-20", ["方便面"], "康帅傅牌")])])
    assert svc.run().alerts_new == 1
    assert sorted(a["status"] for a in _alerts(station)) == ["new", "new"]


def test_taking_a_dismissal_back_lets_the_mark_alert_again(db_url, tmp_path):
    svc, station, _, alert = _world(db_url, tmp_path)
    station.review(alert["alert_id"], "dismissed")
    with svc.db.session() as s:
        assert s.scalar(select(AlertDismissal.actor)) == STATION
    station.review(alert["alert_id"], "reviewing", "重新审查")
    with svc.db.session() as s:
        assert s.scalar(select(AlertDismissal.id)) is None
    svc.ingest([write_jsonl(tmp_path / "g2.jsonl", [_mark("2010", "2026-12-06", ["方便面"])])])
    assert svc.run().alerts_new == 1


def test_alerts_dismissed_before_the_migration_stay_dismissed(tmp_path):
    url = f"sqlite:///{tmp_path}/old.db"
    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.execute(text("INSERT INTO organisations (id, name, kind, created_at) VALUES (1, 'S', 'station', '2026-10-01')"))
        conn.execute(text("INSERT INTO watchlists (id, name, organisation_id, created_at) VALUES (1, 'W', 1, '2026-10-01')"))
        conn.execute(text("INSERT INTO brands (id, watchlist_id, brand_id, mark, aliases, classes, similar_groups, kind, "
                          "key, well_known, exclude_applicants, exclude_words, matched_through, updated_at) VALUES "
                          "(1, 1, 'HZ-0002', '康师傅', '[]', '[30]', '[]', 'enterprise', 0, 0, '[]', '[]', 1, '2026-10-01')"))
        conn.execute(text("INSERT INTO gazette_marks (id, office, application_no, issue_key, mark, classes, goods, "
                          "similar_groups, mark_type, created_at) VALUES (1, 'CN', '82025373', '2004', '康帅傅', "
                          "'[30]', '[\"方便面\"]', '[\"3002\"]', 'word', '2026-10-20')"))
        conn.execute(text("INSERT INTO alerts (id, brand_pk, gazette_mark_id, watchlist_id, score, severity, reasons, "
                          "status, status_by, created_at) VALUES (1, 1, 1, 1, 0.9, 'high', '[]', 'dismissed', 'S', "
                          "'2026-10-21')"))
    engine.dispose()
    db = Database(url)  # upgrades to head
    with db.session() as s:
        d = s.scalar(select(AlertDismissal))
        assert (d.watchlist_id, d.brand_id, d.application_no, d.alert_id, d.actor) == (1, "HZ-0002", "82025373", 1, "S")
        assert d.fingerprint == mark_fingerprint("康帅傅", "word", [30], ["方便面"], ["3002"])
    db.dispose()
