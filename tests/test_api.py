"""The HTTP API under /api/v1: auth and tenant isolation on every route, CRUD, alerts, review, export."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from markwatch.api import create_app

from .servicekit import ADMIN, ASSOCIATION, OTHER, STATION, World, make_service, seed

API = "/api/v1"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    tmp = tmp_path_factory.mktemp("api")
    svc = make_service(f"sqlite:///{tmp}/api.db", tmp, outbound_allow=())  # the default policy: public only
    w = seed(svc, tmp)
    station = svc.as_org(svc.authenticate(w.tokens[STATION]))
    station.subscribe(w.watchlist_a, organisation=ASSOCIATION, email="alerts@food.example.org")
    svc.update_register_index()  # as the nightly cycle does
    return w


@pytest.fixture(scope="module")
def client(world: World) -> TestClient:
    return TestClient(create_app(world.svc))


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def h(world: World, org: str) -> dict:
    return auth(world.tokens[org])


def first_alert(client: TestClient, world: World, org: str = STATION, **params) -> dict:
    r = client.get(f"{API}/alerts", headers=h(world, org), params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()


def _objects(client: TestClient, world: World) -> dict:
    """Real ids of the station's objects, to put into path templates."""
    page = first_alert(client, world)
    sub = client.get(f"{API}/subscriptions", headers=h(world, STATION)).json()[0]
    return {"watchlist_id": world.watchlist_a, "brand_id": "HZ-0002", "alert_id": page["items"][0]["alert_id"],
            "subscription_id": sub["id"], "side": "mark"}


# bodies that pass validation, so that only auth / ownership decides the answer
BODIES = {
    ("post", "/api/v1/watchlists"): {"name": "探测名单"},
    ("patch", "/api/v1/watchlists/{watchlist_id}"): {"description": "改"},
    ("post", "/api/v1/watchlists/{watchlist_id}/brands"): {"brand_id": "X-1", "mark": "测试商标", "classes": [30]},
    ("patch", "/api/v1/watchlists/{watchlist_id}/brands/{brand_id}"): {"owner": "某公司"},
    ("post", "/api/v1/subscriptions"): {"watchlist_id": "{watchlist_id}", "email": "x@example.org"},
    ("patch", "/api/v1/subscriptions/{subscription_id}"): {"email": "y@example.org"},
    ("post", "/api/v1/alerts/{alert_id}/status"): {"status": "reviewing", "comment": "探测"},
    ("post", "/api/v1/compare"): {"brand": "康师傅", "candidate": "康帅傅"},
}
QUERIES = {("get", "/api/v1/search"): {"mark": "康师傅"}}


def _routes(client: TestClient) -> list[tuple[str, str]]:
    doc = client.get("/openapi.json").json()
    return [(m, p) for p, ops in doc["paths"].items() for m in ops if p.startswith(API)]


def _call(client: TestClient, method: str, template: str, ids: dict, headers: dict):
    path = template.format(**ids)
    kwargs: dict = {"headers": headers, "params": QUERIES.get((method, template))}
    body = BODIES.get((method, template))
    if body is not None:
        kwargs["json"] = {k: (ids["watchlist_id"] if v == "{watchlist_id}" else v) for k, v in body.items()}
    if template.endswith("/brands/import"):
        kwargs["files"] = {"file": ("brands.csv", "编号,商标,类别\nX-2,测试二,30\n".encode(), "text/csv")}
    if template.endswith("/search/image"):
        kwargs["files"] = {"file": ("logo.png", b"\x89PNG\r\n\x1a\n", "image/png")}
    return client.request(method.upper(), path, **kwargs)


# ---------------------------------------------------------------- auth and tenant isolation
def test_openapi_lists_the_api(client: TestClient):
    doc = client.get("/openapi.json").json()
    paths = set(doc["paths"])
    for p in ("/api/v1/watchlists", "/api/v1/watchlists/{watchlist_id}/brands", "/api/v1/subscriptions",
              "/api/v1/alerts", "/api/v1/alerts/export", "/api/v1/alerts/{alert_id}/status", "/api/v1/compare",
              "/api/v1/search", "/api/v1/search/image", "/api/v1/runs",
              "/api/v1/watchlists/{watchlist_id}/brands/import"):
        assert p in paths
    assert "token" in doc["components"]["securitySchemes"]


def test_every_route_refuses_no_token_and_wrong_token(client: TestClient, world: World):
    ids = _objects(client, world)
    routes = _routes(client)
    assert len(routes) >= 20
    for method, template in routes:
        r = _call(client, method, template, ids, {})
        assert r.status_code == 401, (method, template, r.status_code, r.text)
        assert r.headers.get("www-authenticate") == "Bearer"
        assert "token" in r.json()["detail"]
        r = _call(client, method, template, ids, auth("mw_" + "x" * 43))
        assert r.status_code == 401, (method, template, r.status_code)
        r = _call(client, method, template, ids, {"Authorization": "Basic dXNlcjpwdw=="})
        assert r.status_code == 401, (method, template, r.status_code)


def test_another_organisation_gets_404_for_every_object_route(client: TestClient, world: World):
    ids = _objects(client, world)
    object_routes = [(m, p) for m, p in _routes(client) if "{" in p]
    assert len(object_routes) >= 14
    before = first_alert(client, world)["total"]
    for method, template in object_routes:
        r = _call(client, method, template, ids, h(world, OTHER))
        assert r.status_code == 404, (method, template, r.status_code, r.text)
        assert "not found" in r.json()["detail"]
    # creating a subscription on someone else's watchlist is refused the same way
    r = _call(client, "post", "/api/v1/subscriptions", ids, h(world, OTHER))
    assert r.status_code == 404
    # nothing was changed by the probes
    assert first_alert(client, world)["total"] == before
    assert client.get(f"{API}/watchlists/{world.watchlist_a}", headers=h(world, STATION)).json()["description"] == "辖区驰名商标"
    brand = client.get(f"{API}/watchlists/{world.watchlist_a}/brands/HZ-0002", headers=h(world, STATION)).json()
    assert brand["owner"] is None


