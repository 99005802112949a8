"""The clerk's web page: served locally (no CDN), and driven for real in headless Debian Chromium.

Set MARKWATCH_SCREENSHOTS to a folder to keep the pictures of the work queue and the alert page
(CI does); they are checked for Chinese drawn as real glyphs, not as boxes or blanks.
"""

from __future__ import annotations

import io
import os
import re
import struct
import threading
import zlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from markwatch.api import create_app
from markwatch.service.alerts import AlertFilter, due_window

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
    for src in re.findall(r'(?:src|href)="([^"#]+)"', r.text):
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


def shots_dir(tmp_path: Path) -> Path:
    shots = Path(os.environ.get("MARKWATCH_SCREENSHOTS") or tmp_path)  # set it to keep the pictures
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def open_page(browser, base: str, token: str | None = None, **options):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, **options)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/")
    if token:
        sign_in(page, token)
    return page, errors


def sign_in(page, token: str) -> None:
    page.fill("#token", token)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#alerts tbody tr[data-alert]")


def org(world, name: str):
    svc = world.svc
    return svc.as_org(svc.authenticate(world.tokens[name]))


def rows(page):
    return page.locator("#alerts tbody tr[data-alert]")


def ids_shown(page) -> list[int]:
    return [int(r.get_attribute("data-alert")) for r in rows(page).all()]


