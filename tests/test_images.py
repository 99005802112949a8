"""Figurative and combined marks: image references and the image folder, Vienna codes, the picture
features (OCR, pHash, embedding), the image channel's rule, a run that alerts on a copied logo and on
a combined mark whose words are only in its picture, `compare` with images, and life without the extra."""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from markwatch.config import Settings
from markwatch.errors import MissingExtra, RecordError
from markwatch.images.features import PictureFeatures, available, cosine, hash_distance
from markwatch.images.refs import ImageStore, load_ref, parse_ref, sniff_format, store_ref
from markwatch.images.vienna import parse_codes, shared
from markwatch.matching.comparisons.image import (
    EMBED_FLOOR,
    NOT_COMPARED,
    SCORE_AT_FLOOR,
    WORDS_DIFFER_CAP,
    Figure,
    image_evidence,
    picture_score,
)
from markwatch.service.facade import Service
from markwatch.sources.fields import gazette_record_from_mapping

ROOT = Path(__file__).resolve().parents[1]
needs_images = pytest.mark.skipif(not available(), reason="needs the images extra (markwatch[images])")


def load_marks():
    """scripts/image_marks.py: the synthetic marks (Pillow and a CJK font)."""
    if "image_marks" in sys.modules:
        return sys.modules["image_marks"]
    spec = importlib.util.spec_from_file_location("image_marks", ROOT / "scripts" / "image_marks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["image_marks"] = module
    spec.loader.exec_module(module)
    return module


def png_bytes(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def vec(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return (v / np.linalg.norm(v))[None, :]


# ---------------------------------------------------------------- references and the folder (no extra needed)
def test_references_parse_files_urls_and_pdf_regions():
    assert parse_ref("img/1.png").location == "img/1.png"
    ref = parse_ref("pages/p12.pdf#page=3&box=72,90,260,280.5")
    assert (ref.location, ref.page, ref.box) == ("pages/p12.pdf", 3, (72.0, 90.0, 260.0, 280.5))
    assert ref.region == "page=3&box=72,90,260,280.5"
    assert parse_ref("https://example.org/m/1.jpg").is_url
    for bad in ("", "p.pdf#page=0", "p.pdf#box=10,10,5,5", "p.pdf#zoom=2", "#page=1"):
        with pytest.raises(RecordError):
            parse_ref(bad)


def test_formats_are_told_by_their_first_bytes():
    assert sniff_format(b"\x89PNG\r\n\x1a\n....") == "png"
    assert sniff_format(b"\xff\xd8\xff\xe0") == "jpeg"
    assert sniff_format(b"GIF89a") == "gif"
    assert sniff_format(b"II*\x00") == "tiff"
    assert sniff_format(b"BM....") == "bmp"
    assert sniff_format(b"%PDF-1.7") == "pdf"
    assert sniff_format(b"<svg") is None


def test_the_store_names_files_by_content_and_keeps_one_copy(tmp_path):
    (tmp_path / "in").mkdir()
    data = b"\x89PNG\r\n\x1a\n" + b"x" * 100
    (tmp_path / "in" / "a.png").write_bytes(data)
    (tmp_path / "in" / "b.png").write_bytes(data)
    store = ImageStore(tmp_path / "images")
    a = store_ref(store, "a.png", tmp_path / "in")
    b = store_ref(store, "b.png", tmp_path / "in")
    assert a == b and a.file.startswith(a.sha256[:2] + "/") and a.file.endswith(".png")
    assert store.read(a.file) == data
    assert len(list((tmp_path / "images").rglob("*.png"))) == 1
    with pytest.raises(RecordError, match="图样格式不支持"):
        store.put(b"<svg/>")
    with pytest.raises(RecordError, match="仅 PDF"):
        store.put(data, region="page=1")
    with pytest.raises(RecordError, match="无法读取"):
        load_ref(parse_ref("missing.png"), tmp_path)
    with pytest.raises(RecordError, match="网址"):
        load_ref(parse_ref("https://example.org/x.png"), tmp_path)


def test_vienna_codes_are_read_in_every_spelling_and_shared_by_section_and_division():
    assert parse_codes("03.07.01; 3.7.2 260405, 3.7.1.5") == ("3.7.1", "3.7.2", "26.4.5")
    assert parse_codes(["26.01.01"]) == ("26.1.1",)
    with pytest.raises(RecordError):
        parse_codes("33.1.1")
    assert shared(["3.7.1", "26.4.5"], ["3.7.2", "26.4.5"]) == (("26.4.5",), ("3.7",))


def test_gazette_records_and_brands_carry_images_and_vienna_codes():
    rec = gazette_record_from_mapping({"申请号": "1", "商标": "", "商标类型": "组合", "国际分类": "30",
                                       "商标图样": "img/1.png", "图形要素编码": "03.07.01;26.01.01"})
    assert (rec.mark_type, rec.image, rec.vienna_codes) == ("combined", "img/1.png", ("3.7.1", "26.1.1"))
    with pytest.raises(RecordError, match="缺少商标文字"):  # a combined mark without words needs its image
        gazette_record_from_mapping({"application_no": "1", "mark_type": "combined", "classes": [30]})
    from markwatch.sources.watchlists import parse_brand_mapping

    brand = parse_brand_mapping({"brand_id": "B1", "mark": "星河", "logo": "logos/b1.png", "vienna": ["3.7.1"]})
    assert (brand.logo, brand.vienna_codes) == ("logos/b1.png", ("3.7.1",))


ST96 = """<?xml version="1.0" encoding="UTF-8"?>
<tmk:TrademarkTransaction xmlns:tmk="http://www.wipo.int/standards/XMLSchema/ST96/Trademark"
    xmlns:com="http://www.wipo.int/standards/XMLSchema/ST96/Common">
 <tmk:TrademarkBag><tmk:Trademark>
  <com:ApplicationNumber><com:ApplicationNumberText>80000001</com:ApplicationNumberText></com:ApplicationNumber>
  <tmk:MarkCategory>Combined</tmk:MarkCategory>
  <tmk:MarkRepresentation><tmk:MarkReproduction><tmk:WordMarkSpecification>
   <tmk:MarkVerbalElementText>星河</tmk:MarkVerbalElementText></tmk:WordMarkSpecification>
   <tmk:MarkImageBag><tmk:MarkImage><com:FileName>80000001.jpg</com:FileName>
    <tmk:MarkImageCategory><tmk:CategoryCodeBag><tmk:CategoryCode>03.07.01</tmk:CategoryCode>
     <tmk:CategoryCode>26.01.01</tmk:CategoryCode></tmk:CategoryCodeBag></tmk:MarkImageCategory>
   </tmk:MarkImage></tmk:MarkImageBag></tmk:MarkReproduction></tmk:MarkRepresentation>
  <tmk:GoodsServicesBag><tmk:GoodsServices><tmk:ClassDescriptionBag><tmk:ClassDescription>
   <tmk:ClassNumber>30</tmk:ClassNumber></tmk:ClassDescription></tmk:ClassDescriptionBag></tmk:GoodsServices>
  </tmk:GoodsServicesBag>
 </tmk:Trademark></tmk:TrademarkBag>
</tmk:TrademarkTransaction>
"""


def test_st96_mark_image_and_its_vienna_codes(tmp_path):
    from markwatch.sources.files import read_gazette_file

    path = tmp_path / "g.xml"
    path.write_text(ST96, encoding="utf-8")
    (item,) = list(read_gazette_file(path))
    assert item.error is None, item.error
    assert (item.record.image, item.record.vienna_codes) == ("80000001.jpg", ("3.7.1", "26.1.1"))


# ---------------------------------------------------------------- the rule (vectors made by hand: no model)
def test_the_image_rule_scores_pictures_vienna_codes_and_holds_back_when_words_differ():
    a = PictureFeatures("a", vectors=vec(1, 0, 0), hashes=(0,))
    near = PictureFeatures("b", vectors=vec(1, 0.05, 0), hashes=(0b111,))
    other = PictureFeatures("c", vectors=vec(0, 1, 0), hashes=(2**64 - 1,))
    assert hash_distance(a, near) == 3 and cosine(a, other) == pytest.approx(0.0)
    assert picture_score(EMBED_FLOOR - 0.01) == 0 and picture_score(EMBED_FLOOR) == pytest.approx(SCORE_AT_FLOOR)
    brand = Figure(picture=a, vienna=("3.7.1",), image=True)
    found, notes = image_evidence(brand, Figure(picture=near, vienna=("3.7.1",), image=True))
    details = [e.reason.detail for e in found]
    assert details[0] == "图形几乎相同（感知哈希相差 3/64 位）" and "图形要素相同 3.7.1" in details and not notes
    found, _ = image_evidence(brand, Figure(picture=other, vienna=("3.7.2",), image=True))
    assert [e.reason.detail for e in found] == ["图形要素同类 3.7"]  # a division alone stays below the threshold
    assert found[0].score < SCORE_AT_FLOOR
    worded = Figure(picture=a, image=True, words=True)
    found, _ = image_evidence(worded, Figure(picture=near, image=True, words=True), words_score=0.2)
    assert found[0].score == WORDS_DIFFER_CAP and "文字不同" in found[0].reason.detail
    found, _ = image_evidence(worded, Figure(picture=near, image=True, words=True), words_score=0.9)
    assert found[0].score > SCORE_AT_FLOOR
    found, notes = image_evidence(brand, Figure(image=True))  # read on one side only: the extra is missing
    assert [n.detail for n in notes] == [NOT_COMPARED[0]]


# ---------------------------------------------------------------- pictures read with the models
@pytest.fixture(scope="module")
def reader():
    if not available():
        pytest.skip("needs the images extra (markwatch[images])")
    from markwatch.images.features import PictureReader

    return PictureReader()


@needs_images
def test_copies_meet_their_logo_and_unrelated_logos_do_not(reader):
    marks = load_marks()
    brand = reader.read(marks.logo(3, None), views=True, ocr=False)
    for name in ("rotate180", "mirror", "crop10", "scale_down"):  # scripts/image_eval.py measures them all
        copy = reader.read(marks.TRANSFORMS[name](marks.logo(3, None)), ocr=False)
        assert cosine(brand, copy) >= EMBED_FLOOR, name
    for seed in (41, 42):
        assert cosine(brand, reader.read(marks.logo(seed, None), ocr=False)) < EMBED_FLOOR


@needs_images
def test_words_in_a_picture_are_read_and_pdf_regions_and_formats_decode_alike(reader, tmp_path):
    import pypdfium2 as pdfium
    from PIL import Image

    from markwatch.images.decode import open_picture

    marks = load_marks()
    img = marks.logo(5, "康帅傅")
    base = reader.read(img, views=True)
    assert base.words and base.words[0][0] == "康帅傅" and base.words[0][1] > 0.9
    for fmt in ("JPEG", "GIF", "TIFF", "BMP"):
        buf = io.BytesIO()
        img.save(buf, fmt)
        assert cosine(base, reader.read(open_picture(buf.getvalue()), ocr=False)) > 0.95, fmt
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(400, 600)
    placed = pdfium.PdfImage.new(pdf)
    placed.set_bitmap(pdfium.PdfBitmap.from_pil(img))
    placed.set_matrix(pdfium.PdfMatrix().scale(200, 200).translate(100, 300))
    page.insert_obj(placed)
    page.gen_content()
    pdf.save(tmp_path / "page.pdf")
    region = open_picture((tmp_path / "page.pdf").read_bytes(), "page=1&box=100,100,300,300")
    assert isinstance(region, Image.Image)
    assert cosine(base, reader.read(region, ocr=False)) > 0.95
    with pytest.raises(RecordError, match="页码"):
        open_picture((tmp_path / "page.pdf").read_bytes(), "page=2")


@needs_images
def test_logos_differing_only_in_their_words_embed_alike_and_go_to_the_words(reader, tmp_path, engines):
    """The embedding cannot read; the words decide (comparisons/image.py rule 3)."""
    marks = load_marks()
    (tmp_path / "a.png").write_bytes(png_bytes(marks.with_words(8, "星河湾")))
    (tmp_path / "b.png").write_bytes(png_bytes(marks.with_words(8, "龙凤阁")))
    a = reader.read(marks.with_words(8, "星河湾"), views=True, ocr=False)
    b = reader.read(marks.with_words(8, "龙凤阁"), ocr=False)
    assert cosine(a, b) >= EMBED_FLOOR
    match = _service(tmp_path, engines).compare("星河湾", "", brand_classes=[30], candidate_classes=[30],
                            brand_image=str(tmp_path / "a.png"), candidate_image=str(tmp_path / "b.png"))
    assert not match.similar
    assert any("文字不同" in r.detail for r in match.reasons)


# ---------------------------------------------------------------- the whole job
def _job(tmp_path: Path, marks) -> tuple[Path, Path]:
    img = tmp_path / "img"
    img.mkdir()
    marks.logo(7, None).save(img / "brand-logo.png")
    marks.TRANSFORMS["rotate90"](marks.TRANSFORMS["invert"](marks.logo(7, None))).save(img / "copy.png")
    marks.logo(99, None).save(img / "other.png")
    marks.word_picture("康帅傅").save(img / "words.jpg", "JPEG", quality=90)
    rows = [
        {"application_no": "1", "mark": "", "mark_type": "图形", "classes": [30], "goods": ["方便面"],
         "image": "img/copy.png", "publication_date": "2026-10-20", "vienna_codes": "26.1.1"},
        {"application_no": "2", "mark": "", "mark_type": "figurative", "classes": [30], "goods": ["方便面"],
         "image": "img/other.png", "publication_date": "2026-10-20"},
        {"application_no": "3", "mark": "", "mark_type": "combined", "classes": [30], "goods": ["方便面"],
         "image": "img/words.jpg", "publication_date": "2026-10-20"},
        {"application_no": "4", "mark": "青山绿水", "classes": [30], "goods": ["茶"], "publication_date": "2026-10-20",
         "image": "img/missing.png"},
    ]
    gazette = tmp_path / "gazette.jsonl"
    gazette.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    watchlist = tmp_path / "watch.yaml"
    watchlist.write_text("watchlist: 图形监测\norganisation: 测试站\nbrands:\n"
                         "  - {brand_id: B1, mark: 星河, classes: [30], logo: img/brand-logo.png, vienna_codes: [26.1.1]}\n"
                         "  - {brand_id: B2, mark: 康师傅, classes: [30]}\n", encoding="utf-8")
    return gazette, watchlist


@pytest.fixture(scope="module")
def engines():
    from markwatch.composition import Engines, build_matcher

    return Engines.of(build_matcher())


def _service(tmp_path: Path, engines) -> Service:
    return Service(settings=Settings(database_url=f"sqlite:///{tmp_path}/mw.db", index_dir=tmp_path / "indexes",
                                     export_dir=tmp_path / "exports", image_dir=tmp_path / "images"),
                   engines=engines)


@needs_images
def test_a_run_alerts_on_a_copied_logo_and_on_words_only_in_the_picture(tmp_path, engines):
    from sqlalchemy import func, select

    from markwatch.store.tables import GazetteMark, ImageFeatures

    gazette, watchlist = _job(tmp_path, load_marks())
    svc = _service(tmp_path, engines)
    (summary,) = svc.ingest([gazette])
    assert (summary.stored, summary.images, summary.images_read) == (4, 3, 3)
    assert summary.image_errors and "line 4" in summary.image_errors[0]  # stored without its image
    assert svc.import_watchlists([watchlist]).errors == []
    svc.run()
    alerts = {(a["brand_id"], a["application_no"]): a for a in svc.alerts()}
    assert set(alerts) == {("B1", "1"), ("B2", "3")}
    logo = [r["detail"] for r in alerts[("B1", "1")]["reasons"]]
    assert logo[0].startswith(("图形几乎相同", "图形近似")) and "图形要素相同 26.1.1" in logo
    words = [r["detail"] for r in alerts[("B2", "3")]["reasons"]]
    assert words[0].startswith("图中文字“康帅傅”（识别置信度") and "康师傅" in words[0]
    with svc.db.session() as s:
        stored = s.scalar(select(GazetteMark).where(GazetteMark.application_no == "1"))
        assert stored.image_ref == "img/copy.png" and len(stored.image_sha256) == 64
        assert (tmp_path / "images" / stored.image_file).exists()
        before = s.scalar(select(func.count()).select_from(ImageFeatures))
    assert svc.run().alerts_new == 0
    with svc.db.session() as s:  # every picture read once: 3 marks, 1 logo in views
        assert s.scalar(select(func.count()).select_from(ImageFeatures)) == before == 4
    svc.db.dispose()


def test_without_the_extra_images_are_stored_and_said_not_compared(tmp_path, monkeypatch, engines):
    pytest.importorskip("PIL")  # only to draw the test's pictures
    from markwatch.service import pictures as pictures_module

    monkeypatch.setattr("markwatch.images.features.available", lambda: False)
    gazette, watchlist = _job(tmp_path, load_marks())
    svc = _service(tmp_path, engines)
    assert svc.pictures.read_features is False
    (summary,) = svc.ingest([gazette])
    assert (summary.stored, summary.images, summary.images_read) == (4, 3, 0)
    svc.import_watchlists([watchlist])
    svc.run()
    assert svc.alerts() == []  # nothing to compare the pictures with, nothing fails
    match = svc.compare("星河", "", brand_classes=[30], candidate_classes=[30],
                        brand_image=str(tmp_path / "img" / "brand-logo.png"),
                        candidate_image=str(tmp_path / "img" / "copy.png"),
                        brand_vienna=["26.1.1"], candidate_vienna=["26.01.01"])
    details = [r.detail for r in match.reasons]
    assert NOT_COMPARED[0] in details and "图形要素相同 26.1.1" in details
    assert pictures_module.PICTURE_TYPES == ("figurative", "combined")
    svc.db.dispose()


def test_a_missing_model_package_names_the_extra(monkeypatch):
    from markwatch.images import features

    real = importlib.import_module

    def refuse(name, *args):
        if name == "rapidocr_onnxruntime":
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", refuse)
    monkeypatch.setattr(features, "_MODELS", {})
    with pytest.raises(MissingExtra, match=r"markwatch\[images\]"):
        features.PictureReader()._reader()


@needs_images
def test_compare_on_the_command_line_reads_the_candidates_picture(tmp_path, engines, monkeypatch):
    from typer.testing import CliRunner

    from markwatch.cli import app, common

    load_marks().word_picture("康帅傅").save(tmp_path / "words.png")
    monkeypatch.setattr(common, "service", lambda: _service(tmp_path, engines))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["compare", "康师傅", "", "--brand-classes", "30", "--candidate-classes", "30",
                                      "--candidate-image", "words.png", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["similar"] and out["reasons"][0]["detail"].startswith("图中文字“康帅傅”")


@needs_images
def test_the_labelled_pairs_keep_their_precision_and_recall(engines):
    """A sample of tests/data/image_pairs.jsonl (scripts/image_eval.py prints the whole set's figures)."""
    spec = importlib.util.spec_from_file_location("image_eval", ROOT / "scripts" / "image_eval.py")
    ev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ev)
    pairs = ev.read_pairs(ROOT / "tests" / "data" / "image_pairs.jsonl")
    groups = {p["group"].split(":")[0] for p in pairs}
    assert groups == {"copy", "unrelated", "words_only", "words_in_picture", "words_in_picture_unrelated"}
    sample = [p for p in pairs if p["id"] % 16 == 1]
    report = ev.evaluate_pairs(sample, engines.matcher)
    assert report["precision"] >= 0.9 and report["recall"] >= 0.9, report["wrong"]


@needs_images
def test_search_by_image_finds_the_copy_in_the_register(tmp_path, engines):
    gazette, watchlist = _job(tmp_path, load_marks())
    svc = _service(tmp_path, engines)
    svc.ingest([gazette])
    answer = svc.search_image(str(tmp_path / "img" / "brand-logo.png"), classes=[30], top=3)
    assert answer["index_pictures"] == 3 and answer["pictures_not_indexed"] == 0  # ingest updated the index
    first = answer["results"][0]
    assert first["application_no"] == "1" and first["reasons"][0]["kind"] == "image"
    assert all(r["application_no"] != "3" or r["score"] < first["score"] for r in answer["results"])
    svc.db.dispose()


@needs_images
def test_search_by_image_on_the_command_line_and_words_in_pictures_in_its_text_search(tmp_path, engines, monkeypatch):
    from typer.testing import CliRunner

    from markwatch.cli import app, common

    gazette, _ = _job(tmp_path, load_marks())
    svc = _service(tmp_path, engines)
    svc.ingest([gazette])
    svc.update_register_index()
    monkeypatch.setattr(common, "service", lambda: svc)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["search", "--image", "img/brand-logo.png", "--classes", "30", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["results"][0]["application_no"] == "1" and answer["index_pictures"] == 3
    table = CliRunner().invoke(app, ["search", "--image", "img/brand-logo.png", "--classes", "30"])
    assert "picture index of 3 pictures" in table.stdout
    text = CliRunner().invoke(app, ["search", "康师傅", "--classes", "30"])
    assert text.exit_code == 0 and "图中文字" in text.stdout  # the found-in column: 康帅傅 read in mark 3's picture
    missing = CliRunner().invoke(app, ["search", "--image", "img/nothing.png"])
    assert missing.exit_code != 0 and "error" in missing.output and "Traceback" not in missing.output
    svc.db.dispose()


@needs_images
def test_an_alert_shows_both_pictures_through_the_api_and_on_the_page(tmp_path, engines):
    import threading

    import uvicorn
    from fastapi.testclient import TestClient

    from markwatch.api import create_app

    from .servicekit import free_port, wait_for

    gazette, watchlist = _job(tmp_path, load_marks())
    text = watchlist.read_text(encoding="utf-8").replace("organisation: 测试站", "organisation: 图形测试站")
    watchlist.write_text(text, encoding="utf-8")
    svc = _service(tmp_path, engines)
    _, token = svc.create_org("图形测试站")
    _, other = svc.create_org("另一指导站")
    svc.ingest([gazette])
    svc.import_watchlists([watchlist])
    svc.run()
    alert = next(a for a in svc.alerts() if a["brand_id"] == "B1")
    assert alert["mark_image"] and alert["brand_logo"]
    client = TestClient(create_app(svc))
    for side in ("mark", "logo"):
        r = client.get(f"/api/v1/alerts/{alert['alert_id']}/image/{side}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content[:4] == b"\x89PNG"
        r = client.get(f"/api/v1/alerts/{alert['alert_id']}/image/{side}", headers={"Authorization": f"Bearer {other}"})
        assert r.status_code == 404  # another organisation's alert
    chromium = Path("/usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    if not chromium.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(svc), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: server.started, timeout=20)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=[
                "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/")
            page.fill("#token", token)
            page.click("#signin-form button[type=submit]")
            row = page.locator(f"#alerts tbody tr[data-alert='{alert['alert_id']}']")
            row.wait_for()
            for side in ("logo", "mark"):
                img = row.locator(f"img.picture-{side}")
                img.wait_for()
                assert wait_for(lambda img=img: img.evaluate("i => i.complete && i.naturalWidth > 0"), timeout=10)
            assert "图形" in row.text_content()
            page.screenshot(path=str(tmp_path / "alert-pictures.png"))
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
        svc.db.dispose()
