"""Mark images as references: what a record names, the stored file, and its content hash.

A gazette record (or a brand) names its image in one of three ways:

- a file path, relative to the input file (``img/90000001.png``) or absolute;
- an ``http(s)://`` URL that the operator's source provides (fetched through the outbound policy);
- a page PDF and the mark's box on it: ``page-12.pdf#page=3&box=72,90,260,280`` (page from 1; the box
  in PDF points, x0,y0,x1,y1 from the page's top-left corner; without a box, the whole page).

The database keeps the reference as written, the SHA-256 of the stored file and its name in the image
folder (``settings.image_dir``); the pictures themselves are files there, named by their hash
(``ab/ab12….png``), so one logo used by many records is stored once. Nothing here needs the optional
``images`` extra: formats are told by their first bytes, and a PDF is stored as it is, its region cut
when the picture is first read (``markwatch.images.decode``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from markwatch.errors import RecordError

# Bigger files are not mark images (a gazette image is tens of kilobytes; a page PDF a few megabytes).
MAX_IMAGE_BYTES = 30 << 20
FORMATS = ("png", "jpeg", "gif", "tiff", "bmp", "pdf")
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
    (b"%PDF-", "pdf"),
)
_EXT = {"png": "png", "jpeg": "jpg", "gif": "gif", "tiff": "tif", "bmp": "bmp", "pdf": "pdf"}
_BOX = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def sniff_format(data: bytes) -> str | None:
    """One of FORMATS from the first bytes, or None."""
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            return fmt
    return None


@dataclass(frozen=True)
class ImageRef:
    """A parsed reference: where the bytes are, and for a PDF the page and box of the mark."""

    text: str  # as written in the record
    location: str  # the path or URL without the fragment
    page: int | None = None  # PDF page, from 1
    box: tuple[float, float, float, float] | None = None  # PDF points from the top-left corner

    @property
    def is_url(self) -> bool:
        return self.location.lower().startswith(("http://", "https://"))

    @property
    def region(self) -> str:
        """The fragment that names a region of a PDF ("" for a whole image file)."""
        if self.page is None and self.box is None:
            return ""
        parts = [f"page={self.page or 1}"]
        if self.box is not None:
            parts.append("box=" + ",".join(f"{v:g}" for v in self.box))
        return "&".join(parts)


def parse_ref(text: str) -> ImageRef:
    """An ImageRef from a record's image field; RecordError (bilingual) when it cannot be one."""
    raw = (text or "").strip()
    if not raw:
        raise RecordError("empty image reference (图样引用为空)")
    if len(raw) > 2000:
        raise RecordError("image reference longer than 2000 characters (图样引用过长)")
    location, _, fragment = raw.partition("#")
    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    if fragment:
        query = parse_qs(fragment, keep_blank_values=True)
        unknown = set(query) - {"page", "box"}
        if unknown:
            raise RecordError(f"image reference {raw!r}: unknown part(s) {', '.join(sorted(unknown))}; "
                              "use #page=N&box=x0,y0,x1,y1 (图样引用格式无效)")
        if "page" in query:
            value = query["page"][0].strip()
            if not value.isdecimal() or int(value) < 1:
                raise RecordError(f"image reference {raw!r}: page must be a number from 1 (页码无效)")
            page = int(value)
        if "box" in query:
            m = _BOX.match(query["box"][0])
            if m is None:
                raise RecordError(f"image reference {raw!r}: box must be x0,y0,x1,y1 in PDF points (图样区域无效)")
            x0, y0, x1, y1 = (float(g) for g in m.groups())
            if not (x1 > x0 >= 0 and y1 > y0 >= 0):
                raise RecordError(f"image reference {raw!r}: box must have x1 > x0 >= 0 and y1 > y0 >= 0 "
                                  "(图样区域无效)")
            box = (x0, y0, x1, y1)
    if not location.strip():
        raise RecordError(f"image reference {raw!r} names no file (图样引用缺少文件)")
    return ImageRef(text=raw, location=location.strip(), page=page, box=box)


def feature_key(sha256: str, region: str = "") -> str:
    """The key of a picture's features: the file's hash, and for a PDF the region read from it."""
    return f"{sha256}#{region}" if region else sha256


@dataclass(frozen=True)
class StoredImage:
    """An image kept in the folder: its content hash, its file name there, its format, its region."""

    sha256: str
    file: str  # relative to the image folder: "ab/ab12….png"
    format: str
    region: str = ""

    @property
    def key(self) -> str:
        return feature_key(self.sha256, self.region)


class ImageStore:
    """The configured image folder: files named by their content hash, written atomically."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, file: str) -> Path:
        path = (self.root / file).resolve()
        if self.root.resolve() not in path.parents:
            raise RecordError(f"image file {file!r} is outside the image folder (图样路径无效)")
        return path

    def put(self, data: bytes, *, region: str = "") -> StoredImage:
        if len(data) > MAX_IMAGE_BYTES:
            raise RecordError(f"image of {len(data)} bytes, more than {MAX_IMAGE_BYTES} (图样文件过大)")
        fmt = sniff_format(data)
        if fmt is None:
            raise RecordError("image is not PNG, JPEG, GIF, TIFF, BMP or PDF (图样格式不支持)")
        if region and fmt != "pdf":
            raise RecordError("a page and box can only be given for a PDF (仅 PDF 可指定页码和区域)")
        sha = hashlib.sha256(data).hexdigest()
        file = f"{sha[:2]}/{sha}.{_EXT[fmt]}"
        target = self.root / file
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return StoredImage(sha256=sha, file=file, format=fmt, region=region)

    def read(self, file: str) -> bytes:
        try:
            return self.path(file).read_bytes()
        except OSError as exc:
            raise RecordError(f"image file {file} is missing from {self.root}: {exc.strerror or exc} "
                              "(图样文件缺失)") from None


Fetch = Callable[[str], bytes]


def load_ref(ref: ImageRef, base_dir: Path | None, fetch: Fetch | None = None) -> bytes:
    """The bytes a reference names: a file (relative to `base_dir`) or a URL (through `fetch`)."""
    if ref.is_url:
        if fetch is None:
            raise RecordError(f"image {ref.location} is a URL, and no download is configured here "
                              "(图样为网址，此处不下载)")
        return fetch(ref.location)
    if urlsplit(ref.location).scheme not in ("", "file") and not re.match(r"^[A-Za-z]:[\\/]", ref.location):
        raise RecordError(f"image reference {ref.location!r}: only files and http(s) URLs (图样引用格式无效)")
    path = Path(ref.location.removeprefix("file://"))
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise RecordError(f"image {path} has {size} bytes, more than {MAX_IMAGE_BYTES} (图样文件过大)")
        return path.read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read image {path}: {exc.strerror or exc} (图样文件无法读取)") from None


def store_ref(store: ImageStore, text: str, base_dir: Path | None, fetch: Fetch | None = None) -> StoredImage:
    """Read what `text` names and keep it in the store."""
    ref = parse_ref(text)
    return store.put(load_ref(ref, base_dir, fetch), region=ref.region)