# ---------------------------------------------------------------- the work queue
@pytest.mark.browser
def test_alerts_come_first_with_a_work_queue_and_brands_on_their_own_tab(live, browser):
    from playwright.sync_api import expect

    world, base = live
    page, errors = open_page(browser, base)
    assert page.locator("#app").is_hidden()
    page.fill("#token", "mw_wrong-token")
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#signin-error")).to_contain_text("令牌无效")  # next to the sign-in form
    sign_in(page, world.tokens[STATION])
    assert page.text_content("#org-name") == STATION
    assert page.evaluate("sessionStorage.getItem('markwatch.token')") == world.tokens[STATION]

    # alerts first; the brands are on their own tab
    assert page.locator("#view-alerts").is_visible() and page.locator("#view-brands").is_hidden()
    assert page.get_attribute("#tab-alerts", "aria-selected") == "true"
    total = org(world, STATION).alerts(AlertFilter())["total"]
    expect(page.locator("#alerts-total")).to_have_text(f"共 {total} 条")
    expect(page.locator("#page")).to_contain_text(f"共 {total} 条")
    deadlines = [t[:10] for t in page.locator("#alerts tbody tr[data-alert] td:nth-child(2)").all_text_contents()]
    assert deadlines == sorted(deadlines)
    assert page.get_attribute("#alerts th[data-sort=deadline]", "aria-sort") == "ascending"

    # sortable columns: a click sorts, a second click reverses
    page.click("#alerts th[data-sort=mark] button")
    expect(page.locator("#alerts th[data-sort=mark]")).to_have_attribute("aria-sort", "ascending")
    want = [a["alert_id"] for a in org(world, STATION).alerts(AlertFilter(sort="mark"))["items"]]
    expect(rows(page).first).to_have_attribute("data-alert", str(want[0]))
    assert ids_shown(page) == want
    page.click("#alerts th[data-sort=mark] button")
    expect(page.locator("#alerts th[data-sort=mark]")).to_have_attribute("aria-sort", "descending")
    want = [a["alert_id"] for a in org(world, STATION).alerts(AlertFilter(sort="-mark"))["items"]]
    expect(rows(page).first).to_have_attribute("data-alert", str(want[0]))

    # filters: text, class, severity; 清除 brings everything back
    page.fill("#filters [name=q]", "帅")
    page.click("#filters button[type=submit]")
    expect(page.locator("#alerts-total")).not_to_have_text(f"共 {total} 条")
    assert rows(page).count() >= 1 and all("康帅傅" in t for t in rows(page).all_text_contents())
    page.click("#filters button[type=reset]")
    expect(page.locator("#alerts-total")).to_have_text(f"共 {total} 条")
    page.fill("#filters [name=class]", "32")
    page.click("#filters button[type=submit]")
    by_class = org(world, STATION).alerts(AlertFilter(mark_class=32))["total"]
    expect(page.locator("#alerts-total")).to_have_text(f"共 {by_class} 条")
    page.click("#filters button[type=reset]")
    page.select_option("#filters [name=brand_id]", "HZ-0003")
    expect(page.locator("#alerts-total")).to_have_text(
        f"共 {org(world, STATION).alerts(AlertFilter(brand_id='HZ-0003'))['total']} 条")
    assert all("雪碧" in t for t in rows(page).all_text_contents())
    page.click("#filters button[type=reset]")
    expect(page.locator("#alerts-total")).to_have_text(f"共 {total} 条")

    # due this week / this month: the deadlines from today to the end of the week or month
    today = world.svc.settings.today()
    for due in ("week", "month"):
        page.click(f".due-view[data-due={due}]")
        expect(page.locator(f".due-view[data-due={due}]")).to_have_attribute("aria-pressed", "true")
        start, end = due_window(due, today)
        expect(page.locator("#due-range")).to_have_text(f"截止日 {start.isoformat()} 至 {end.isoformat()}（新预警、审查中）")
        n = org(world, STATION).alerts(AlertFilter(due=due))["total"]
        expect(page.locator("#alerts-total")).to_have_text(f"共 {n} 条")
    page.click(".due-view[data-due='']")
    expect(page.locator("#alerts-total")).to_have_text(f"共 {total} 条")

    # the brands tab
    page.click("#tab-brands")
    expect(page.locator("#view-brands")).to_be_visible()
    assert page.locator("#view-alerts").is_hidden()
    assert "杭州重点商标" in page.text_content("#watchlists")
    expect(page.locator("#brands tbody tr[data-brand='HZ-0002']")).to_be_visible()
    assert {"康师傅", "雪碧"} <= set(page.locator("#brands tbody td:nth-child(2)").all_text_contents())
    # errors sit next to the form that caused them
    page.fill("#brand-form input[name=brand_id]", "HZ-0300")
    page.fill("#brand-form input[name=mark]", "加多宝")
    page.fill("#brand-form input[name=classes]", "99")
    page.click("#brand-form button[type=submit]")
    expect(page.locator("#brand-form #brand-error")).to_contain_text("类别应为 1–45")
    page.fill("#brand-form input[name=brand_id]", "HZ-0002")  # already on the list
    page.fill("#brand-form input[name=classes]", "32")
    page.click("#brand-form button[type=submit]")
    expect(page.locator("#brand-form #brand-error")).to_contain_text("已存在")
    page.fill("#brand-form input[name=brand_id]", "HZ-0300")
    page.fill("#brand-form input[name=classes]", "32，30")
    page.fill("#brand-form input[name=aliases]", "JDB")
    page.click("#brand-form button[type=submit]")
    page.wait_for_selector("#brands tbody tr[data-brand='HZ-0300']")
    expect(page.locator("#brand-form #brand-error")).to_have_text("")
    brand = org(world, STATION).brand(world.watchlist_a, "HZ-0300")
    assert brand["mark"] == "加多宝" and brand["classes"] == [30, 32] and brand["aliases"] == ["JDB"]
    page.click("#tab-alerts")
    expect(page.locator("#view-alerts")).to_be_visible()
    assert errors == []
    page.close()


