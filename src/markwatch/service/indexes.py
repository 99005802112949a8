"""Index use cases: build the persistent indexes (or bring them up to date) and say how they stand."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from markwatch.model import Brand
from markwatch.scale.index_files import IndexProblem, read_manifest, write_lock
from markwatch.scale.picture_index import FORMAT as PICTURE_FORMAT
from markwatch.scale.picture_index import StoredPictureIndex
from markwatch.scale.register_index import RegisterIndex
from markwatch.scale.search_store import db_rows, ensure_register_index, register_state
from markwatch.scale.watch_index import WatchIndexStore, build_watch_index, ensure_watch_index
from markwatch.store.rows import brand_from_row
from markwatch.store.tables import BrandRow

if TYPE_CHECKING:
    from markwatch.service.facade import Service


def watched_brands(svc: Service) -> list[Brand]:
    """Every brand on every watchlist, in storage order (what the watchlist index is built from)."""
    with svc.db.session() as s:
        return [brand_from_row(r) for r in s.scalars(select(BrandRow).order_by(BrandRow.id))]


def build_indexes(svc: Service, *, register: bool = True, watchlist: bool = True, pictures: bool = True,
                  force: bool = False) -> dict:
    """Build the chosen indexes, or extend them when they are current but behind; one entry per index."""
    folder = svc.settings.index_dir
    report: dict = {}
    if register:
        started = time.perf_counter()
        notes: list[str] = []
        if force:
            with write_lock(folder / "register"):
                index = RegisterIndex.build(folder / "register", db_rows(svc.db), matcher=svc.matcher)
            notes.append("rebuilt (--force)")
        else:
            index = ensure_register_index(svc.db, svc.matcher, folder / "register", on_rebuild=notes.append)
        report["register"] = {"path": str(index.folder), "marks": index.rows, "max_id": index.max_id,
                              "segments": len(index.manifest["segments"]),
                              "disk_mb": round(index.disk_bytes() / 2**20, 2),
                              "seconds": round(time.perf_counter() - started, 2), "notes": notes}
    if watchlist:
        started = time.perf_counter()
        notes = []
        brands = watched_brands(svc)
        if force:
            idx, profiles = build_watch_index(brands, svc.matcher)
            WatchIndexStore(folder / "watchlist").save(idx, brands, profiles)
            notes.append("rebuilt (--force)")
        else:
            idx, profiles = ensure_watch_index(folder / "watchlist", brands, svc.matcher, on_rebuild=notes.append)
        report["watchlist"] = {"path": str(folder / "watchlist"), "brands": len(brands),
                               "keys": idx.key_count, "seconds": round(time.perf_counter() - started, 2),
                               "notes": notes}
    if pictures:
        report["pictures"] = svc.update_picture_indexes(force=force)
    return report


def index_status(svc: Service) -> dict:
    """Each index's manifest, and whether it is current, stale or corrupt."""
    folder = svc.settings.index_dir
    count, max_id = register_state(svc.db)
    rows: dict = {}
    try:
        RegisterIndex.open(folder / "register", expect_rows=count, expect_max_id=max_id)
        state = "current"
    except IndexProblem as exc:
        state = f"needs rebuilding or extending: {exc}"
    rows["register"] = {"state": state, "manifest": _manifest_or_none(folder / "register")}
    try:
        WatchIndexStore(folder / "watchlist").load(watched_brands(svc))
        state = "current"
    except IndexProblem as exc:
        state = f"needs rebuilding: {exc}"
    rows["watchlist"] = {"state": state, "manifest": _manifest_or_none(folder / "watchlist")}
    try:
        StoredPictureIndex.open(folder / "pictures")
        state = "current"
    except IndexProblem as exc:
        state = f"needs rebuilding: {exc}"
    rows["pictures"] = {"state": state, "manifest": _manifest_or_none(folder / "pictures", fmt=PICTURE_FORMAT)}
    return rows


def _manifest_or_none(folder: Path, fmt: int | None = None) -> dict | None:
    try:
        return read_manifest(folder) if fmt is None else read_manifest(folder, fmt=fmt)
    except IndexProblem:
        return None
