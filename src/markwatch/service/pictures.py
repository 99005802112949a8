"""Pictures of one service: the image folder, downloads of image URLs, and the features read once.

Records and brands are stored with their image reference, the stored file's hash and its name in the
folder (``settings.image_dir``), whether or not the optional ``images`` extra is installed. Features
(words, hashes, embedding) are read only for figurative and combined marks and for brand logos, once
per picture: at ingest when the extra is installed, otherwise by the first run that has it
(``Pictures.features`` reads what is missing and stores it in the table image_features).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from markwatch.errors import MarkwatchError, MissingExtra, RecordError
from markwatch.images.refs import MAX_IMAGE_BYTES, ImageStore, StoredImage, store_ref
from markwatch.store.db import Database
from markwatch.store.tables import ImageFeatures, utcnow

log = logging.getLogger(__name__)

# Mark types whose picture is read (OCR, hash, embedding); a word mark's image is its text, typeset.
PICTURE_TYPES = ("figurative", "combined")


@dataclass
class Pictures:
    db: Database
    folder: Path
    settings: object = None  # Settings, for downloads through the outbound policy
    read_features: bool | None = None  # None: when the images extra is installed
    _reader: object = field(default=None, init=False, repr=False)
    _client: object = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.store = ImageStore(Path(self.folder))
        if self.read_features is None:
            from markwatch.images.features import available

            self.read_features = available()

    # ---------------------------------------------------------------- storing
    def keep(self, ref: str, base_dir: Path | None) -> StoredImage:
        """Store the image a reference names (RecordError with the reason when it cannot be read)."""
        return store_ref(self.store, ref, base_dir, self._fetch if self.settings is not None else None)

    def _fetch(self, url: str) -> bytes:
        import httpx

        from markwatch.sources.remote import make_client

        if self._client is None:
            self._client = make_client(self.settings)  # type: ignore[arg-type]
        try:
            with self._client.stream("GET", url) as resp:  # type: ignore[attr-defined]
                resp.raise_for_status()
                data = bytearray()
                for piece in resp.iter_bytes():
                    data += piece
                    if len(data) > MAX_IMAGE_BYTES:
                        raise RecordError(f"image at {url} is larger than {MAX_IMAGE_BYTES} bytes (图样文件过大)")
                return bytes(data)
        except httpx.HTTPError as exc:
            raise RecordError(f"cannot download image {url}: {exc} (图样无法下载)") from None

    # ---------------------------------------------------------------- features
    @property
    def reader(self):
        if self._reader is None:
            from markwatch.images.features import PictureReader

            self._reader = PictureReader()
        return self._reader

    def stored_features(self, keys: Iterable[str], views: int) -> dict:
        """Features already read, by key (rows of the current version only)."""
        from markwatch.images.features import FEATURES_VERSION, PictureFeatures

        wanted = list(dict.fromkeys(k for k in keys if k))
        columns = (ImageFeatures.key, ImageFeatures.views, ImageFeatures.dim, ImageFeatures.vectors,
                   ImageFeatures.hashes, ImageFeatures.words, ImageFeatures.version)
        out: dict = {}
        with self.db.session() as s:
            for i in range(0, len(wanted), 900):
                # plain rows, not ORM objects: a rebuild of the picture index reads every picture's
                rows = s.execute(select(*columns).where(
                    ImageFeatures.key.in_(wanted[i:i + 900]), ImageFeatures.views == views,
                    ImageFeatures.version == FEATURES_VERSION, ImageFeatures.error.is_(None)))
                for row in rows:
                    out[row.key] = PictureFeatures.from_row(row)
        return out

    def features(self, files: dict[str, str], *, views: bool = False) -> dict:
        """Features of the pictures `files` names (key → stored file name), read now where missing and
        the extra is installed; pictures that cannot be read are left out (their error is stored)."""
        from markwatch.images.features import FEATURES_VERSION, VIEWS

        n = VIEWS if views else 1
        found = self.stored_features(files, n)
        missing = [k for k in files if k not in found]
        if not missing or not self.read_features:
            return found
        with self.db.session() as s:
            failed = {r for r in s.scalars(select(ImageFeatures.key).where(
                ImageFeatures.key.in_(missing), ImageFeatures.views == n,
                ImageFeatures.version == FEATURES_VERSION, ImageFeatures.error.is_not(None)))}
        rows = []
        for key in missing:
            if key in failed:
                continue
            try:
                picture = self.picture(files[key], key)
                feats = self.reader.read(picture, key, views=views)
            except MissingExtra:
                raise
            except Exception as exc:  # a picture a decoder or model chokes on is recorded, never fatal
                if not isinstance(exc, MarkwatchError):
                    exc = MarkwatchError(f"{type(exc).__name__}: {exc}")
                log.warning("cannot read picture %s: %s", key, exc)
                rows.append({"key": key, "views": n, "version": FEATURES_VERSION, "model": "-", "dim": 0,
                             "vectors": None, "hashes": [], "words": [], "error": str(exc)[:2000]})
                continue
            found[key] = feats
            row = feats.to_row()
            row["views"] = n
            rows.append(row)
        if rows:
            self._save(rows)
        return found

    def picture(self, file: str, key: str):
        from markwatch.images.decode import open_picture

        region = key.partition("#")[2]
        return open_picture(self.store.read(file), region)

    def _save(self, rows: list[dict]) -> None:
        with self.db.session() as s:
            for row in rows:
                existing = s.get(ImageFeatures, (row["key"], row["views"]))
                if existing is None:
                    s.add(ImageFeatures(created_at=utcnow(), **row))
                else:
                    for k, v in row.items():
                        setattr(existing, k, v)


# ---------------------------------------------------------------- figures for the matcher
def brand_figures(pictures: Pictures | None, rows: list) -> list:
    """Per brand row, its Figure (logo read in views, Vienna codes), or None when it has neither."""
    from markwatch.matching.comparisons.image import Figure

    files = {r.logo_key: r.logo_file for r in rows if r.logo_key and r.logo_file}
    read = pictures.features(files, views=True) if pictures is not None and files else {}
    out: list[Figure | None] = []
    for r in rows:
        vienna = tuple(r.vienna_codes or ())
        if not r.logo_ref and not vienna:
            out.append(None)
            continue
        picture = read.get(r.logo_key) if r.logo_key else None
        out.append(Figure(picture=picture, vienna=vienna, image=bool(r.logo_ref),
                          words=bool(picture is not None and picture.words)))
    return out


def mark_figures(pictures: Pictures | None, rows: list) -> list[tuple[object, tuple]]:
    """Per gazette mark row, (its Figure or None, the words read in its picture)."""
    from markwatch.matching.comparisons.image import Figure

    files = {r.image_key: r.image_file for r in rows
             if r.image_key and r.image_file and r.mark_type in PICTURE_TYPES}
    read = pictures.features(files) if pictures is not None and files else {}
    out: list[tuple[object, tuple]] = []
    for r in rows:
        vienna = tuple(r.vienna_codes or ())
        pictured = bool(r.image_ref) and r.mark_type in PICTURE_TYPES
        if not pictured and not vienna:
            out.append((None, ()))
            continue
        picture = read.get(r.image_key) if pictured and r.image_key else None
        words = tuple(picture.words) if picture is not None else ()
        has_words = bool(words) or (r.mark_type == "combined" and bool((r.mark or "").strip()))
        out.append((Figure(picture=picture, vienna=vienna, image=pictured, words=has_words), words))
    return out


def figure_of_file(pictures: Pictures, ref: str | None, *, views: bool, vienna=(), written_words: bool = False):
    """(Figure, words read) of an image named on the command line (not stored), for `compare`.
    Without the images extra the figure is there, not read: the comparison says so."""
    from markwatch.images.refs import load_ref, parse_ref
    from markwatch.matching.comparisons.image import Figure

    if not ref:
        return (Figure(vienna=tuple(vienna)) if vienna else None), ()
    parsed = parse_ref(ref)
    data = load_ref(parsed, Path.cwd(), pictures._fetch if pictures.settings is not None else None)
    return figure_of_data(pictures, data, ref, region=parsed.region, views=views, vienna=vienna,
                          written_words=written_words)


def figure_of_data(pictures: Pictures, data: bytes, label: str, *, region: str = "", views: bool, vienna=(),
                   written_words: bool = False):
    """(Figure, words read) of an image's bytes (a file named on the command line, an upload)."""
    from markwatch.images.decode import open_picture
    from markwatch.matching.comparisons.image import Figure

    if len(data) > MAX_IMAGE_BYTES:
        raise RecordError(f"image of {len(data)} bytes, more than {MAX_IMAGE_BYTES} (图样文件过大)")
    picture = None
    if pictures.read_features:
        try:
            picture = pictures.reader.read(open_picture(data, region), label, views=views)
        except MissingExtra:
            picture = None
    words = tuple(picture.words) if picture is not None else ()
    return Figure(picture=picture, vienna=tuple(vienna), image=True,
                  words=bool(words) or written_words), words