@pytest.mark.browser
def test_bulk_review_export_and_no_stale_messages_across_organisations(live, browser, tmp_path):
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    world, base = live
    station = org(world, STATION)
    page, errors = open_page(browser, base, world.tokens[STATION], accept_downloads=True)
    items = station.alerts(AlertFilter())["items"]
    filed = next(a for a in items if a["mark"] == "雷碧")
    if filed["status"] != "opposition_filed":
        station.review(filed["alert_id"], "opposition_filed", "已提交异议")
    others = [a["alert_id"] for a in items if a["alert_id"] != filed["alert_id"] and a["status"] == "new"][:2]
    assert others
    page.reload()
    page.wait_for_selector("#alerts tbody tr[data-alert]")

    # a move not allowed for one of them refuses the set, with the reason next to the bulk form
    for alert_id in [filed["alert_id"], *others]:
        page.check(f"#alerts tbody tr[data-alert='{alert_id}'] input.pick")
    expect(page.locator("#bulk-count")).to_have_text(f"已选 {len(others) + 1} 条")
    page.select_option("#bulk [name=status]", "new")
    page.click("#bulk button[type=submit]")
    expect(page.locator("#bulk #bulk-error")).to_contain_text(str(filed["alert_id"]))
    assert station.alert(filed["alert_id"])["status"] == "opposition_filed"
    assert all(station.alert(i)["status"] == "new" for i in others)

    # the allowed move for the others, in one go
    page.uncheck(f"#alerts tbody tr[data-alert='{filed['alert_id']}'] input.pick")
    page.select_option("#bulk [name=status]", "reviewing")
    page.fill("#bulk [name=comment]", "批量转交法务")
    page.click("#bulk button[type=submit]")
    expect(page.locator("#bulk #bulk-status")).to_contain_text(f"已将 {len(others)} 条预警改为「审查中」")
    expect(page.locator("#bulk #bulk-error")).to_have_text("")
    for i in others:
        detail = station.alert(i)
        assert detail["status"] == "reviewing" and detail["history"][-1]["comment"] == "批量转交法务"
        expect(page.locator(f"#alerts tbody tr[data-alert='{i}'] td.status")).to_contain_text("审查中")
    expect(page.locator("#bulk-count")).to_have_text("已选 0 条")

    # the export: a dated file with the goods, the owner and the reviewer
    with page.expect_download() as dl:
        page.click("#export-xlsx")
    day = world.svc.settings.today().strftime("%Y%m%d")
    assert dl.value.suggested_filename == f"markwatch-alerts-{day}.xlsx"
    target = tmp_path / dl.value.suggested_filename
    dl.value.save_as(target)
    sheet = list(load_workbook(io.BytesIO(target.read_bytes())).active.iter_rows(values_only=True))
    header = sheet[0]
    assert {"预警编号", "商品/服务项目", "商标权利人", "监测商标类别", "处理人", "处理备注"} <= set(header)
    by_id = {row[0]: dict(zip(header, row)) for row in sheet[1:]}
    assert by_id[others[0]]["处理人"] == STATION and by_id[others[0]]["处理备注"] == "批量转交法务"
    expect(page.locator("#bulk-status")).to_contain_text("已下载")

    # the chart: alerts per month as bars with whole-number ticks, or per class
    page.wait_for_selector("#chart svg rect.bar")
    ticks = page.locator("#chart svg text.tick").all_text_contents()
    assert ticks and all(re.fullmatch(r"\d+", t) for t in ticks) and ticks[0] == "0"
    assert all(re.fullmatch(r"\d{4}年\d{1,2}月", t) for t in page.locator("#chart svg text.month").all_text_contents())
    page.select_option("#chart-by", "class")
    expect(page.locator("#chart svg text.label").first).to_contain_text("第")

    # another organisation signs in: nothing of the first one's messages, filters or selection is left
    page.fill("#filters [name=q]", "康")
    page.click("#signout")
    sign_in(page, world.tokens[ASSOCIATION])
    expect(page.locator("#org-name")).to_have_text(ASSOCIATION)
    assert page.text_content("#bulk-status") == "" and page.text_content("#bulk-error") == ""
    assert page.input_value("#filters [name=q]") == ""
    expect(page.locator("#bulk-count")).to_have_text("已选 0 条")
    assert "雷碧" in page.text_content("#alerts")
    assert errors == []
    page.close()


