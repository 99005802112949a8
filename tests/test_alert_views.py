"""The alert list reads columns, not ORM rows (service.alerts.alert_views): its items are exactly what
alert_dict makes of the ORM rows, with the review times, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from markwatch.service.alerts import AlertFilter, alert_dict, alert_query, with_mark_groups, with_review_times
from markwatch.service.tenancy import can_review
from markwatch.store.tables import AlertRow

from .servicekit import ADMIN, ASSOCIATION, STATION, db_url, make_service, seed

__all__ = ["db_url"]


def test_alert_list_items_are_alert_dicts_of_the_rows(db_url, tmp_path):
    svc = make_service(db_url, tmp_path)
    world = seed(svc, tmp_path)
    station = svc.as_org(svc.authenticate(world.tokens[STATION]))
    with svc.db.session() as s:
        ids = list(s.scalars(select(AlertRow.id).where(AlertRow.watchlist_id == world.watchlist_a)
                             .order_by(AlertRow.id)))
    assert len(ids) >= 2
    station.review(ids[0], "reviewing", "looks close")
    station.review(ids[0], "dismissed", None)
    station.review(ids[1], "opposition_filed", None)
    today = svc.settings.today()
    for name in (STATION, ASSOCIATION, ADMIN):
        p = svc.authenticate(world.tokens[name])
        for f in (AlertFilter(), AlertFilter(limit=2, offset=1), AlertFilter(sort="-score"),
                  AlertFilter(status="dismissed"), AlertFilter(limit=3, offset=500)):
            page = svc.as_org(p).alerts(f)
            with svc.db.session() as s:
                scoped = AlertFilter(**{**f.__dict__, "watchlist_ids": _visible(svc, p)})
                rows = list(s.scalars(alert_query(scoped)).unique())
                want = with_review_times(s, [{**alert_dict(a, today, svc.settings.gazette_page_url),
                                              "can_review": can_review(p, a)} for a in rows])
            with_mark_groups(want, svc.matcher.goods_table)
            assert [d["alert_id"] for d in page["items"]] == [d["alert_id"] for d in want]
            assert page["items"] == want
            assert list(page["items"][0]) == list(want[0]) if want else True  # the same keys in the same order
    reviewed = [d for d in svc.as_org(svc.authenticate(world.tokens[STATION])).alerts(AlertFilter())["items"]
                if d["alert_id"] in ids[:2]]
    assert len(reviewed) == 2 and all(d["reviewed_at"] for d in reviewed)


def _visible(svc, p):
    from markwatch.service.tenancy import visible_ids

    with svc.db.session() as s:
        return visible_ids(s, p)
