"""Remote gazette sources against a local http.server: conditional requests (ETag, Last-Modified, 304),
listings (JSON and HTML), each file taken once; and the drop folder."""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from markwatch.sources.remote import DropFolderSource, HttpSource, listing_urls, pull_sources
from markwatch.store.tables import GazetteMark, SourceCheckpoint

from .servicekit import GAZETTE, MORE_KNOCKOFFS, LocalServer, make_service, write_jsonl


def jsonl(records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def xlsx(records, path: Path) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["申请号", "商标", "类别", "申请人", "初审公告日", "公告期号"])
    for r in records:
        ws.append([r["application_no"], r["mark"], ",".join(map(str, r["classes"])), r["applicant"],
                   r["publication_date"], r["gazette_issue"]])
    wb.save(path)
    return path.read_bytes()


class Site:
    """Files with validators; honours If-None-Match and If-Modified-Since like a real web server."""

    def __init__(self, validators: bool = True):
        self.files: dict[str, tuple[bytes, str, str, str]] = {}
        self.validators = validators
        self.fail: set[str] = set()
        self.slow: dict[str, float] = {}
        self.server = LocalServer(self._handle).start()

    def put(self, path: str, body: bytes, ctype: str = "application/octet-stream") -> None:
        version = len([p for p in self.files if p == path]) + int(time.time() * 1000)
        self.files[path] = (body, f'"{path}-{version}"', formatdate(time.time() - 3600, usegmt=True), ctype)

    def url(self, path: str) -> str:
        return self.server.url + path

    def _handle(self, _server, req):
        if req.path in self.slow:
            time.sleep(self.slow.pop(req.path))
        if req.path in self.fail:
            return 500, {}, b"oops"
        if req.path not in self.files:
            return 404, {}, b"not found"
        body, etag, modified, ctype = self.files[req.path]
        headers = {"Content-Type": ctype}
        if self.validators:
            headers.update({"ETag": etag, "Last-Modified": modified})
            if req.headers.get("If-None-Match") == etag or (
                    "If-None-Match" not in req.headers and req.headers.get("If-Modified-Since") == modified):
                return 304, headers, b""
        return 200, headers, body

    def hits(self, path: str) -> list[int]:
        return [r.status for r in self.server.requests if r.path == path]


@pytest.fixture
def site():
    s = Site()
    yield s
    s.server.stop()


def _marks(svc) -> int:
    with svc.db.session() as s:
        return s.scalar(select(func.count(GazetteMark.id))) or 0


def test_single_file_url_is_taken_once_with_conditional_requests(tmp_path, site):
    site.put("/gazette/2004.jsonl", jsonl(GAZETTE), "application/x-ndjson")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(site.url("/gazette/2004.jsonl"),))
    first = svc.pull()
    assert first.errors == [] and len(first.files) == 1 and first.marks_ingested == len(GAZETTE)
    stored = Path(first.files[0].path)
    assert stored.is_file() and stored.is_relative_to(tmp_path / "downloads") and stored.name.endswith("2004.jsonl")
    second = svc.pull()
    assert second.files == [] and second.not_modified == 1
    req = site.server.requests[-1]
    assert req.headers["If-None-Match"] == site.files["/gazette/2004.jsonl"][1]
    assert req.headers["If-Modified-Since"] == site.files["/gazette/2004.jsonl"][2]
    assert site.hits("/gazette/2004.jsonl") == [200, 304]
    # the publisher corrects the file: a new ETag, so it is taken again; only new marks are stored
    site.put("/gazette/2004.jsonl", jsonl(GAZETTE + MORE_KNOCKOFFS[:1]), "application/x-ndjson")
    third = svc.pull()
    assert len(third.files) == 1 and third.files[0].stored == 1 and third.files[0].duplicates == len(GAZETTE)
    assert _marks(svc) == len(GAZETTE) + 1


def test_json_listing_takes_each_file_once(tmp_path, site):
    site.put("/gazette/2004.jsonl", jsonl(GAZETTE[:2]))
    site.put("/gazette/2005.xlsx", xlsx(GAZETTE[2:], tmp_path / "g.xlsx"))
    site.put("/index.json", json.dumps(["gazette/2004.jsonl", site.url("/gazette/2005.xlsx")]).encode(),
             "application/json")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(site.url("/index.json"),))
    first = pull_sources(svc)
    assert first.errors == [] and sorted(Path(f.item).name for f in first.files) == ["2004.jsonl", "2005.xlsx"]
    assert _marks(svc) == len(GAZETTE)
    second = pull_sources(svc)
    assert second.files == [] and second.not_modified == 1  # the listing itself answered 304
    assert site.hits("/gazette/2004.jsonl") == [200]
    # a new issue appears in the listing: only it is fetched; the others answer 304
    site.put("/gazette/2006.jsonl", jsonl(MORE_KNOCKOFFS))
    site.put("/index.json", json.dumps(["gazette/2004.jsonl", "gazette/2005.xlsx", "gazette/2006.jsonl"]).encode(),
             "application/json")
    third = pull_sources(svc)
    assert [Path(f.item).name for f in third.files] == ["2006.jsonl"] and third.not_modified == 2
    assert site.hits("/gazette/2004.jsonl") == [200, 304] and site.hits("/gazette/2006.jsonl") == [200]
    assert _marks(svc) == len(GAZETTE) + len(MORE_KNOCKOFFS)