def test_lists_show_only_the_callers_objects(client: TestClient, world: World):
    other = {w["name"] for w in client.get(f"{API}/watchlists", headers=h(world, OTHER)).json()}
    assert other == {"宁波重点商标"}
    station = {w["name"] for w in client.get(f"{API}/watchlists", headers=h(world, STATION)).json()}
    assert "宁波重点商标" not in station and "杭州重点商标" in station
    marks_other = {a["brand"] for a in first_alert(client, world, OTHER)["items"]}
    assert "康师傅" not in marks_other and "雪碧" not in marks_other
    assert client.get(f"{API}/subscriptions", headers=h(world, OTHER)).json() == []
    r = client.get(f"{API}/alerts/export", headers=h(world, OTHER), params={"format": "jsonl"})
    assert "康帅傅" not in r.content.decode("utf-8")
    # filtering by someone else's watchlist shows nothing rather than their alerts
    page = first_alert(client, world, OTHER, watchlist_id=world.watchlist_a)
    assert page["total"] == 0 and page["items"] == []


def test_subscriber_reads_but_does_not_change(client: TestClient, world: World):
    hdr = h(world, ASSOCIATION)
    listed = client.get(f"{API}/watchlists", headers=hdr).json()
    assert [w["name"] for w in listed] == ["杭州重点商标"] and listed[0]["owned"] is False
    assert {a["mark"] for a in first_alert(client, world, ASSOCIATION)["items"]} >= {"康帅傅", "雷碧"}
    r = client.patch(f"{API}/watchlists/{world.watchlist_a}", headers=hdr, json={"name": "改名"})
    assert r.status_code == 403 and "owner" in r.json()["detail"]
    r = client.post(f"{API}/watchlists/{world.watchlist_a}/brands", headers=hdr,
                    json={"brand_id": "S-1", "mark": "加多宝", "classes": [32]})
    assert r.status_code == 403
    assert client.delete(f"{API}/watchlists/{world.watchlist_a}", headers=hdr).status_code == 403


def test_admin_sees_everything(client: TestClient, world: World):
    names = {w["name"] for w in client.get(f"{API}/watchlists", headers=h(world, ADMIN)).json()}
    assert {"杭州重点商标", "宁波重点商标"} <= names
    assert client.get(f"{API}/me", headers=h(world, ADMIN)).json()["is_admin"] is True
    total_admin = first_alert(client, world, ADMIN)["total"]
    assert total_admin >= first_alert(client, world, STATION)["total"]


# ---------------------------------------------------------------- watchlists and brands
def test_watchlist_and_brand_crud(client: TestClient, world: World):
    hdr = h(world, OTHER)
    r = client.post(f"{API}/watchlists", headers=hdr, json={"name": "宁波老字号", "description": "老字号"})
    assert r.status_code == 201, r.text
    wid = r.json()["id"]
    assert r.json()["organisation"] == OTHER and r.json()["owned"] is True
    assert client.post(f"{API}/watchlists", headers=hdr, json={"name": "宁波老字号"}).status_code == 409
    r = client.post(f"{API}/watchlists/{wid}/brands", headers=hdr,
                    json={"brand_id": "NB-0100", "mark": "缸鸭狗", "classes": [30, 43], "aliases": ["GANGYAGOU"],
                          "kind": "enterprise", "key": True})
    assert r.status_code == 201, r.text
    assert r.json()["classes"] == [30, 43] and r.json()["key"] is True
    assert client.post(f"{API}/watchlists/{wid}/brands", headers=hdr,
                       json={"brand_id": "NB-0100", "mark": "缸鸭狗"}).status_code == 409
    r = client.patch(f"{API}/watchlists/{wid}/brands/NB-0100", headers=hdr, json={"owner": "宁波缸鸭狗食品有限公司"})
    assert r.status_code == 200 and r.json()["owner"] == "宁波缸鸭狗食品有限公司" and r.json()["mark"] == "缸鸭狗"
    assert [b["brand_id"] for b in client.get(f"{API}/watchlists/{wid}/brands", headers=hdr).json()] == ["NB-0100"]
    r = client.patch(f"{API}/watchlists/{wid}", headers=hdr, json={"name": "宁波老字号商标"})
    assert r.json()["name"] == "宁波老字号商标"
    assert client.delete(f"{API}/watchlists/{wid}/brands/NB-0100", headers=hdr).status_code == 204
    assert client.get(f"{API}/watchlists/{wid}/brands/NB-0100", headers=hdr).status_code == 404
    assert client.delete(f"{API}/watchlists/{wid}", headers=hdr).status_code == 204
    assert client.get(f"{API}/watchlists/{wid}", headers=hdr).status_code == 404


