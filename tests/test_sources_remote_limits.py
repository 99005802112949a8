"""Remote sources under hostile servers: max_download_bytes on every download (files, listings,
suffix-less URLs) counted after decompression, identity encoding, redirects and listing links to
internal addresses, and error texts without credentials or response bodies."""

from __future__ import annotations

import gzip
import json
import logging
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import select

from markwatch.store.tables import Run

from .servicekit import GAZETTE, LocalServer, make_service
from .test_sources_remote import Site, _marks, jsonl

LIMIT = 1 << 20
BOMB = gzip.compress(b" " * (64 << 20), compresslevel=9)  # 64 MiB of spaces in ~64 KiB


@pytest.fixture
def site():
    s = Site()
    yield s
    s.server.stop()


def _no_partial_files(tmp_path: Path) -> bool:
    return not [p for p in (tmp_path / "downloads").rglob("*") if p.is_file()]


def _bombed(site: Site, path: str, ctype: str, encoded: bool) -> None:
    site.put(path, BOMB, ctype)
    if encoded:
        site.server.handle = _with_header(site, path, {"Content-Encoding": "gzip"})


def _with_header(site: Site, path: str, extra: dict[str, str]):
    def handle(server, req):
        status, headers, body = Site._handle(site, server, req)
        return status, ({**headers, **extra} if req.path == path else headers), body
    return handle


@pytest.mark.parametrize("path,ctype,encoded", [
    ("/feed", "application/json", True),                 # a listing URL, body sent gzip-encoded
    ("/gazette/2004.jsonl", "application/x-ndjson", True),  # a file, body sent gzip-encoded
    ("/gazette/2004.jsonl.gz", "application/gzip", False),  # a gzipped gazette file
])
def test_gzip_bomb_stops_at_the_limit_without_growing_memory(tmp_path, site, path, ctype, encoded):
    _bombed(site, path, ctype, encoded)
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(site.url(path),),
                       max_download_bytes=LIMIT)
    tracemalloc.start()
    try:
        summary = svc.pull()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.files == [] and len(summary.errors) == 1, summary.errors
    assert f"larger than max_download_bytes={LIMIT}" in summary.errors[0]
    assert peak < 16 << 20, peak  # 64 MiB would be decoded in memory at once otherwise
    assert _no_partial_files(tmp_path)


def test_listing_is_bounded_by_max_download_bytes(tmp_path, site):
    listing = json.dumps([f"g/{i}.jsonl" for i in range(200)]).encode()
    site.put("/index.json", listing, "application/json")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(site.url("/index.json"),),
                       max_download_bytes=len(listing) - 1)
    summary = svc.pull()
    assert summary.files == [] and "larger than max_download_bytes" in summary.errors[0]
    assert [r.path for r in site.server.requests] == ["/index.json"] and _no_partial_files(tmp_path)


def test_gazette_at_a_url_without_a_file_name_is_bounded(tmp_path, site):
    body = jsonl(GAZETTE)
    site.put("/api/gazette?issue=2004", body, "application/x-ndjson")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(site.url("/api/gazette?issue=2004"),),
                       max_download_bytes=len(body) - 1)
    summary = svc.pull()
    assert summary.files == [] and "larger than max_download_bytes" in summary.errors[0]
    assert _marks(svc) == 0 and _no_partial_files(tmp_path)
    # the same body within the limit is taken
    svc2 = make_service(f"sqlite:///{tmp_path}/r2.db", tmp_path, source_urls=(site.url("/api/gazette?issue=2004"),),
                        max_download_bytes=len(body))
    assert svc2.pull().marks_ingested == len(GAZETTE)


def test_gzipped_gazettes_are_decompressed_and_ingested(tmp_path, site):
    site.put("/g/2004.jsonl.gz", gzip.compress(jsonl(GAZETTE[:2])), "application/gzip")
    site.put("/g/2005.jsonl", gzip.compress(jsonl(GAZETTE[2:])), "application/x-ndjson")
    site.server.handle = _with_header(site, "/g/2005.jsonl", {"Content-Encoding": "gzip"})
    site.put("/list.html", b'<html><a href="g/2004.jsonl.gz">2004</a> <a href="g/2005.jsonl">2005</a></html>',
             "text/html")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(site.url("/list.html"),),
                       max_download_bytes=len(jsonl(GAZETTE[:2])))
    summary = svc.pull()
    assert summary.errors == [] and _marks(svc) == len(GAZETTE)
    assert sorted(Path(f.path).name.split("-", 1)[1] for f in summary.files) == ["2004.jsonl", "2005.jsonl"]
    assert svc.pull().not_modified == 1


def test_downloads_ask_for_the_identity_encoding(tmp_path, site):
    site.put("/g/2004.jsonl", jsonl(GAZETTE))
    site.put("/list.json", b'["g/2004.jsonl"]', "application/json")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(site.url("/list.json"),))
    assert svc.pull().errors == []
    assert [r.headers.get("Accept-Encoding") for r in site.server.requests] == ["identity", "identity"]


def test_unknown_content_encoding_is_refused(tmp_path, site):
    site.put("/g/2004.jsonl", jsonl(GAZETTE))
    site.server.handle = _with_header(site, "/g/2004.jsonl", {"Content-Encoding": "br"})
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=(site.url("/g/2004.jsonl"),))
    summary = svc.pull()
    assert summary.files == [] and "Content-Encoding 'br'" in summary.errors[0] and _no_partial_files(tmp_path)


# ---------------------------------------------------------------- internal addresses
def _internal_site(routes):
    hits: list[str] = []

    def handle(server, req):
        hits.append(req.path)
        status, headers, body = routes(server, req.path)
        return status, headers, body

    return LocalServer(handle).start(), hits