def test_html_listing_follows_links_to_gazette_files_only(tmp_path, site):
    site.put("/files/2004.jsonl", jsonl(GAZETTE))
    site.put("/files/2005.csv", "申请号,商标,类别,申请人,初审公告日,公告期号\n90000021,雷碧,32,丙饮料厂,2026-10-27,2005\n"
             .encode("gbk"), "text/csv")
    html = """<!doctype html><html><head><meta charset="utf-8"><title>初步审定公告</title></head><body>
      <a href="../files/2004.jsonl">第2004期</a> <a href="/files/2005.csv">第2005期</a>
      <a href="/files/说明.pdf">说明</a> <a href="https://example.org/">外部</a> <a href="#top">顶部</a>
    </body></html>"""
    site.put("/announcements/", html.encode("utf-8"), "text/html; charset=utf-8")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(site.url("/announcements/"),))
    summary = svc.pull()
    assert summary.errors == [] and sorted(Path(f.item).name for f in summary.files) == ["2004.jsonl", "2005.csv"]
    assert _marks(svc) == len(GAZETTE) + 1
    assert "/files/%E8%AF%B4%E6%98%8E.pdf" not in [r.path for r in site.server.requests]


def test_listing_parser():
    base = "https://gazette.example.cn/list/"
    assert listing_urls(base, b'["a.jsonl", "/b.xml"]', "application/json") == [
        "https://gazette.example.cn/list/a.jsonl", "https://gazette.example.cn/b.xml"]
    assert listing_urls(base, b'{"files": ["c.csv"]}', "application/json") == ["https://gazette.example.cn/list/c.csv"]
    assert listing_urls(base, b'<html><a href="x.xlsx">x</a><a href="y.doc">y</a></html>', "text/html") == [
        "https://gazette.example.cn/list/x.xlsx"]
    assert listing_urls(base, b'{"application_no": "1"}\n', "application/x-ndjson") is None
    assert listing_urls(base, b"plain text", "text/plain") is None


def test_server_without_validators_is_guarded_by_checksum(tmp_path):
    site = Site(validators=False)
    try:
        site.put("/g.jsonl", jsonl(GAZETTE))
        svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(site.url("/g.jsonl"),))
        assert len(svc.pull().files) == 1
        again = svc.pull()
        assert again.files == [] and again.not_modified == 1 and site.hits("/g.jsonl") == [200, 200]
        assert "If-None-Match" not in site.server.requests[-1].headers
    finally:
        site.server.stop()


def test_failures_write_no_checkpoint_and_are_retried(tmp_path, site):
    site.put("/g/2004.jsonl", jsonl(GAZETTE))
    site.put("/g/2005.jsonl", jsonl(MORE_KNOCKOFFS))
    site.put("/list.json", b'["g/2004.jsonl", "g/2005.jsonl"]', "application/json")
    site.fail.add("/g/2005.jsonl")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(site.url("/list.json"),),
                       http_timeout=0.5)
    first = svc.pull()
    assert [Path(f.item).name for f in first.files] == ["2004.jsonl"] and "HTTP 500" in first.errors[0]
    # the listing's validators were not kept, so the next pull asks for it in full again
    site.fail.clear()
    site.slow["/g/2005.jsonl"] = 1.0  # now it times out
    second = svc.pull()
    assert second.files == [] and "Timeout" in second.errors[0]
    third = svc.pull()
    assert third.errors == [] and [Path(f.item).name for f in third.files] == ["2005.jsonl"]
    assert _marks(svc) == len(GAZETTE) + len(MORE_KNOCKOFFS)
    assert svc.pull().not_modified == 1  # everything taken: the listing answers 304
    assert not list((tmp_path / "downloads").rglob("*.part"))


def test_unreachable_source_is_an_error_not_a_crash(tmp_path):
    from .servicekit import free_port

    url = f"http://127.0.0.1:{free_port()}/gazette.jsonl"
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(url,))
    summary = svc.pull()
    assert summary.files == [] and "ConnectError" in summary.errors[0]


