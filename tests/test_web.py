"""The clerk's web page: served locally (no CDN), and driven for real in headless Debian Chromium."""

from __future__ import annotations

import io
import os
import re
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from markwatch.api import create_app

from .servicekit import ASSOCIATION, STATION, free_port, make_service, seed, wait_for

CHROMIUM = Path("/usr/bin/chromium")
WEB = Path(__file__).resolve().parents[1] / "src" / "markwatch" / "web"


def test_page_and_assets_are_served_locally(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/w.db", tmp_path)
    c = TestClient(create_app(svc))
    r = c.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in r.text and "登录" in r.text and "预警" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    for src in re.findall(r'(?:src|href)="([^"]+)"', r.text):
        assert src.startswith("/static/"), src  # nothing from another host
        assert c.get(src).status_code == 200
    for f in list((WEB / "static").iterdir()) + list((WEB / "templates").rglob("index.html")):
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), f  # only the SVG namespace


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The app on a real port (uvicorn in a thread), with a seeded, matched database."""
    import uvicorn

    tmp = tmp_path_factory.mktemp("web")
    svc = make_service(f"sqlite:///{tmp}/web.db", tmp)
    world = seed(svc, tmp)
    svc.as_org(svc.authenticate(world.tokens[STATION])).subscribe(
        world.watchlist_a, organisation=ASSOCIATION, email="alerts@food.example.org")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(svc), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for(lambda: server.started, timeout=20)
    yield world, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium); bash scripts/ci_services.sh installs it")
    sync_api = pytest.importorskip("playwright.sync_api")
    # the page's Content-Security-Policy stays on: the tests only use locators, never eval
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.mark.browser
def test_clerk_signs_in_reviews_an_alert_adds_a_brand_and_downloads(live, browser, tmp_path):
    from playwright.sync_api import expect

    world, base = live
    svc = world.svc
    page = browser.new_page(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/")
    assert page.locator("#app").is_hidden()

    # a wrong token is refused with a message
    page.fill("#token", "mw_wrong-token")
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#signin-error")).to_contain_text("令牌无效")

    # sign in
    page.fill("#token", world.tokens[STATION])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#alerts tbody tr[data-alert]")
    assert page.text_content("#org-name") == STATION
    assert page.evaluate("sessionStorage.getItem('markwatch.token')") == world.tokens[STATION]

    # watchlists, brands, alerts with their reasons, sorted by deadline
    assert "杭州重点商标" in page.text_content("#watchlists")
    assert {"康师傅", "雪碧"} <= set(page.locator("#brands tbody td:nth-child(2)").all_text_contents())
    rows = page.locator("#alerts tbody tr[data-alert]")
    texts = rows.all_text_contents()
    knockoff = next(i for i, t in enumerate(texts) if "康帅傅" in t)
    assert "康师傅" in texts[knockoff] and "字形" in texts[knockoff]  # a reason a clerk reads
    deadlines = [t[:10] for t in page.locator("#alerts tbody tr[data-alert] td:first-child").all_text_contents()]
    assert deadlines == sorted(deadlines)
    assert "共" in page.text_content("#alerts-total")

    # the chart: one line per brand, drawn as inline SVG
    page.wait_for_selector("#chart svg polyline")
    legend = " ".join(page.locator("#chart svg text.legend").all_text_contents())
    assert "康师傅" in legend and "雪碧" in legend

    # review: new -> reviewing, with a comment
    row = rows.nth(knockoff)
    alert_id = int(row.get_attribute("data-alert"))
    row.locator("select.status").select_option("reviewing")
    row.locator("input.comment").fill("已通知权利人核实")
    row.locator("button.save").click()
    expect(page.locator("#message")).to_contain_text("审查中")
    detail = svc.as_org(svc.authenticate(world.tokens[STATION])).alert(alert_id)
    assert detail["status"] == "reviewing" and detail["status_by"] == STATION
    assert detail["history"][-1]["comment"] == "已通知权利人核实"
    # the row is redrawn with the new status and the moves allowed from it
    redrawn = page.locator(f"#alerts tbody tr[data-alert='{alert_id}']")
    expect(redrawn.locator("select.status")).to_have_value("reviewing")
    expect(redrawn.locator("select.status option[value='opposition_filed']")).to_have_count(1)
    expect(redrawn).to_contain_text(STATION)

    # add a brand
    page.fill("#brand-form input[name=brand_id]", "HZ-0200")
    page.fill("#brand-form input[name=mark]", "加多宝")
    page.fill("#brand-form input[name=classes]", "32，30")
    page.fill("#brand-form input[name=aliases]", "JDB")
    page.click("#brand-form button[type=submit]")
    page.wait_for_selector("#brands tbody tr[data-brand='HZ-0200']")
    brand = svc.as_org(svc.authenticate(world.tokens[STATION])).brand(world.watchlist_a, "HZ-0200")
    assert brand["mark"] == "加多宝" and brand["classes"] == [30, 32] and brand["aliases"] == ["JDB"]

    # download the XLSX
    with page.expect_download() as dl:
        page.click("#export-xlsx")
    target = tmp_path / "alerts.xlsx"
    dl.value.save_as(target)
    from openpyxl import load_workbook

    cells = [c for row_ in load_workbook(io.BytesIO(target.read_bytes())).active.iter_rows(values_only=True)
             for c in row_]
    assert "预警编号" in cells and "康帅傅" in cells

    shots = Path(os.environ.get("MARKWATCH_SCREENSHOTS") or tmp_path)  # set it to keep the picture
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "clerk.png"), full_page=True)
    assert errors == []
    page.close()


@pytest.mark.browser
def test_subscriber_sees_alerts_but_no_brand_form(live, browser):
    from playwright.sync_api import expect

    world, base = live
    page = browser.new_page()
    page.goto(base + "/")
    page.fill("#token", world.tokens[ASSOCIATION])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#alerts tbody tr[data-alert]")
    assert "订阅" in page.text_content("#watchlists")
    assert page.locator("#brand-form").is_hidden()
    assert "雷碧" in page.text_content("#alerts")
    # the owner's review is shown, but only the owner sets it
    row = page.locator("#alerts tbody tr[data-alert]").first
    for control in ("select.status", "input.comment", "button.save"):
        expect(row.locator(control)).to_be_disabled()
    page.click("#signout")
    assert page.locator("#signin").is_visible()
    assert page.evaluate("sessionStorage.getItem('markwatch.token')") is None
    page.close()