def test_bad_input_is_a_clear_422(client: TestClient, world: World):
    hdr = h(world, STATION)
    url = f"{API}/watchlists/{world.watchlist_a}/brands"
    r = client.post(url, headers=hdr, json={"brand_id": "B-9", "mark": "某牌", "classes": [99]})
    assert r.status_code == 422 and "99" in r.json()["detail"]
    r = client.post(url, headers=hdr, json={"brand_id": "B-9"})
    assert r.status_code == 422 and any(e["loc"][-1] == "mark" for e in r.json()["detail"])
    r = client.post(url, headers=hdr, json={"brand_id": "B-9", "mark": "某牌", "clases": [30]})
    assert r.status_code == 422  # a typo must not silently widen the watch to every class
    r = client.post(url, headers=hdr, json={"brand_id": "B-9", "mark": "某牌", "threshold": 3})
    assert r.status_code == 422
    r = client.get(f"{API}/alerts", headers=hdr, params={"severity": "extreme"})
    assert r.status_code == 422
    r = client.get(f"{API}/alerts", headers=hdr, params={"limit": 0})
    assert r.status_code == 422
    r = client.get(f"{API}/alerts", headers=hdr, params={"since": "2026-13-40"})
    assert r.status_code == 422
    r = client.get(f"{API}/alerts/export", headers=hdr, params={"format": "pdf"})
    assert r.status_code == 422
    r = client.get(f"{API}/watchlists/abc", headers=hdr)
    assert r.status_code == 422


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_bulk_import_brands_from_xlsx_and_csv(client: TestClient, world: World):
    hdr = h(world, STATION)
    wid = client.post(f"{API}/watchlists", headers=hdr, json={"name": "批量导入"}).json()["id"]
    url = f"{API}/watchlists/{wid}/brands/import"
    data = _xlsx([["编号", "商标", "类别", "别名", "备注"],
                  ["HZ-0101", "五芳斋", "30", "WUFANGZHAI", "粽子"],
                  ["HZ-0102", "知味观", "30,43", None, None],
                  ["HZ-0103", None, "30", None, "缺商标名"]])
    r = client.post(url, headers=hdr, files={"file": ("名单.xlsx", data, "application/octet-stream")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["brands_new"] == 2 and len(body["errors"]) == 1 and "缺少商标名称" in body["errors"][0]["reason"]
    csv_bytes = "编号,商标,类别\nHZ-0102,知味观,30;43\nHZ-0104,楼外楼,43\n".encode("gbk")
    r = client.post(url, headers=hdr, files={"file": ("names.csv", csv_bytes, "text/csv")})
    assert r.status_code == 200, r.text
    assert r.json()["brands_new"] == 1 and r.json()["brands_unchanged"] == 1
    marks = {b["mark"] for b in client.get(f"{API}/watchlists/{wid}/brands", headers=hdr).json()}
    assert marks == {"五芳斋", "知味观", "楼外楼"}
    # bad files: 400 with a message
    r = client.post(url, headers=hdr, files={"file": ("名单.pdf", b"%PDF-1.4", "application/pdf")})
    assert r.status_code == 400 and "xlsx" in r.json()["detail"]
    r = client.post(url, headers=hdr, files={"file": ("broken.xlsx", b"not a zip at all", "application/octet-stream")})
    assert r.status_code == 400
    r = client.post(url, headers=hdr, files={"file": ("empty.csv", b"", "text/csv")})
    assert r.status_code == 400
    r = client.post(url, headers=hdr, files={"file": ("wrong.csv", "名称,地址\n甲,乙\n".encode(), "text/csv")})
    assert r.status_code == 400
    client.delete(f"{API}/watchlists/{wid}", headers=hdr)


def test_brand_text_limits_hold_for_api_and_bulk_import(client: TestClient, world: World):
    hdr = h(world, STATION)
    wid = client.post(f"{API}/watchlists", headers=hdr, json={"name": "长文本名单"}).json()["id"]
    r = client.post(f"{API}/watchlists/{wid}/brands", headers=hdr,
                    json={"brand_id": "HZ-0201", "mark": "金龙鱼", "aliases": ["长" * 2000]})
    assert r.status_code == 422
    r = client.post(f"{API}/watchlists/{wid}/brands", headers=hdr,
                    json={"brand_id": "HZ-0202", "mark": "金龙鱼", "aliases": [f"金龙鱼{i}" for i in range(51)]})
    assert r.status_code == 422
    data = _xlsx([["编号", "商标", "类别", "别名"],
                  ["HZ-0203", "龙" * 5000, "30", None],
                  ["HZ-0204", "五芳斋", "30", "长" * 2000],
                  ["HZ-0205", "知味观", "30", None]])
    r = client.post(f"{API}/watchlists/{wid}/brands/import", headers=hdr,
                    files={"file": ("名单.xlsx", data, "application/octet-stream")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["brands_new"] == 1
    assert len(body["errors"]) == 2 and all("过长" in e["reason"] for e in body["errors"]), body["errors"]
    marks = {b["mark"] for b in client.get(f"{API}/watchlists/{wid}/brands", headers=hdr).json()}
    assert marks == {"知味观"}  # refused, not truncated and stored
    client.delete(f"{API}/watchlists/{wid}", headers=hdr)


def _rows_xlsx(rows) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_bulk_import_is_bounded_in_rows_errors_and_inflation(client: TestClient, world: World):
    from markwatch.service.tenancy import MAX_IMPORT_ERRORS, MAX_IMPORT_ROWS

    hdr = h(world, STATION)
    wid = client.post(f"{API}/watchlists", headers=hdr, json={"name": "大文件名单"}).json()["id"]
    url = f"{API}/watchlists/{wid}/brands/import"
    # too many rows: the whole file is refused with a reason, nothing is stored
    many = _rows_xlsx([["编号", "商标", "类别"], *([f"HZ-{i:06d}", "", "30"] for i in range(MAX_IMPORT_ROWS + 1))])
    r = client.post(url, headers=hdr, files={"file": ("名单.xlsx", many, "application/octet-stream")})
    assert r.status_code == 400 and "行数超过" in r.json()["detail"]
    assert client.get(f"{API}/watchlists/{wid}/brands", headers=hdr).json() == []
    # many bad rows: the first ones are listed, the rest counted
    bad = _rows_xlsx([["编号", "商标", "类别"], ["HZ-0001", "五芳斋", "30"],
                      *([f"HZ-{i:06d}", "", "30"] for i in range(2, MAX_IMPORT_ERRORS + 52))])
    r = client.post(url, headers=hdr, files={"file": ("名单.xlsx", bad, "application/octet-stream")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["brands_new"] == 1 and len(body["errors"]) == MAX_IMPORT_ERRORS
    assert body["errors_total"] == MAX_IMPORT_ERRORS + 50 and "缺少商标名称" in body["errors"][0]["reason"]
    # a sheet that inflates thousands of times is refused before openpyxl reads it
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<row><c><v>娃哈哈</v></c></row>" * 400_000)
    r = client.post(url, headers=hdr, files={"file": ("名单.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 400 and "压缩比" in r.json()["detail"]
    client.delete(f"{API}/watchlists/{wid}", headers=hdr)


# ---------------------------------------------------------------- subscriptions
@pytest.mark.parametrize("webhook", [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "http://127.0.0.1:9999/hook",
    "http://[::1]:6379/", "http://10.0.0.5:9200/_bulk", "http://localhost:5432/", "https://0x7f000001/",
    "http://100.64.0.1/", "http://[::ffff:127.0.0.1]/", "http://user:pw@hooks.example.org/x", "ftp://hooks.example.org/",
])
def test_webhook_to_internal_address_is_refused(client: TestClient, world: World, webhook: str):
    hdr = h(world, ASSOCIATION)
    sub_id = client.get(f"{API}/subscriptions", headers=hdr).json()[0]["id"]
    r = client.patch(f"{API}/subscriptions/{sub_id}", headers=hdr, json={"webhook": webhook})
    assert r.status_code == 422, r.text
    assert "pw" not in r.json()["detail"]
    assert client.get(f"{API}/subscriptions/{sub_id}", headers=hdr).json()["webhook"] is None


def test_subscription_answers_mask_the_webhook_url(client: TestClient, world: World):
    hdr = h(world, ASSOCIATION)
    sub_id = client.get(f"{API}/subscriptions", headers=hdr).json()[0]["id"]
    r = client.patch(f"{API}/subscriptions/{sub_id}", headers=hdr,
                     json={"webhook": "https://hooks.example.org/robot/send?access_token=T0KEN"})
    assert r.status_code == 200, r.text
    assert r.json()["webhook"] == "https://hooks.example.org/…"
    assert "T0KEN" not in client.get(f"{API}/subscriptions", headers=hdr).text
    client.patch(f"{API}/subscriptions/{sub_id}", headers=hdr, json={"webhook": None})


def test_subscriptions(client: TestClient, world: World):
    hdr = h(world, STATION)
    r = client.post(f"{API}/subscriptions", headers=hdr,
                    json={"watchlist_id": world.watchlist_a, "webhook": "https://hooks.example.org/mw",
                          "webhook_secret": "s3cret-s3cret"})
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["organisation"] == STATION and sub["has_webhook_secret"] is True and "webhook_secret" not in sub
    assert client.post(f"{API}/subscriptions", headers=hdr,
                       json={"watchlist_id": world.watchlist_a, "email": "a@example.org"}).status_code == 409
    r = client.post(f"{API}/subscriptions", headers=hdr, json={"watchlist_id": world.watchlist_a,
                                                               "organisation": OTHER, "email": "not-an-address"})
    assert r.status_code == 422 and "邮箱" in r.json()["detail"]
    r = client.post(f"{API}/subscriptions", headers=hdr, json={"watchlist_id": world.watchlist_a, "organisation": OTHER})
    assert r.status_code == 422
    r = client.post(f"{API}/subscriptions", headers=hdr,
                    json={"watchlist_id": world.watchlist_a, "organisation": "不存在的单位", "email": "a@example.org"})
    assert r.status_code == 404
    listed = client.get(f"{API}/subscriptions", headers=hdr).json()
    assert {s["organisation"] for s in listed} == {STATION, ASSOCIATION}
    # the subscriber sees its own subscription and may change its target
    assoc = client.get(f"{API}/subscriptions", headers=h(world, ASSOCIATION)).json()
    assert [s["organisation"] for s in assoc] == [ASSOCIATION]
    r = client.patch(f"{API}/subscriptions/{assoc[0]['id']}", headers=h(world, ASSOCIATION),
                     json={"email": "review@food.example.org"})
    assert r.status_code == 200 and r.json()["email"] == "review@food.example.org"
    assert client.delete(f"{API}/subscriptions/{sub['id']}", headers=hdr).status_code == 204
    assert client.get(f"{API}/subscriptions/{sub['id']}", headers=hdr).status_code == 404


# ---------------------------------------------------------------- alerts
def test_alerts_filter_and_paginate(client: TestClient, world: World):
    everything = first_alert(client, world)
    marks = {(a["brand"], a["mark"]) for a in everything["items"]}
    assert ("康师傅", "康帅傅") in marks and ("雪碧", "雷碧") in marks
    assert all(a["reasons"] and all(r["detail"] for r in a["reasons"]) for a in everything["items"])
    deadlines = [a["opposition_deadline"] for a in everything["items"]]
    assert deadlines == sorted(deadlines)
    total = everything["total"]
    assert total == len(everything["items"]) >= 2
    hdr = h(world, STATION)
    page = client.get(f"{API}/alerts", headers=hdr, params={"limit": 1, "offset": 1}).json()
    assert page["total"] == total and page["limit"] == 1 and page["offset"] == 1 and len(page["items"]) == 1
    assert page["items"][0]["alert_id"] == everything["items"][1]["alert_id"]
    only = first_alert(client, world, brand_id="HZ-0002")
    assert only["total"] >= 1 and {a["brand"] for a in only["items"]} == {"康师傅"}
    by_date = first_alert(client, world, since="2026-10-01")
    assert "康帅傅" not in {a["mark"] for a in by_date["items"] if a["application_no"] == "90000001"}
    assert all(a["publication_date"] >= "2026-10-01" for a in by_date["items"])
    sev = everything["items"][0]["severity"]
    assert all(a["severity"] == sev for a in first_alert(client, world, severity=sev)["items"])
    assert first_alert(client, world, watchlist_id=world.watchlist_a)["total"] == total


def test_review_status_workflow_with_history(client: TestClient, world: World):
    hdr = h(world, STATION)
    alert = next(a for a in first_alert(client, world)["items"] if a["mark"] == "雷碧")
    url = f"{API}/alerts/{alert['alert_id']}/status"
    r = client.post(url, headers=hdr, json={"status": "reviewing", "comment": "请法务核实申请人"})
    assert r.status_code == 200 and r.json()["status"] == "reviewing" and r.json()["status_by"] == STATION
    assert r.json()["can_review"] is True
    # the association subscribes to this watchlist: it reads the review, only the owner (or an admin) sets it
    assoc = h(world, ASSOCIATION)
    r = client.post(url, headers=assoc, json={"status": "dismissed", "comment": "不构成近似"})
    assert r.status_code == 403 and "only the watchlist's owner" in r.json()["detail"]
    seen = client.get(f"{API}/alerts/{alert['alert_id']}", headers=assoc).json()
    assert seen["status"] == "reviewing" and seen["can_review"] is False
    assert all(a["can_review"] is False for a in client.get(f"{API}/alerts", headers=assoc,
                                                            params={"watchlist_id": world.watchlist_a}).json()["items"])
    r = client.post(url, headers=hdr, json={"status": "opposition_filed", "comment": "已提交异议申请"})
    assert r.status_code == 200
    r = client.post(url, headers=hdr, json={"status": "new"})
    assert r.status_code == 409 and "cannot move" in r.json()["detail"]
    r = client.post(url, headers=hdr, json={"status": "approved"})
    assert r.status_code == 422
    history = client.get(f"{API}/alerts/{alert['alert_id']}/history", headers=hdr).json()
    assert [(e["status"], e["actor"]) for e in history] == [("reviewing", STATION), ("opposition_filed", STATION)]
    assert client.get(f"{API}/alerts/{alert['alert_id']}/history", headers=assoc).json() == history
    assert history[0]["comment"] == "请法务核实申请人"
    r = client.post(url, headers=h(world, ADMIN), json={"status": "reviewing", "comment": "复核"})
    assert r.status_code == 200 and r.json()["status_by"] == ADMIN
    detail = client.get(f"{API}/alerts/{alert['alert_id']}", headers=hdr).json()
    assert detail["status"] == "reviewing" and len(detail["history"]) == 3
    assert first_alert(client, world, status="reviewing")["total"] >= 1


def test_export_formats(client: TestClient, world: World):
    hdr = h(world, STATION)
    total = first_alert(client, world)["total"]
    r = client.get(f"{API}/alerts/export", headers=hdr, params={"format": "xlsx"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert re.search(r"markwatch-alerts-\d{8}\.xlsx", r.headers["content-disposition"])
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("预警编号", "风险等级", "近似度", "异议截止日") and len(rows) == total + 1
    assert any("康帅傅" in (c or "") for row in rows for c in row if isinstance(c, str))
    r = client.get(f"{API}/alerts/export", headers=hdr, params={"format": "csv", "brand_id": "HZ-0003"})
    text = r.content.decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0][0] == "预警编号" and all(row[7] == "雪碧" for row in parsed[1:]) and len(parsed) >= 2
    r = client.get(f"{API}/alerts/export", headers=hdr, params={"format": "jsonl"})
    lines = [json.loads(x) for x in r.content.decode("utf-8").splitlines()]
    assert len(lines) == total and {x["watchlist_id"] for x in lines} == {world.watchlist_a}


def test_timeline_compare_search_runs_me(client: TestClient, world: World):
    hdr = h(world, STATION)
    tl = client.get(f"{API}/alerts/timeline", headers=hdr, params={"by": "brand"}).json()
    assert tl["months"] == sorted(tl["months"]) and {"康师傅", "雪碧"} <= {s["key"] for s in tl["series"]}
    assert sum(s["total"] for s in tl["series"]) == first_alert(client, world)["total"]
    tl = client.get(f"{API}/alerts/timeline", headers=hdr, params={"by": "class"}).json()
    assert {"第30类", "第32类"} <= {s["key"] for s in tl["series"]}
    r = client.post(f"{API}/compare", headers=hdr, json={"brand": "康师傅", "candidate": "康帅傅",
                                                          "brand_classes": [30], "candidate_classes": [30]})
    assert r.status_code == 200 and r.json()["similar"] is True and r.json()["reasons"]
    r = client.get(f"{API}/search", headers=hdr, params={"mark": "康师傅", "classes": [30]})
    assert r.status_code == 200 and r.json()["results"][0]["mark"] == "康帅傅"
    assert r.json()["marks_not_indexed"] == 0 and r.json()["index_marks"] > 0 and r.json()["index_built_at"]
    runs = client.get(f"{API}/runs", headers=hdr).json()
    assert runs and runs[0]["status"] == "done" and runs[0]["alerts_new"] >= 2
    assert client.get(f"{API}/me", headers=hdr).json() == {"id": client.get(f"{API}/me", headers=hdr).json()["id"],
                                                             "name": STATION, "kind": "station", "is_admin": False}


def test_redact_urls_keeps_host_and_path_only():
    from markwatch.errors import redact_urls

    text = ("https://gazette-user:S3cretPw@host.example:8443/feed?api_key=K3Y: ConnectError; "
            "http://[::1]:9/x#tok and ftp://u@h/p, drop folder /srv/in")
    assert redact_urls(text) == ("https://host.example:8443/feed?…: ConnectError; "
                                 "http://[::1]:9/x and ftp://h/p, drop folder /srv/in")
    assert redact_urls(None) is None


def test_runs_keep_source_secrets_out_and_details_for_admins(tmp_path):
    from sqlalchemy import select

    from markwatch.store.tables import Run

    from .servicekit import free_port

    secret_url = f"https://gazette-user:S3cretPw@127.0.0.1:{free_port()}/feed?api_key=K3Y"
    svc = make_service(f"sqlite:///{tmp_path}/runs.db", tmp_path, source_urls=(secret_url,))
    w = seed(svc, tmp_path)
    result = svc.cycle()
    assert result.status == "partial"
    with svc.db.session() as s:
        stored = s.scalar(select(Run.error).where(Run.id == result.run_id))
    assert "127.0.0.1" in stored and "/feed" in stored
    for secret in ("S3cretPw", "K3Y", "gazette-user"):
        assert secret not in stored
    c = TestClient(create_app(svc))
    admin = c.get(f"{API}/runs", headers=auth(w.tokens[ADMIN])).json()
    assert admin[0]["id"] == result.run_id and admin[0]["error"] == stored and "alerts_total" in admin[0]
    station = c.get(f"{API}/runs", headers=auth(w.tokens[STATION])).json()
    assert [r["id"] for r in station] == [r["id"] for r in admin]
    assert set(station[0]) == {"id", "kind", "status", "started_at", "finished_at", "alerts_new"}
    for r in (admin[0], station[0]):  # times carry their UTC offset on every backend, as alerts' do
        assert datetime.fromisoformat(r["started_at"]).utcoffset() is not None
    assert station[0]["status"] == "partial" and "S3cretPw" not in json.dumps(station)
    # own counts: the station's new alerts are on its watchlist, the other station has none of them
    seeded = station[-1]
    other = c.get(f"{API}/runs", headers=auth(w.tokens[OTHER])).json()[-1]
    assert seeded["alerts_new"] >= 2 and other["alerts_new"] < admin[-1]["alerts_new"]
    assert seeded["alerts_new"] + other["alerts_new"] <= admin[-1]["alerts_new"]


def test_token_rotation_revokes_the_old_token(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/rot.db", tmp_path)
    _, token = svc.create_org("绍兴市商标品牌指导站", "station")
    c = TestClient(create_app(svc))
    assert c.get(f"{API}/me", headers=auth(token)).status_code == 200
    new = svc.rotate_token("绍兴市商标品牌指导站")
    assert new != token
    assert c.get(f"{API}/me", headers=auth(token)).status_code == 401
    assert c.get(f"{API}/me", headers=auth(new)).json()["name"] == "绍兴市商标品牌指导站"
    # only a hash is stored
    from sqlalchemy import text

    with svc.db.engine.connect() as conn:
        stored = conn.execute(text("select token_hash from organisations")).scalar_one()
    assert new not in stored and stored.startswith("hmac-sha256:")


def test_org_commands(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from markwatch.cli import app
    from markwatch.cli import common as cli_common

    svc = make_service(f"sqlite:///{tmp_path}/cli.db", tmp_path)
    monkeypatch.setattr(cli_common, "service", lambda: svc)
    runner = CliRunner()
    r = runner.invoke(app, ["org", "create", "温州市商标品牌指导站", "--kind", "station"])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip()
    assert token.startswith("mw_") and len(token) > 40
    assert svc.authenticate(token).name == "温州市商标品牌指导站"
    r = runner.invoke(app, ["org", "create", "温州市商标品牌指导站"])
    assert r.exit_code == 2 and "already exists" in r.output
    r = runner.invoke(app, ["org", "create", "某单位", "--kind", "company"])
    assert r.exit_code == 2 and "unknown organisation kind" in r.output
    r = runner.invoke(app, ["org", "list", "--json"])
    assert [(o["name"], o["kind"], o["has_token"]) for o in json.loads(r.stdout)] == [
        ("温州市商标品牌指导站", "station", True)]
    r = runner.invoke(app, ["org", "token", "温州市商标品牌指导站"])
    new = r.stdout.strip()
    assert r.exit_code == 0 and new != token and svc.authenticate(token) is None
    assert svc.authenticate(new) is not None
    r = runner.invoke(app, ["org", "token", "不存在"])
    assert r.exit_code == 2 and "no organisation" in r.output


def test_org_revoke_and_token_expiry(tmp_path, monkeypatch):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update
    from typer.testing import CliRunner

    from markwatch.cli import app
    from markwatch.cli import common as cli_common
    from markwatch.store.tables import Organisation

    name = "湖州市商标品牌指导站"
    svc = make_service(f"sqlite:///{tmp_path}/revoke.db", tmp_path)
    monkeypatch.setattr(cli_common, "service", lambda: svc)
    runner = CliRunner()
    c = TestClient(create_app(svc))
    token = runner.invoke(app, ["org", "create", name]).stdout.strip()
    assert c.get(f"{API}/me", headers=auth(token)).status_code == 200
    r = runner.invoke(app, ["org", "revoke", name])
    assert r.exit_code == 0 and "revoked" in r.output
    assert c.get(f"{API}/me", headers=auth(token)).status_code == 401
    assert c.post(f"{API}/watchlists", headers=auth(token), json={"name": "x"}).status_code == 401
    assert json.loads(runner.invoke(app, ["org", "list", "--json"]).stdout)[0]["has_token"] is False
    r = runner.invoke(app, ["org", "revoke", name])
    assert r.exit_code == 0 and "nothing to revoke" in r.output
    assert runner.invoke(app, ["org", "revoke", "不存在"]).exit_code == 2

    # a token issued for a limited time works until then, and not after
    r = runner.invoke(app, ["org", "token", name, "--expires-days", "30"])
    limited = r.stdout.strip()
    assert r.exit_code == 0 and "30 days" in r.output
    assert c.get(f"{API}/me", headers=auth(limited)).status_code == 200
    expires = json.loads(runner.invoke(app, ["org", "list", "--json"]).stdout)[0]["token_expires_at"]
    assert timedelta(days=29) < datetime.fromisoformat(expires) - datetime.now(timezone.utc) <= timedelta(days=30)
    with svc.db.session() as s:
        s.execute(update(Organisation).values(token_expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert c.get(f"{API}/me", headers=auth(limited)).status_code == 401
    assert c.post(f"{API}/compare", headers=auth(limited), json={"brand": "a", "candidate": "b"}).status_code == 401
    assert runner.invoke(app, ["org", "token", name, "--expires-days", "0"]).exit_code == 2
    # a new token without --expires-days does not expire
    unlimited = runner.invoke(app, ["org", "token", name]).stdout.strip()
    assert c.get(f"{API}/me", headers=auth(unlimited)).status_code == 200
    assert json.loads(runner.invoke(app, ["org", "list", "--json"]).stdout)[0]["token_expires_at"] is None


def _index_files(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_search_uses_the_index_as_it_is_and_says_how_fresh(tmp_path):
    from .servicekit import write_jsonl

    svc = make_service(f"sqlite:///{tmp_path}/fresh.db", tmp_path)
    w = seed(svc, tmp_path)
    c = TestClient(create_app(svc))
    r = c.get(f"{API}/search", headers=h(w, STATION), params={"mark": "康师傅"})
    assert r.status_code == 503 and "index" in r.json()["detail"]  # not built by a request
    svc.update_register_index()
    folder = svc.settings.index_dir / "register"
    first = c.get(f"{API}/search", headers=h(w, STATION), params={"mark": "康师傅"}).json()
    files = _index_files(folder)
    svc.ingest([write_jsonl(tmp_path / "more.jsonl", [
        {"application_no": "99000001", "mark": "康帅傅", "classes": [30], "applicant": "某公司",
         "publication_date": "2026-11-27", "gazette_issue": "1999"},
        {"application_no": "99000002", "mark": "康师付", "classes": [30], "applicant": "某公司",
         "publication_date": "2026-11-27", "gazette_issue": "1999"}])])
    later = c.get(f"{API}/search", headers=h(w, STATION), params={"mark": "康师傅"}).json()
    assert _index_files(folder) == files
    assert later["index_marks"] == first["index_marks"] and later["index_built_at"] == first["index_built_at"]
    assert first["marks_not_indexed"] == 0 and later["marks_not_indexed"] == 2
    assert later["results"] == first["results"]


def test_compare_and_search_are_rate_limited_per_token(client: TestClient, world: World):
    from markwatch.api.throttle import TokenBuckets, ToolLimits

    saved = client.app.state.tool_limits
    client.app.state.tool_limits = ToolLimits(TokenBuckets(per_minute=6, burst=3), concurrency=2, queue=2)
    try:
        body = {"brand": "康师傅", "candidate": "康帅傅"}
        got = [client.post(f"{API}/compare", headers=h(world, STATION), json=body) for _ in range(3)]
        assert [r.status_code for r in got] == [200, 200, 200]
        r = client.get(f"{API}/search", headers=h(world, STATION), params={"mark": "康师傅"})
        assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 10
        assert client.post(f"{API}/compare", headers=h(world, OTHER), json=body).status_code == 200
        assert client.get(f"{API}/search", headers=h(world, OTHER), params={"mark": "康师傅"}).status_code == 200
    finally:
        client.app.state.tool_limits = saved


def test_tool_calls_beyond_the_queue_get_503():
    import threading

    from fastapi import HTTPException

    from markwatch.api.throttle import TokenBuckets, ToolLimits

    limits = ToolLimits(TokenBuckets(per_minute=0, burst=0), concurrency=1, queue=1)
    running, release = threading.Event(), threading.Event()

    def hold():
        with limits.admit("a"):
            running.set()
            release.wait(5)

    first = threading.Thread(target=hold)
    first.start()
    running.wait(5)
    waiting = threading.Thread(target=lambda: limits.admit("b").__enter__())  # queued behind the first
    waiting.start()
    for _ in range(100):
        if limits._admitted._value == 0:  # type: ignore[attr-defined]
            break
        threading.Event().wait(0.01)
    with pytest.raises(HTTPException) as exc:
        with limits.admit("c"):
            pass
    assert exc.value.status_code == 503 and exc.value.headers["Retry-After"]
    release.set()
    first.join(5)
    waiting.join(5)


def test_a_freed_tool_slot_goes_to_the_call_that_has_waited_longest():
    import threading

    from markwatch.api.throttle import FairSlots

    slots = FairSlots(1)
    slots.acquire()  # the running call
    order: list[int] = []
    queued = threading.Semaphore(0)

    def call(n: int) -> None:
        queued.release()
        with slots:
            order.append(n)

    waiters = []
    for n in range(4):  # they queue up one after another
        t = threading.Thread(target=call, args=(n,))
        t.start()
        queued.acquire()
        for _ in range(200):
            if len(slots._waiters) == n + 1:  # type: ignore[attr-defined]
                break
            threading.Event().wait(0.005)
        waiters.append(t)
    slots.release()
    # asking again at once, before the woken waiter has run, is asking last: no barging in
    slots.acquire()
    order.append(9)
    slots.release()
    for t in waiters:
        t.join(5)
    assert order == [0, 1, 2, 3, 9]
    assert slots._free == 1 and not slots._waiters  # type: ignore[attr-defined]


def test_concurrent_searches_give_the_answers_they_give_alone(world: World):
    from concurrent.futures import ThreadPoolExecutor

    marks = ["康师傅", "雪碧", "康帅傅", "雷碧", "娃哈哈", "周黑鸭"] * 3
    alone = {m: world.svc.search(m, classes=[30, 32])["results"] for m in set(marks)}
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(lambda m: world.svc.search(m, classes=[30, 32])["results"], marks))
    assert together == [alone[m] for m in marks]


def test_search_and_compare_agree_on_a_mark_holding_the_query(tmp_path):
    record = {"application_no": "98000001", "mark": "金牌酒业", "classes": [33], "applicant": "某酒业公司",
              "publication_date": "2026-09-20", "gazette_issue": "1990"}
    svc = make_service(f"sqlite:///{tmp_path}/agree.db", tmp_path)
    seed(svc, tmp_path, extra_records=[record])
    svc.update_register_index()
    hit = next(r for r in svc.search("金牌")["results"] if r["mark"] == "金牌酒业")
    alone = svc.compare("金牌", "金牌酒业", candidate_classes=[33]).as_dict()
    # what compare finds (金牌 kept whole in 金牌酒业) search finds too; search may find more, from the
    # normal form stored at ingest
    assert alone["reasons"] and all(r in hit["reasons"] for r in alone["reasons"])
    assert hit["similar"] and alone["similar"]
    # more findings never lower the score; the learned combination also reads the pair's written forms,
    # which differ here (金牌 kept whole or not), and may move the score by a little either way
    assert hit["mark_score"] >= alone["mark_score"] - 0.01


# ---------------------------------------------------------------- the work queue and the alert page
def test_work_queue_filters_and_sorts(client: TestClient, world: World):
    from markwatch.service.alerts import due_window

    everything = first_alert(client, world)["items"]
    by_class = first_alert(client, world, **{"class": 32})["items"]
    assert by_class and all(32 in a["classes"] for a in by_class)
    assert {a["alert_id"] for a in by_class} == {a["alert_id"] for a in everything if 32 in a["classes"]}
    assert first_alert(client, world, **{"class": 3})["total"] == 0  # 3 is not 30 or 32
    found = first_alert(client, world, q="帅")["items"]
    assert found and all("帅" in a["mark"] for a in found)
    assert first_alert(client, world, q="某某饮料")["items"][0]["mark"] == "雷碧"  # the applicant
    assert first_alert(client, world, q="100%_")["total"] == 0  # wildcards are text
    today = world.svc.settings.today()
    for window in ("week", "month"):
        start, end = due_window(window, today)
        page = first_alert(client, world, due=window)
        assert (page["deadline_from"], page["deadline_to"]) == (start.isoformat(), end.isoformat())
        want = {a["alert_id"] for a in everything if start.isoformat() <= a["opposition_deadline"] <= end.isoformat()
                and a["status"] in ("new", "reviewing")}  # what is due is still to decide
        assert {a["alert_id"] for a in page["items"]} == want
    window = first_alert(client, world, deadline_from="2027-01-01", deadline_to="2027-01-31")["items"]
    assert window and all(a["opposition_deadline"].startswith("2027-01") for a in window)
    for key in ("score", "-score", "brand", "-publication", "severity", "mark", "-deadline"):
        items = first_alert(client, world, sort=key)["items"]
        assert len(items) == len(everything)
    scores = [a["score"] for a in first_alert(client, world, sort="-score")["items"]]
    assert scores == sorted(scores, reverse=True)
    deadlines = [a["opposition_deadline"] for a in first_alert(client, world, sort="-deadline")["items"]]
    assert deadlines == sorted(deadlines, reverse=True)
    hdr = h(world, STATION)
    r = client.get(f"{API}/alerts", headers=hdr, params={"sort": "nonsense"})
    assert r.status_code == 400 and "sort" in r.json()["detail"]
    r = client.get(f"{API}/alerts", headers=hdr, params={"since": "2026-12-01", "until": "2026-01-01"})
    assert r.status_code == 400 and "after" in r.json()["detail"]
    r = client.get(f"{API}/alerts", headers=hdr, params={"class": 46})
    assert r.status_code == 422


def test_the_alert_page_has_both_marks_goods_dates_parties_and_history(client: TestClient, world: World):
    hdr = h(world, STATION)
    alert = next(a for a in first_alert(client, world)["items"] if a["mark"] == "康帅傅")
    d = client.get(f"{API}/alerts/{alert['alert_id']}", headers=hdr).json()
    assert (d["brand"], d["mark"]) == ("康师傅", "康帅傅")
    assert d["goods"] == ["方便面", "饼干"] and d["classes"] == [30] and d["brand_classes"] == [30]
    assert d["mark_groups"] and all(g["code"] and g["name"] for g in d["mark_groups"])
    assert d["mark_groups_from_goods"] is True  # the gazette gave no 类似群: read from the goods
    assert d["shared_classes"] == [30]
    assert d["publication_date"] == "2026-09-20" and d["gazette_issue"] == "1990"
    assert d["opposition_deadline"] and "deadline_note" in d and "days_left" in d
    assert d["applicant"] == "某某食品有限公司" and d["agent"] == "某某商标代理有限公司" and d["brand_aliases"] == ["KANGSHIFU"]
    assert d["reasons"] and isinstance(d["history"], list)


def test_saving_an_unchanged_status_adds_no_history(client: TestClient, world: World):
    hdr = h(world, STATION)
    alert = next(a for a in first_alert(client, world)["items"] if a["mark"] == "康帅傅")
    url = f"{API}/alerts/{alert['alert_id']}/status"
    before = len(client.get(f"{API}/alerts/{alert['alert_id']}/history", headers=hdr).json())
    first = client.post(url, headers=hdr, json={"status": "reviewing", "comment": "核实中"}).json()
    again = client.post(url, headers=hdr, json={"status": "reviewing", "comment": "核实中"}).json()
    assert first["changed"] is True and again["changed"] is False
    history = client.get(f"{API}/alerts/{alert['alert_id']}/history", headers=hdr).json()
    assert len(history) == before + 1
    note = client.post(url, headers=hdr, json={"status": "reviewing", "comment": "已联系权利人"}).json()
    assert note["changed"] is True and note["history"][-1]["comment"] == "已联系权利人"


def test_bulk_review_is_all_or_none(client: TestClient, world: World):
    hdr = h(world, STATION)
    items = first_alert(client, world)["items"]
    ids = [a["alert_id"] for a in items]
    r = client.post(f"{API}/alerts/status", headers=hdr, json={"alert_ids": ids, "status": "reviewing",
                                                               "comment": "批量复核"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["alerts"] == ids and set(body["changed"]) | set(body["unchanged"]) == set(ids)
    assert all(a["status"] == "reviewing" for a in first_alert(client, world)["items"])
    again = client.post(f"{API}/alerts/status", headers=hdr, json={"alert_ids": ids, "status": "reviewing",
                                                                   "comment": "批量复核"}).json()
    assert again["changed"] == []  # nothing to record twice
    # one alert that may not make the move refuses the whole set
    one = ids[0]
    assert client.post(f"{API}/alerts/{one}/status", headers=hdr, json={"status": "opposition_filed"}).status_code == 200
    r = client.post(f"{API}/alerts/status", headers=hdr, json={"alert_ids": ids, "status": "dismissed"})
    assert r.status_code == 409 and str(one) in r.json()["detail"]
    assert all(a["status"] != "dismissed" for a in first_alert(client, world)["items"])
    # another organisation's alert is not found, and nothing changes
    other = client.post(f"{API}/alerts/status", headers=h(world, OTHER), json={"alert_ids": ids, "status": "new"})
    assert other.status_code == 404
    assert client.post(f"{API}/alerts/status", headers=hdr, json={"alert_ids": [], "status": "new"}).status_code == 422


def test_exports_carry_goods_owner_classes_reviewer_and_a_dated_name(client: TestClient, world: World):
    hdr = h(world, STATION)
    # a review of its own, so the reviewer columns are proved whatever ran before
    reviewed_alert = next(a for a in first_alert(client, world)["items"] if a["mark"] == "康帅傅")
    client.post(f"{API}/alerts/{reviewed_alert['alert_id']}/status", headers=hdr,
                json={"status": "reviewing", "comment": "导出核对"})
    r = client.get(f"{API}/alerts/export", headers=hdr, params={"format": "csv"})
    day = world.svc.settings.today().strftime("%Y%m%d")
    assert f"markwatch-alerts-{day}.csv" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {"商品/服务项目", "类似群", "代理机构", "商标权利人", "监测商标类别", "处理人", "处理备注", "处理时间"} <= set(rows[0])
    knockoff = next(row for row in rows if row["初审商标"] == "康帅傅")
    assert knockoff["商品/服务项目"] == "方便面；饼干" and knockoff["监测商标类别"] == "30"
    reviewed = [row for row in rows if row["处理人"]]
    assert reviewed and all(row["处理时间"] for row in reviewed)
    assert knockoff["处理人"] and knockoff["处理备注"]


def test_timeline_months_run_without_gaps(client: TestClient, world: World):
    hdr = h(world, STATION)
    tl = client.get(f"{API}/alerts/timeline", headers=hdr, params={"by": "severity"}).json()
    months = tl["months"]
    assert months and len(months) == len(set(months)) and months == sorted(months)
    y, m = map(int, months[0].split("-"))
    for later in months[1:]:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        assert later == f"{y:04d}-{m:02d}"
    assert sum(tl["totals"]) == first_alert(client, world)["total"]
    assert [s["key"] for s in tl["series"]] == [k for k in ("high", "medium", "low") if k in {s["key"] for s in tl["series"]}]
