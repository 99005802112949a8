"""GET /watchlists (and `markwatch watchlist list`): brand and subscriber counts come from the database's
aggregates, in a fixed number of queries, never from loading every brand row."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import event

from markwatch.api import create_app

from .servicekit import ASSOCIATION, STATION, make_service


@contextmanager
def statements(engine) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, *rest) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_watchlist_counts_are_aggregates_in_a_fixed_number_of_queries(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/lists.db", tmp_path)
    token = svc.create_org(STATION, "station")[1]
    subscribers = [ASSOCIATION, "杭州市茶叶行业协会", "西湖龙井茶产业协会"]
    for name in subscribers:
        svc.create_org(name, "association")
    station = svc.as_org(svc.authenticate(token))
    marks = ["康师傅", "雪碧", "娃哈哈", "農夫山泉", "ＷＡＨＡＨＡ", "六个核桃", "徐福记XUFUJI", "知味观"]

    def add_watchlist(i: int, brands: int, subs: int) -> int:
        wl = station.create_watchlist(f"重点商标名单{i}")["id"]
        for k in range(brands):
            station.create_brand(wl, {"brand_id": f"W{i}-{k:03d}", "mark": marks[k % len(marks)] + str(k),
                                      "classes": [30, 32]})
        for k in range(subs):
            station.subscribe(wl, organisation=subscribers[k], email=f"watch{i}-{k}@food.example.org")
        return wl

    expected = {add_watchlist(0, 12, 2): (12, 2), add_watchlist(1, 0, 0): (0, 0)}
    client = TestClient(create_app(svc))
    hdr = {"Authorization": f"Bearer {token}"}

    def listing() -> tuple[list[dict], list[str]]:
        with statements(svc.db.engine) as seen:
            rows = client.get("/api/v1/watchlists", headers=hdr).json()
        return rows, seen

    rows, few = listing()
    assert {r["id"]: (r["brands"], r["subscribers"]) for r in rows} == expected
    expected[add_watchlist(2, 30, 3)] = (30, 3)
    expected[add_watchlist(3, 7, 1)] = (7, 1)
    rows, more = listing()
    assert {r["id"]: (r["brands"], r["subscribers"]) for r in rows} == expected
    assert len(more) == len(few), more  # two more watchlists and 37 more brands: no more queries
    for sql in more:  # brands and subscriptions are counted (or their watchlist ids read), never loaded
        assert not re.search(r"\b(brands\.mark|subscriptions\.email)\b", sql), sql