def test_drop_folder_takes_each_file_once(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    write_jsonl(folder / "2004.jsonl", GAZETTE)
    write_jsonl(folder / "2005.jsonl.part", MORE_KNOCKOFFS)  # still being uploaded
    (folder / "readme.txt").write_text("不是公告", encoding="utf-8")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, drop_folder=folder)
    first = svc.pull()
    assert [f.item.split("#")[0] for f in first.files] == ["2004.jsonl"] and first.marks_ingested == len(GAZETTE)
    assert svc.pull().files == []
    (folder / "2005.jsonl.part").rename(folder / "2005.jsonl")  # upload finished
    second = svc.pull()
    assert [f.item.split("#")[0] for f in second.files] == ["2005.jsonl"]
    # the same name with corrected content is taken again (name + sha256 identify a file)
    write_jsonl(folder / "2004.jsonl", GAZETTE + [{**MORE_KNOCKOFFS[0], "application_no": "90000077"}])
    third = svc.pull()
    assert len(third.files) == 1 and third.files[0].stored == 1 and third.files[0].duplicates == len(GAZETTE)
    with svc.db.session() as s:
        items = list(s.scalars(select(SourceCheckpoint.item).where(
            SourceCheckpoint.source == DropFolderSource(folder).name)))
    assert len(items) == 3 and all(len(i.split("#")[1]) == 64 for i in items)


def test_bad_file_is_reported_once_and_not_retaken(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "broken.xlsx").write_bytes(b"this is not a workbook")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, drop_folder=folder)
    first = svc.pull()
    assert len(first.files) == 1 and first.files[0].error and first.errors
    assert svc.pull().errors == []  # recorded in that pull's run; a corrected file has new content


def test_missing_drop_folder_is_reported(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, drop_folder=tmp_path / "nope")
    assert "does not exist" in svc.pull().errors[0]


def test_http_source_of_a_single_file_class(tmp_path, site):
    """HttpSource can be used directly (e.g. by another scheduler) with its own client."""
    import httpx

    site.put("/x/2004.jsonl", jsonl(GAZETTE))
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path)
    with httpx.Client(timeout=5) as client:
        src = HttpSource(site.url("/x/2004.jsonl"), settings=svc.settings, client=client)
        summary = pull_sources(svc, [src])
        assert len(summary.files) == 1
        assert pull_sources(svc, [src]).not_modified == 1


def test_gazette_at_a_url_without_a_file_name_is_known_by_its_type(tmp_path, site):
    site.put("/api/gazette?issue=2004", jsonl(GAZETTE), "application/x-ndjson; charset=utf-8")
    site.put("/api/other", b"<p>hello</p>", "text/plain")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path,
                       source_urls=(site.url("/api/gazette?issue=2004"), site.url("/api/other")))
    first = svc.pull()
    assert len(first.files) == 1 and first.files[0].path.endswith(".jsonl") and first.marks_ingested == len(GAZETTE)
    assert len(first.errors) == 1 and "neither a gazette file" in first.errors[0]
    second = svc.pull()
    assert second.files == [] and site.hits("/api/gazette?issue=2004") == [200, 304]


def test_unchanged_drop_files_are_not_read_again(tmp_path, monkeypatch):
    from markwatch.sources import remote

    folder = tmp_path / "drop"
    folder.mkdir()
    write_jsonl(folder / "2004.jsonl", GAZETTE)
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, drop_folder=folder)
    assert len(svc.pull().files) == 1
    hashed: list[Path] = []
    real = remote.file_sha256
    monkeypatch.setattr(remote, "file_sha256", lambda p: hashed.append(p) or real(p))
    assert svc.pull().files == [] and hashed == []


def test_redirect_to_internal_address_is_refused(tmp_path):
    """The operator allows the source host by name; its redirect to a bare loopback address is not followed."""
    hits: list[str] = []

    def handle(server, req):
        hits.append(req.path)
        if req.path == "/feed.jsonl":
            return 302, {"Location": f"http://127.0.0.1:{server.port}/latest/meta-data/"}, b""
        return 200, {"Content-Type": "text/plain"}, b"AccessKeyId=ASIAEXAMPLE"

    server = LocalServer(handle).start()
    try:
        url = f"http://localhost:{server.port}/feed.jsonl"
        svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(url,), outbound_allow=("localhost",))
        summary = svc.pull()
        assert summary.files == [] and "internal address" in summary.errors[0]
        assert hits == ["/feed.jsonl"]
    finally:
        server.stop()