def test_listing_redirected_to_an_internal_address_is_refused(tmp_path):
    def routes(server, path):
        if path == "/index.json":
            return 302, {"Location": f"http://127.0.0.1:{server.port}/latest/meta-data/"}, b""
        return 200, {"Content-Type": "application/json"}, b'["AccessKeyId=ASIAEXAMPLE.jsonl"]'

    server, hits = _internal_site(routes)
    try:
        svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, outbound_allow=("localhost",),
                           source_urls=(f"http://localhost:{server.port}/index.json",))
        summary = svc.pull()
    finally:
        server.stop()
    assert summary.files == [] and "internal address" in summary.errors[0]
    assert hits == ["/index.json"] and "ASIAEXAMPLE" not in json.dumps(summary.as_dict())


def test_listing_link_to_an_internal_address_is_not_fetched(tmp_path):
    def routes(server, path):
        if path == "/index.json":
            return 200, {"Content-Type": "application/json"}, json.dumps(
                [f"http://127.0.0.1:{server.port}/secret/2004.jsonl"]).encode()
        return 200, {"Content-Type": "application/x-ndjson"}, jsonl(GAZETTE)

    server, hits = _internal_site(routes)
    try:
        svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, outbound_allow=("localhost",),
                           source_urls=(f"http://localhost:{server.port}/index.json",))
        summary = svc.pull()
    finally:
        server.stop()
    assert summary.files == [] and "internal address" in summary.errors[0] and _marks(svc) == 0
    assert hits == ["/index.json"]


# ---------------------------------------------------------------- what errors say
SECRET_BODY = b"AccessKeyId=ASIAEXAMPLE SecretAccessKey=wJalrEXAMPLEKEY"


def test_errors_carry_neither_response_bodies_nor_url_credentials(tmp_path, site, caplog):
    from markwatch import scheduler

    site.put("/feed?api_key=K3Y", SECRET_BODY, "text/plain")  # neither a gazette nor a listing
    site.fail.add("/g/2004.jsonl?token=T0K")  # 500 "oops"
    urls = (site.url("/feed?api_key=K3Y"), site.url("/g/2004.jsonl?token=T0K"),
            site.url("/none?sig=S1G#frag"), f"http://gazette-user:S3cretPw@127.0.0.1:{site.server.port}/x.jsonl")
    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path, source_urls=urls)
    scheduler._service = svc
    try:
        with caplog.at_level(logging.INFO, logger="markwatch"):
            outcome = scheduler.scheduled_cycle()
    finally:
        scheduler._service = None
    result = svc.cycle()
    with svc.db.session() as s:
        stored = [r for r, in s.execute(select(Run.error).order_by(Run.id))]
    texts = [json.dumps(outcome, default=str), json.dumps(result.as_dict(), default=str), result.error or "",
             caplog.text, *filter(None, stored)]
    assert outcome["status"] == "partial" and "HTTP 500" in outcome["error"] and "HTTP 404" in outcome["error"]
    assert "neither a gazette file" in outcome["error"] and "user:password" in outcome["error"]
    for text in texts:
        for secret in ("K3Y", "T0K", "S1G", "frag", "S3cretPw", "gazette-user", "ASIAEXAMPLE", "wJalr", "oops"):
            assert secret not in text, (secret, text)
    assert f"127.0.0.1:{site.server.port}/feed?…" in outcome["error"]


def test_inflate_pieces_are_bounded_and_complete():
    import os
    import zlib

    from markwatch.sources.remote import _PIECE, _inflate

    data = os.urandom(100_000) + b"\0" * (5 << 20)
    members = gzip.compress(data) + gzip.compress(b"second member")
    for size in (1, 7, 4096, len(members)):
        pieces = list(_inflate((members[i:i + size] for i in range(0, len(members), size)), "x"))
        assert b"".join(pieces) == data + b"second member" and max(map(len, pieces)) <= _PIECE
    assert b"".join(_inflate([zlib.compress(b"deflate body")], "x")) == b"deflate body"
    with pytest.raises(ValueError, match="truncated"):
        list(_inflate([gzip.compress(data)[:-100]], "the .gz file"))
    with pytest.raises(ValueError, match="not valid gzip"):
        list(_inflate([b"plain text, not compressed"], "the .gz file"))


def test_cycle_error_from_a_failed_pull_is_redacted(tmp_path, caplog, monkeypatch):
    from markwatch import scheduler
    from markwatch.errors import MarkwatchError
    from markwatch.service.facade import CycleResult

    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path)

    def broken(_service, sources=None):
        raise MarkwatchError("https://gazette-user:S3cretPw@gazette.example.cn/feed?api_key=K3Y: gone")

    monkeypatch.setattr("markwatch.sources.remote.pull_sources", broken)
    scheduler._service = svc
    try:
        with caplog.at_level(logging.INFO, logger="markwatch.scheduler"):
            outcome = scheduler.scheduled_cycle()
    finally:
        scheduler._service = None
    with svc.db.session() as s:
        stored = s.scalar(select(Run.error).where(Run.id == outcome["run_id"]))
    assert outcome["status"] == "failed" and "https://gazette.example.cn/feed?…: gone" in outcome["error"]
    scheduler_lines = [r.getMessage() for r in caplog.records if r.name == "markwatch.scheduler"]
    for text in (outcome["error"], stored, *scheduler_lines):
        assert "S3cretPw" not in text and "K3Y" not in text and "gazette-user" not in text, text
    assert CycleResult(status="failed", error="http://u:p@h/x?q=1").error == "http://h/x?…"
