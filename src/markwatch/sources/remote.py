"""Gazette sources that hand over files (公告来源): a drop folder and HTTP(S) URLs.

Each source remembers in ``source_checkpoints`` what it has already handed over, so every file is
taken once:

* drop folder: a file is identified by name + SHA-256, so a corrected file under the same name is
  taken again and an unchanged one never is;
* HTTP: per URL the ETag and Last-Modified of the last copy taken are sent back as If-None-Match /
  If-Modified-Since (a 304 costs nothing), and the body's SHA-256 guards servers that send neither.

A URL may serve a gazette file (.jsonl .csv .tsv .xlsx .xml, optionally gzipped as NAME.jsonl.gz) or
a listing of them: a JSON array of URLs, or an HTML page whose links point at such files. Every
download (files, listings, URLs without a file name) is streamed to disk through one byte counter that
stops at ``max_download_bytes``, counted after decompression, so a gzip bomb stops at the limit too.
Every connection, each redirect hop and each link of a listing included, passes the outbound address
policy (outbound.py). Error texts name the URL without its credentials or query, and never quote the
response. A checkpoint is written only after the file
was ingested (a file the ingester rejected as a whole counts as taken: its error is reported once, in
that run, and a corrected file has new content); a network or database failure writes nothing, so
the next pull retries it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urljoin, urlsplit

import httpx
from sqlalchemy import select

from markwatch.errors import redact_urls
from markwatch.fileio import file_sha256
from markwatch.outbound import guarded_client
from markwatch.store.tables import SourceCheckpoint

if TYPE_CHECKING:  # pragma: no cover
    from markwatch.config import Settings
    from markwatch.service.facade import Service
    from markwatch.store.db import Database

log = logging.getLogger(__name__)

GAZETTE_SUFFIXES = (".jsonl", ".csv", ".tsv", ".xlsx", ".xml")
# the drop folder also takes the gazette site's .json list exports (a URL ending in .json is a listing)
DROP_SUFFIXES = (*GAZETTE_SUFFIXES, ".json")
# a gazette served at a URL without a file name is recognised by its content type
CONTENT_SUFFIXES = {
    "application/x-ndjson": ".jsonl", "application/jsonl": ".jsonl", "application/jsonlines": ".jsonl",
    "application/x-jsonlines": ".jsonl", "text/csv": ".csv", "text/tab-separated-values": ".tsv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/xml": ".xml", "text/xml": ".xml",
}
# names a writer uses while a file is still being written; they are skipped until renamed
PARTIAL_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".download")
# a listing is parsed in memory: it is read whole only up to this size (and max_download_bytes)
MAX_LISTING_BYTES = 16 << 20
# decompressed output is produced in pieces of at most this size, whatever the compression ratio
_PIECE = 1 << 16


@dataclass
class TakenFile:
    source: str
    item: str
    path: str
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    error: str | None = None


@dataclass
class PullSummary:
    """What one pull of all sources did."""

    files: list[TakenFile] = field(default_factory=list)
    not_modified: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def marks_ingested(self) -> int:
        return sum(f.stored for f in self.files)

    def error(self, text: str) -> None:
        """Record an error; source URLs lose their credentials and query first (it is shown and stored)."""
        self.errors.append(redact_urls(text) or text)

    def as_dict(self) -> dict:
        files = [{**asdict(f), "source": redact_urls(f.source), "item": redact_urls(f.item)} for f in self.files]
        return {"files": files, "marks_ingested": self.marks_ingested,
                "not_modified": self.not_modified, "errors": [redact_urls(e) for e in self.errors]}


class Source(Protocol):
    name: str

    def pull(self, service: Service, summary: PullSummary) -> None: ...


# ---------------------------------------------------------------- checkpoints
def _source_key(prefix: str, ident: str) -> str:
    key = f"{prefix}:{ident}"
    return key if len(key) <= 200 else f"{prefix}:sha256:{hashlib.sha256(ident.encode()).hexdigest()}"


def get_checkpoint(db: Database, source: str, item: str) -> SourceCheckpoint | None:
    with db.session() as s:
        return s.scalar(select(SourceCheckpoint).where(SourceCheckpoint.source == source,
                                                       SourceCheckpoint.item == item))


def save_checkpoint(db: Database, source: str, item: str, *, sha256: str | None = None,
                    etag: str | None = None, last_modified: str | None = None) -> None:
    from markwatch.store.tables import utcnow

    with db.session() as s:
        row = s.scalar(select(SourceCheckpoint).where(SourceCheckpoint.source == source,
                                                      SourceCheckpoint.item == item))
        if row is None:
            s.add(SourceCheckpoint(source=source, item=item, sha256=sha256, etag=etag, last_modified=last_modified))
        else:
            row.sha256, row.etag, row.last_modified, row.taken_at = sha256, etag, last_modified, utcnow()


def _ingest(service: Service, path: Path, source: str, item: str, summary: PullSummary) -> TakenFile:
    [result] = service.ingest([path], source=source[:200])
    taken = TakenFile(source=source, item=item, path=str(path), stored=result.stored,
                      duplicates=result.duplicates, quarantined=result.quarantined, error=result.error)
    summary.files.append(taken)
    if result.error:
        summary.error(f"{item}: {result.error}")
    return taken


# ---------------------------------------------------------------- drop folder
class DropFolderSource:
    """Files put into a folder (e.g. by an SFTP upload); write as NAME.part and rename when complete."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.name = _source_key("folder", str(self.folder.resolve()))

    def candidates(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        found = []
        for p in sorted(self.folder.iterdir()):
            name = p.name.lower()
            if (p.is_file() and not name.startswith((".", "~$")) and not name.endswith(PARTIAL_SUFFIXES)
                    and name.endswith(DROP_SUFFIXES)):
                found.append(p)
        return found

    def pull(self, service: Service, summary: PullSummary) -> None:
        if not self.folder.is_dir():
            summary.error(f"drop folder {self.folder} does not exist (投放目录不存在)")
            return
        for path in self.candidates():
            try:
                st = path.stat()
                # size and modification time: a file seen unchanged is not read (hashed) again
                stamp = f"{st.st_size}:{st.st_mtime_ns}"
                if self._seen(service.db, path.name, stamp):
                    continue
                sha = file_sha256(path)
            except OSError as exc:  # removed or locked meanwhile: next pull
                summary.error(f"{path}: cannot read: {exc}")
                continue
            item = f"{path.name}#{sha}"
            if get_checkpoint(service.db, self.name, item) is None:
                _ingest(service, path, self.name, item, summary)
            save_checkpoint(service.db, self.name, item, sha256=sha, etag=stamp)

    def _seen(self, db: Database, name: str, stamp: str) -> bool:
        with db.session() as s:
            return s.scalar(select(SourceCheckpoint.id).where(
                SourceCheckpoint.source == self.name, SourceCheckpoint.item.startswith(name + "#", autoescape=True),
                SourceCheckpoint.etag == stamp).limit(1)) is not None


# ---------------------------------------------------------------- HTTP
class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for k, v in attrs:
                if k == "href" and v:
                    self.hrefs.append(v)


def _is_gazette_name(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(GAZETTE_SUFFIXES) or (path.endswith(".gz") and path[:-3].endswith(GAZETTE_SUFFIXES))


def _gzipped_file(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(".gz")


def listing_urls(base: str, body: bytes, content_type: str) -> list[str] | None:
    """File URLs of a listing (JSON array of URLs, or HTML links to gazette files); None if not a listing."""
    ctype = content_type.split(";")[0].strip().lower()
    text = body.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if ctype.endswith("json") or stripped.startswith("["):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if isinstance(data, list) and all(isinstance(u, str) for u in data):
            return _unique(urljoin(base, u) for u in data)
        if isinstance(data, dict) and isinstance(data.get("files"), list):
            return _unique(urljoin(base, u) for u in data["files"] if isinstance(u, str))
        return None
    if "html" in ctype or re.match(r"(?is)<!doctype html|<html", stripped):
        parser = _Links()
        parser.feed(text)
        return _unique(urljoin(base, h) for h in parser.hrefs if _is_gazette_name(urljoin(base, h)))
    return None


def _unique(urls) -> list[str]:
    out: list[str] = []
    for u in urls:
        if u not in out and urlsplit(u).scheme in ("http", "https"):
            out.append(u)
    return out


def _file_name(url: str) -> str:
    """A safe local name for the file at `url`; NAME.jsonl.gz is stored decompressed as NAME.jsonl."""
    name = unquote(Path(urlsplit(url).path).name) or "download"
    if name.lower().endswith(".gz") and name[:-3].lower().endswith(GAZETTE_SUFFIXES):
        name = name[:-3]
    return re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", name)[:120]


class DownloadTooLarge(ValueError):
    def __init__(self, limit: int):
        super().__init__(f"larger than max_download_bytes={limit} (counted after decompression; "
                         "下载超过大小上限), nothing kept")


def _inflate(pieces: Iterable[bytes], what: str) -> Iterator[bytes]:
    """gzip (or zlib) data decompressed in pieces of at most _PIECE bytes, however well it compresses;
    concatenated gzip members are read one after the other."""
    d = zlib.decompressobj(zlib.MAX_WBITS | 32)  # | 32: a gzip or a zlib header
    seen = False
    try:
        for data in pieces:
            while data:
                seen = True
                out = d.decompress(data, _PIECE)
                if out:
                    yield out
                data = d.unconsumed_tail
                if d.eof:  # the rest of the input is the next member (it shows in unconsumed_tail too)
                    data = d.unused_data
                    d = zlib.decompressobj(zlib.MAX_WBITS | 32)
                    if not data:
                        seen = False  # a complete member: nothing pending
                elif not data:  # all input taken: drain what the decompressor still holds
                    while len(out) == _PIECE:
                        out = d.decompress(b"", _PIECE)
                        if out:
                            yield out
    except zlib.error as exc:
        raise ValueError(f"{what} is not valid gzip/deflate data: {exc}") from exc
    if seen and not d.eof:
        raise ValueError(f"{what} ends before its compressed data does (truncated download)")


def _counted(pieces: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """The bytes as they come off the wire, stopped past `limit` (compressed data is bounded too)."""
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > limit:
            raise DownloadTooLarge(limit)
        yield piece


def _decoded(pieces: Iterable[bytes], content_encoding: str, url: str) -> Iterator[bytes]:
    """The body undone from its Content-Encoding (markwatch asks for identity, a server may still
    compress) and, for NAME.jsonl.gz, from the file's own gzip: always in bounded pieces."""
    encodings = [e.strip().lower() for e in content_encoding.split(",")]
    for enc in reversed([e for e in encodings if e and e != "identity"]):
        if enc not in ("gzip", "x-gzip", "deflate"):
            raise ValueError(f"the server sent Content-Encoding {enc!r}; markwatch asks for identity and "
                             "reads gzip and deflate only")
        pieces = _inflate(pieces, f"the {enc}-encoded body")
    if _gzipped_file(url):
        pieces = _inflate(pieces, "the .gz file")
    return iter(pieces)


@dataclass
class _Download:
    status: int
    url: str  # after redirects
    headers: httpx.Headers
    sha256: str = ""
    size: int = 0


class HttpSource:
    """A URL serving a gazette file or a listing of gazette files."""

    def __init__(self, url: str, *, settings: Settings, client: httpx.Client | None = None):
        self.url = url
        self.settings = settings
        self.name = _source_key("http", url)
        self.client = client

    def pull(self, service: Service, summary: PullSummary) -> None:
        own = self.client is None
        client = self.client or make_client(self.settings)
        try:
            self._pull(service, summary, client)
        finally:
            if own:
                client.close()

    def _conditional(self, db: Database, item: str) -> tuple[dict[str, str], SourceCheckpoint | None]:
        cp = get_checkpoint(db, self.name, item)
        # compressed bodies are undone by markwatch, bounded (see _decoded), but none is asked for
        headers: dict[str, str] = {"Accept-Encoding": "identity"}
        if cp is not None:
            if cp.etag:
                headers["If-None-Match"] = cp.etag
            if cp.last_modified:
                headers["If-Modified-Since"] = cp.last_modified
        return headers, cp

    def _pull(self, service: Service, summary: PullSummary, client: httpx.Client) -> None:
        if _is_gazette_name(self.url):
            self._take_file(service, summary, client, self.url)
            return
        headers, cp = self._conditional(service.db, self.url)
        tmp = self._target_dir() / (_file_name(self.url) + ".part")
        got = self._download(summary, client, self.url, headers, tmp)
        if got is None or got.status != 200:
            return
        ctype = got.headers.get("content-type", "")
        suffix = CONTENT_SUFFIXES.get(ctype.split(";")[0].strip().lower())
        urls = None
        if got.size <= MAX_LISTING_BYTES:
            urls = listing_urls(got.url, tmp.read_bytes(), ctype)
        if urls is None and suffix is not None:
            # a gazette file at a URL without a file name (e.g. /api/gazette?issue=2004): known by its type
            name = (_file_name(self.url).rsplit(".", 1)[0] or "gazette") + suffix
            self._keep(service, summary, self.url, tmp, got.sha256, name, cp,
                       got.headers.get("etag"), got.headers.get("last-modified"))
            return
        tmp.unlink(missing_ok=True)
        if urls is None:
            summary.error(f"{self.url}: neither a gazette file (.jsonl .csv .tsv .xlsx .xml) nor a listing "
                          "of them (JSON array of URLs or an HTML page with links)"
                          + (f"; a listing is read up to {MAX_LISTING_BYTES} bytes" if got.size > MAX_LISTING_BYTES
                             else ""))
            return
        ok = True
        for url in urls:
            ok = self._take_file(service, summary, client, url) and ok
        # the listing's validators are kept only when every file in it was handled, so a 304 on the
        # listing can never hide a file whose download failed
        if ok:
            save_checkpoint(service.db, self.name, self.url, etag=got.headers.get("etag"),
                            last_modified=got.headers.get("last-modified"), sha256=got.sha256)

    def _download(self, summary: PullSummary, client: httpx.Client, url: str, headers: dict[str, str],
                  tmp: Path) -> _Download | None:
        """GET `url` into `tmp` (a 200's body only), decompressed and bounded by max_download_bytes;
        None after an error, which is recorded and leaves no file behind. 304 and other statuses are
        returned (the 304 counted, the others recorded) without a body."""
        limit = self.settings.max_download_bytes
        h = hashlib.sha256()
        size = 0
        try:
            with client.stream("GET", url, headers=headers) as resp:
                got = _Download(resp.status_code, str(resp.url), resp.headers)
                if resp.status_code == 304:
                    summary.not_modified += 1
                    return got
                if resp.status_code != 200:  # the answer's text is never quoted: it may be anyone's
                    summary.error(f"{url}: HTTP {resp.status_code}")
                    return got
                # httpx would decompress each network read whole (a 64 KiB read of a bomb is 64 MiB):
                # the raw bytes are counted and decompressed here, in bounded pieces
                body = _decoded(_counted(resp.iter_raw(), limit), resp.headers.get("content-encoding", ""), url)
                with open(tmp, "wb") as fh:
                    for piece in body:
                        size += len(piece)
                        if size > limit:
                            raise DownloadTooLarge(limit)
                        h.update(piece)
                        fh.write(piece)
        except (httpx.HTTPError, ValueError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            summary.error(f"{url}: {type(exc).__name__}: {exc}")
            return None
        got.sha256, got.size = h.hexdigest(), size
        return got

    def _take_file(self, service: Service, summary: PullSummary, client: httpx.Client, url: str) -> bool:
        """Download (conditionally) and ingest one file; False when it should be tried again later."""
        headers, cp = self._conditional(service.db, url)
        tmp = self._target_dir() / (_file_name(url) + ".part")
        got = self._download(summary, client, url, headers, tmp)
        if got is None or got.status not in (200, 304):
            return False
        if got.status == 304:
            return True
        self._keep(service, summary, url, tmp, got.sha256, _file_name(url), cp,
                   got.headers.get("etag"), got.headers.get("last-modified"))
        return True

    def _target_dir(self) -> Path:
        target = Path(self.settings.download_dir) / hashlib.sha256(self.name.encode()).hexdigest()[:12]
        target.mkdir(parents=True, exist_ok=True)
        return target

    def _keep(self, service: Service, summary: PullSummary, url: str, tmp: Path, sha: str, name: str,
              cp: SourceCheckpoint | None, etag: str | None, last_modified: str | None) -> None:
        """Ingest a downloaded file unless it has the same bytes as last time; then checkpoint it."""
        if cp is not None and cp.sha256 == sha:
            # same bytes as last time (a server without validators): nothing new, remember its validators
            tmp.unlink(missing_ok=True)
            save_checkpoint(service.db, self.name, url, sha256=sha, etag=etag, last_modified=last_modified)
            summary.not_modified += 1
            return
        final = tmp.parent / f"{sha[:12]}-{name}"
        tmp.replace(final)
        _ingest(service, final, self.name, url, summary)
        save_checkpoint(service.db, self.name, url, sha256=sha, etag=etag, last_modified=last_modified)


def make_client(settings: Settings) -> httpx.Client:
    timeout = httpx.Timeout(settings.http_timeout, connect=min(settings.http_timeout, 10.0))
    # The guarded transport checks every hop, so a redirect cannot lead to an internal address either.
    return guarded_client(settings.outbound_allow, timeout=timeout, follow_redirects=True,
                          headers={"User-Agent": "markwatch (trademark gazette watch)",
                                   "Accept-Encoding": "identity"})


def configured_sources(settings: Settings) -> list[Source]:
    sources: list[Source] = []
    if settings.drop_folder:
        sources.append(DropFolderSource(Path(settings.drop_folder)))
    for url in settings.source_urls:
        url = url.strip()
        if url:
            sources.append(HttpSource(url, settings=settings))
    return sources


def pull_sources(service: Service, sources: list[Source] | None = None) -> PullSummary:
    """Pull every configured source once; one source's failure does not stop the others."""
    summary = PullSummary()
    for src in configured_sources(service.settings) if sources is None else sources:
        try:
            src.pull(service, summary)
        except Exception as exc:
            log.exception("source %s failed", redact_urls(src.name))
            summary.error(f"{src.name}: {type(exc).__name__}: {exc}")
    return summary