# ---------------------------------------------------------------- the alert page
@pytest.mark.browser
def test_the_alert_page_shows_both_marks_and_prints_on_one_page(live, browser, tmp_path):
    from playwright.sync_api import expect

    world, base = live
    station = org(world, STATION)
    page, errors = open_page(browser, base, world.tokens[STATION])
    alert = next(a for a in station.alerts(AlertFilter())["items"] if a["mark"] == "康帅傅")
    page.click(f"#alerts tbody tr[data-alert='{alert['alert_id']}'] a.open")
    expect(page.locator("#view-alert")).to_be_visible()
    expect(page.locator("#brand-mark")).to_have_text("康师傅")
    expect(page.locator("#new-mark")).to_have_text("康帅傅")
    assert page.locator("#view-alerts").is_hidden()
    brand_facts = page.text_content("#brand-facts")
    assert "HZ-0002" in brand_facts and "KANGSHIFU" in brand_facts
    mark_facts = page.text_content("#mark-facts")
    assert "90000001" in mark_facts and "某某食品有限公司" in mark_facts and "某某商标代理有限公司" in mark_facts
    goods = page.text_content("#goods-table")
    assert "★第30类" in goods and "方便面；饼干" in goods and "由商品名称对应" in goods
    deadline = page.text_content("#deadline-facts")
    assert "2026-09-20" in deadline and "1990" in deadline and alert["opposition_deadline"] in deadline
    if alert["deadline_note"]:
        assert alert["deadline_note"] in deadline
    reasons = page.locator("#alert-reasons li").all_text_contents()
    assert reasons == [r["detail"] for r in alert["reasons"]]

    # review: an unchanged save adds no history; a change does
    before = len(station.alert(alert["alert_id"])["history"])
    page.click("#review button[type=submit]")
    expect(page.locator("#review #review-status")).to_contain_text("未新增处理记录")
    assert len(station.alert(alert["alert_id"])["history"]) == before
    current = station.alert(alert["alert_id"])["status"]
    target = "reviewing" if current != "reviewing" else "opposition_filed"
    page.select_option("#review [name=status]", target)
    page.fill("#review [name=comment]", "已通知权利人核实")
    page.click("#review button[type=submit]")
    expect(page.locator("#review #review-status")).to_contain_text("已保存")
    assert len(station.alert(alert["alert_id"])["history"]) == before + 1
    expect(page.locator("#history tbody")).to_contain_text("已通知权利人核实")
    expect(page.locator("#history tbody")).to_contain_text(STATION)

    # the one-page report for the brand owner
    shots = shots_dir(tmp_path)
    page.screenshot(path=str(shots / "alert-page.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.locator("#review").is_hidden() and page.locator(".tabs").is_hidden()
    assert page.locator("#report").is_visible() and page.locator("#report-foot").is_visible()
    page.screenshot(path=str(shots / "alert-report.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    (shots / "alert-report.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    page.emulate_media(media="screen")
    page.click("#back")
    expect(page.locator("#view-alerts")).to_be_visible()
    assert errors == []
    page.close()


@pytest.mark.browser
def test_subscriber_sees_alerts_but_no_brand_form(live, browser):
    from playwright.sync_api import expect

    world, base = live
    page, _ = open_page(browser, base, world.tokens[ASSOCIATION])
    assert "雷碧" in page.text_content("#alerts")
    # the owner's review is shown, but only the owner sets it: no ticking for bulk review, no review form
    row = page.locator("#alerts tbody tr[data-alert]").first
    expect(row.locator("input.pick")).to_be_disabled()
    row.locator("a.open").click()
    expect(page.locator("#view-alert")).to_be_visible()
    for control in ("#review select", "#review input[name=comment]", "#review button[type=submit]"):
        expect(page.locator(control)).to_be_disabled()
    page.click("#back")
    page.click("#tab-brands")
    expect(page.locator("#watchlists")).to_contain_text("订阅")
    assert page.locator("#brand-form").is_hidden()
    page.click("#signout")
    assert page.locator("#signin").is_visible()
    assert page.evaluate("sessionStorage.getItem('markwatch.token')") is None
    page.close()


# ---------------------------------------------------------------- Chinese is drawn as glyphs
def png_ink(data: bytes) -> list[list[bool]]:
    """Which pixels of an 8-bit RGB(A) PNG are ink (darker than mid-grey): a small reader for screenshots."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows_, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows_.append([0.299 * line[x] + 0.587 * line[x + 1] + 0.114 * line[x + 2] < 128
                      for x in range(0, stride, channels)])
        prev = line
    return rows_


def glyph_cells(ink: list[list[bool]], n: int) -> list[set[tuple[int, int]]]:
    """The inked pixels of `n` equal cells across the ink's bounding box (one per character), each
    moved to its own top-left corner, so that the same shape drawn twice gives the same set."""
    points = [(x, y) for y, row in enumerate(ink) for x, v in enumerate(row) if v]
    assert points, "no ink at all: the text was not drawn"
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points) + 1
    w = (x1 - x0) / n
    cells: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for x, y in points:
        cells[min(n - 1, int((x - x0) / w))].append((x, y))
    out = []
    for cell in cells:
        cx, cy = min((p[0] for p in cell), default=0), min((p[1] for p in cell), default=0)
        out.append({(x - cx, y - cy) for x, y in cell})
    return out


def overlap(a: set, b: set) -> float:
    return len(a & b) / max(1, len(a | b))


@pytest.mark.browser
def test_screenshots_show_chinese_as_glyphs(live, browser, tmp_path):
    """CI screenshots once showed a box for every Chinese character: the characters of 康师傅 and
    康帅傅 must be drawn, each with its own shape (boxes or blanks would all look alike)."""
    world, base = live
    page, errors = open_page(browser, base, world.tokens[STATION])
    shots = shots_dir(tmp_path)
    page.screenshot(path=str(shots / "work-queue.png"), full_page=True)
    alert = next(a for a in org(world, STATION).alerts(AlertFilter())["items"] if a["mark"] == "康帅傅")
    page.click(f"#alerts tbody tr[data-alert='{alert['alert_id']}'] a.open")
    page.wait_for_selector("#brand-mark:has-text('康师傅')")
    hint = "no CJK font: bash scripts/ci_services.sh installs fonts-wqy-microhei"
    brand = glyph_cells(png_ink(page.locator("#brand-mark").screenshot()), 3)
    mark = glyph_cells(png_ink(page.locator("#new-mark").screenshot()), 3)
    assert all(len(c) > 20 for c in brand + mark), hint  # every character has ink
    for cells in (brand, mark):  # three characters, three shapes: not one box thrice
        assert max(overlap(cells[i], cells[j]) for i, j in ((0, 1), (0, 2), (1, 2))) < 0.75, hint
    assert overlap(brand[0], mark[0]) > 0.9, hint  # 康 is drawn the same in both
    assert overlap(brand[1], mark[1]) < 0.75, hint  # 师 and 帅 differ
    assert errors == []
    page.close()


# ---------------------------------------------------------------- 商标检索: by words and by picture
@pytest.mark.browser
def test_the_search_tab_finds_a_copied_logo_by_upload_and_words_only_in_a_picture(browser, tmp_path):
    import uvicorn

    from markwatch.composition import Engines, build_matcher

    from .test_images import _job, _service, load_marks, needs_images

    if needs_images.args[0]:
        pytest.skip(needs_images.kwargs["reason"])
    gazette, _ = _job(tmp_path, load_marks())
    svc = _service(tmp_path, Engines.of(build_matcher()))
    _, token = svc.create_org("图形检索站")
    (summary,) = svc.ingest([gazette])  # reads the pictures and adds them to the picture indexes
    assert summary.images_read == 3
    svc.update_register_index()  # the nightly cycle's job, before anyone searches words
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(svc), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: server.started, timeout=20)
        page, errors = open_page(browser, f"http://127.0.0.1:{port}")
        page.fill("#token", token)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#app:not([hidden])")
        page.click("#tab-search")
        page.wait_for_selector("#view-search:not([hidden])")
        # the brand's logo, uploaded: the gazette's turned and inverted copy comes first
        page.set_input_files("#picture-form [name=file]", str(tmp_path / "img" / "brand-logo.png"))
        page.fill("#picture-form [name=classes]", "30")
        page.click("#picture-form button[type=submit]")
        copy = page.locator("#search-results tbody tr[data-application='1']")
        copy.wait_for()
        first = page.locator("#search-results tbody tr").first
        assert first.get_attribute("data-application") == "1"
        assert copy.locator(".found-in").text_content().startswith("图形近似")
        assert "图形" in copy.text_content()  # the figurative mark is named by its type
        assert "比对了 3 件商标图样" in page.text_content("#search-status")
        assert page.locator("#query-picture").evaluate("i => i.complete && i.naturalWidth > 0")
        page.screenshot(path=str(shots_dir(tmp_path) / "search-by-picture.png"))
        # words: 康师傅 finds the combined mark whose words 康帅傅 are only in its picture
        page.fill("#search-form [name=mark]", "康师傅")
        page.fill("#search-form [name=classes]", "30")
        page.click("#search-form button[type=submit]")
        words = page.locator("#search-results tbody tr[data-application='3']")
        words.wait_for()
        assert words.locator(".found-in").text_content() == "图中文字"
        assert "图中文字“康帅傅”" in words.text_content()
        assert "含图中文字" in page.text_content("#search-status")
        page.screenshot(path=str(shots_dir(tmp_path) / "search-by-words.png"))
        assert errors == []
        page.close()
    finally:
        server.should_exit = True
        thread.join(10)
        svc.db.dispose()
