"""A gazette mark's 类似群: the record's own codes, or, when it gives none, its goods texts looked up in the
类似商品和服务区分表 — the same rule for the matcher, the alert page, the exports and the opposition pack."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from markwatch.api import create_app
from markwatch.goods.table import SimilarGoodsTable, mark_groups

from .servicekit import STATION, World, make_service, seed

API = "/api/v1"
# one knock-off that carries its groups, beside the seed's marks that carry none (康帅傅: 方便面, 饼干)
CARRIES_GROUPS = {"application_no": "92000001", "mark": "康師傅", "classes": [30], "goods": ["方便面"],
                  "similar_groups": ["3009"], "applicant": "台湾某食品股份有限公司",
                  "publication_date": "2026-10-20", "gazette_issue": "2004"}


@pytest.fixture(scope="module")
def table() -> SimilarGoodsTable:
    return SimilarGoodsTable.load()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    tmp = tmp_path_factory.mktemp("groups")
    return seed(make_service(f"sqlite:///{tmp}/groups.db", tmp), tmp, extra_records=[CARRIES_GROUPS])


def test_the_rule(table):
    derived = mark_groups(table, [], ["方便面", "饼干"], [30])
    assert derived.groups == {"3006", "3009"} and derived.from_goods and derived.complete
    assert mark_groups(table, ["3009"], ["方便面", "饼干"], [30]).groups == {"3009"}  # the record's codes win
    assert not mark_groups(table, ["3009"], ["饼干"], [30]).from_goods
    partial = mark_groups(table, None, ["咖啡", "并非商品的说明文字"], [30])
    assert partial.groups == {"3001"} and not partial.complete  # a lower bound, and it says so
    assert mark_groups(None, [], ["咖啡"], [30]).groups == frozenset()  # no table: nothing guessed
    assert mark_groups(table, [], [], [30]).groups == frozenset()
    # traditional and full-width goods texts, as Hong Kong and Taiwan applicants write them
    assert mark_groups(table, [], ["方便麵", "餅乾"], [30]).groups == {"3006", "3009"}
    assert mark_groups(table, [], ["咖啡（飲料）", "茶飲料"], [30]) == mark_groups(table, [], ["咖啡（饮料）", "茶饮料"], [30])
    assert mark_groups(table, [], ["糖果（軟糖）"], [30]).groups == mark_groups(table, [], ["糖果（软糖）"], [30]).groups


def _hdr(world: World) -> dict:
    return {"Authorization": f"Bearer {world.tokens[STATION]}"}


def test_exports_give_the_groups_of_the_goods_when_the_record_has_none(world: World, table):
    client = TestClient(create_app(world.svc))
    rows = list(csv.DictReader(io.StringIO(client.get(f"{API}/alerts/export", headers=_hdr(world),
                                                      params={"format": "csv"}).content.decode("utf-8-sig"))))
    by_no = {r["申请号"]: r for r in rows}
    assert set(by_no["90000001"]["类似群"].split(",")) == {"3006", "3009"}  # 康帅傅: 方便面, 饼干
    assert by_no["92000001"]["类似群"] == "3009"
    lines = [json.loads(x) for x in client.get(f"{API}/alerts/export", headers=_hdr(world),
                                               params={"format": "jsonl"}).content.decode().splitlines()]
    knockoff = next(x for x in lines if x["application_no"] == "90000001")
    assert knockoff["similar_groups"] == ["3006", "3009"] and knockoff["similar_groups_from_goods"] is True
    own = next(x for x in lines if x["application_no"] == "92000001")
    assert own["similar_groups"] == ["3009"] and own["similar_groups_from_goods"] is False
    # the operator's export (the CLI's path) says the same
    path, _ = world.svc.export("jsonl", world.svc.settings.export_dir / "groups.jsonl")
    operator = {x["application_no"]: x for x in map(json.loads, path.read_text(encoding="utf-8").splitlines())}
    assert operator["90000001"]["similar_groups"] == ["3006", "3009"]


def test_a_review_answers_the_alert_as_the_list_gives_it(world: World):
    client = TestClient(create_app(world.svc))
    items = client.get(f"{API}/alerts", headers=_hdr(world), params={"limit": 500}).json()["items"]
    alert = next(a for a in items if a["application_no"] == "90000001" and a["brand"] == "康师傅")
    r = client.post(f"{API}/alerts/{alert['alert_id']}/status", headers=_hdr(world),
                    json={"status": "reviewing", "comment": "核实申请人"})
    assert r.status_code == 200, r.text
    reviewed = r.json()
    assert reviewed["similar_groups"] == ["3006", "3009"] and reviewed["similar_groups_from_goods"] is True
    assert set(alert) - {"status", "status_by", "status_at", "status_comment"} <= set(reviewed)


def test_the_alert_page_and_the_pack_agree_with_the_export(world: World):
    client = TestClient(create_app(world.svc))
    items = client.get(f"{API}/alerts", headers=_hdr(world), params={"limit": 500}).json()["items"]
    alert = next(a for a in items if a["application_no"] == "90000001" and a["brand"] == "康师傅")
    assert alert["similar_groups"] == ["3006", "3009"] and alert["similar_groups_from_goods"]  # the list too
    own = next(a for a in items if a["application_no"] == "92000001")
    assert own["similar_groups"] == ["3009"] and not own["similar_groups_from_goods"]
    operator = {a["application_no"]: a for a in world.svc.alerts()}  # what `markwatch alerts list` shows
    assert operator["90000001"]["similar_groups"] == ["3006", "3009"]
    page = client.get(f"{API}/alerts/{alert['alert_id']}", headers=_hdr(world)).json()
    assert [g["code"] for g in page["mark_groups"]] == ["3006", "3009"] and page["mark_groups_from_goods"]
    assert page["similar_groups"] == ["3006", "3009"]

    from markwatch.service.pack import opposition_pack

    with world.svc.db.session() as s:
        pack = opposition_pack(s, alert["alert_id"], None, world.svc.settings.today(), "",
                               world.svc.matcher.goods_table)
    assert pack["opposed"]["similar_groups"] == ["3006", "3009"] and pack["opposed"]["similar_groups_from_goods"]
    from markwatch.documents.layout import sections

    fields = dict(sections(pack)[0].fields)
    assert fields["类似群"] == "3006、3009（由商品名称对应）"
