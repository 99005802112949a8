"""The opposition pack (异议材料) of an alert, as DOCX and PDF, from the CLI and the API: its fields read
back from the documents."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient
from pypdf import PdfReader
from typer.testing import CliRunner

from markwatch.api import create_app
from markwatch.service.alerts import AlertFilter

from .servicekit import make_service

EXPORT = Path(__file__).resolve().parent / "data" / "cnipa" / "list-2004.json"
STATION, OTHER = "杭州市商标品牌指导站", "宁波市商标品牌指导站"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pack")
    svc = make_service(f"sqlite:///{tmp}/t.db", tmp, gazette_page_url="https://gazette.example.cn{img_dir}")
    tokens = {STATION: svc.create_org(STATION, "station")[1], OTHER: svc.create_org(OTHER, "station")[1]}
    station = svc.as_org(svc.authenticate(tokens[STATION]))
    wl = station.create_watchlist("重点商标")["id"]
    station.create_brand(wl, {"brand_id": "HZ-0002", "mark": "康师傅", "classes": [30], "well_known": True,
                              "owner": "康师傅控股有限公司", "registration_no": "1234567",
                              "protection_list": "2025年度浙江省重点商标保护名录", "protection_year": 2025})
    svc.ingest([EXPORT])
    svc.run()
    alerts = {a["application_no"]: a for a in svc.alerts(AlertFilter())}
    return svc, tokens, alerts["82025373"], tmp


def _docx_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def _fields(doc) -> dict[str, str]:
    out = {}
    for table in doc.tables:
        for row in table.rows:
            if len(row.cells) == 2:
                out.setdefault(row.cells[0].text, row.cells[1].text)
    return out


def test_docx_from_the_command_line_holds_what_a_station_files(world, tmp_path):
    svc, _, alert, _ = world
    from markwatch.cli import app, common

    original = common.service
    common.service = lambda: svc
    try:
        result = CliRunner().invoke(app, ["alerts", "pack", str(alert["alert_id"]), "--format", "docx",
                                          "--out", str(tmp_path / "pack.docx")])
    finally:
        common.service = original
    assert result.exit_code == 0, result.output
    doc = Document(str(tmp_path / "pack.docx"))
    fields = _fields(doc)
    assert fields["商标"] == "康帅傅" and fields["申请号"] == "82025373" and fields["国际分类"] == "第30类"
    assert fields["申请人"] == "广州市某某食品有限公司" and fields["申请人地址"].startswith("广东省广州市")
    assert fields["公告期号"] == "第2004期" and fields["初审公告日期"] == "2026-10-20" and fields["公告页码"] == "第1页"
    assert fields["公告页链接"] == "https://gazette.example.cn/tmann/2004/TMZCSQ/00001.jpg"
    assert fields["代理机构"] == "某某知识产权代理有限公司"
    assert fields["引证商标"] == "康师傅" and fields["权利人（异议人）"] == "康师傅控股有限公司"
    assert fields["注册号"] == "1234567" and fields["重点商标保护名录"] == "2025年度浙江省重点商标保护名录（2025年）"
    days = (date.fromisoformat(alert["opposition_deadline"]) - svc.settings.today()).days
    assert fields["异议截止日"] == alert["opposition_deadline"] == "2027-01-20"
    assert fields["剩余天数"] == (f"剩余 {days} 天" if days >= 0 else f"已过期 {-days} 天")
    assert "第三十三条" in fields["计算依据"]
    text = _docx_text(doc)
    # grounds from the reasons: similar mark on similar goods, well known, the owner's trade name, and bad
    # faith: the same applicant filed three copies (82025373, 82025379, 82025380)
    for article in ("商标法第三十条", "商标法第十三条", "商标法第三十二条", "商标法第四条", "商标法第十五条"):
        assert article in text, article
    assert "共有 3 件商标" in text
    grounds = next(t for t in doc.tables if t.rows[0].cells[0].text == "法律依据")
    assert {r.cells[0].text: r.cells[3].text for r in grounds.rows[1:]}["商标法第十五条"] == "待核实"
    evidence = next(t for t in doc.tables if t.rows[0].cells[0].text == "序号")
    assert [c.text for c in evidence.rows[0].cells] == ["序号", "证据名称", "来源", "证明内容", "页码"]
    first = [c.text for c in evidence.rows[1].cells]
    assert first[1] == "被异议商标初步审定公告（第2004期第1页）" and first[4] == "1"
    names = [r.cells[1].text for r in evidence.rows[1:]]
    assert "《2025年度浙江省重点商标保护名录》（2025年）" in names and "被异议人其他近似商标申请清单" in names
    others = next(t for t in doc.tables if t.rows[0].cells[0].text == "预警编号")
    assert sorted(r.cells[2].text for r in others.rows[1:]) == ["82025379", "82025380"]


def test_pdf_renders_the_same_in_chinese(world, tmp_path):
    svc, _, alert, _ = world
    path = svc.pack(alert["alert_id"], "pdf", tmp_path / "pack.pdf")
    reader = PdfReader(str(path))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in ("商标异议材料", "康帅傅", "82025373", "异议截止日", "2027-01-20", "商标法第三十条", "证据目录",
                     "广州市某某食品有限公司"):
        assert expected in text, expected
    fonts = {str(f) for page in reader.pages for f in (page["/Resources"]["/Font"] or {}).values()}
    assert fonts  # the font is embedded, not left to the viewer


def test_pack_through_the_api(world):
    svc, tokens, alert, _ = world
    client = TestClient(create_app(svc))
    url = f"/api/v1/alerts/{alert['alert_id']}/pack"
    r = client.get(url, headers={"Authorization": f"Bearer {tokens[STATION]}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "filename*=UTF-8''markwatch-" in r.headers["content-disposition"]
    assert _fields(Document(io.BytesIO(r.content)))["申请号"] == "82025373"
    r = client.get(url, params={"format": "pdf"}, headers={"Authorization": f"Bearer {tokens[STATION]}"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert client.get(url, headers={"Authorization": f"Bearer {tokens[OTHER]}"}).status_code == 404
    assert client.get(url).status_code == 401
