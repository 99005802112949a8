"""Commands of the cli_scale part, registered on markwatch.cli.app: persistent indexes.

    markwatch index build [--register/--no-register] [--watchlist/--no-watchlist] [--force] [--json]
    markwatch index status [--json]

`markwatch run --engine dask [--scheduler ADDRESS]` and `markwatch search` are defined in cli.py and
reach the engines and the register index through the service.
"""

from __future__ import annotations

import time

import typer
from rich.table import Table

from markwatch.cli import _errors, _print_json, _service, app, err, out

index_app = typer.Typer(help="Persistent indexes (register and watchlist) under settings.index_dir.",
                        no_args_is_help=True)
app.add_typer(index_app, name="index")


def _watch_brands(svc):
    from sqlalchemy import select

    from markwatch.store.tables import BrandRow
    from markwatch.watch import brand_from_row

    with svc.db.session() as s:
        return [brand_from_row(r) for r in s.scalars(select(BrandRow).order_by(BrandRow.id))]


@index_app.command("build")
def index_build(register: bool = typer.Option(True, "--register/--no-register", help="The stored-marks index."),
                watchlist: bool = typer.Option(True, "--watchlist/--no-watchlist", help="The brands' index."),
                force: bool = typer.Option(False, "--force", help="Rebuild even when the index is current."),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """Build (or bring up to date) the register and watchlist indexes, with their manifests."""
    from markwatch.index_files import write_lock
    from markwatch.register_index import RegisterIndex
    from markwatch.watch_index import WatchIndexStore, build_watch_index, ensure_watch_index
    from markwatch.search_store import db_rows, ensure_register_index

    report: dict = {}
    with _errors():
        svc = _service()
        folder = svc.settings.index_dir
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
            brands = _watch_brands(svc)
            if force:
                idx, profiles = build_watch_index(brands, svc.matcher)
                WatchIndexStore(folder / "watchlist").save(idx, brands, profiles)
                notes.append("rebuilt (--force)")
            else:
                idx, profiles = ensure_watch_index(folder / "watchlist", brands, svc.matcher, on_rebuild=notes.append)
            report["watchlist"] = {"path": str(folder / "watchlist"), "brands": len(brands),
                                   "keys": idx.key_count, "seconds": round(time.perf_counter() - started, 2),
                                   "notes": notes}
    if as_json:
        _print_json(report)
        return
    for name, r in report.items():
        count = f"{r['marks']} marks" if name == "register" else f"{r['brands']} brands, {r['keys']} keys"
        out.print(f"{name}: {count} at {r['path']} ({r['seconds']:.2f} s)")
        for note in r["notes"]:
            err.print(f"  [yellow]{note}[/yellow]")


@index_app.command("status")
def index_status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Each index's manifest, and whether it is current, stale or corrupt."""
    from markwatch.index_files import IndexProblem, read_manifest
    from markwatch.register_index import RegisterIndex
    from markwatch.watch_index import WatchIndexStore
    from markwatch.search_store import register_state

    rows: dict = {}
    with _errors():
        svc = _service()
        folder = svc.settings.index_dir
        count, max_id = register_state(svc.db)
        try:
            RegisterIndex.open(folder / "register", expect_rows=count, expect_max_id=max_id)
            state = "current"
        except IndexProblem as exc:
            state = f"needs rebuilding or extending: {exc}"
        rows["register"] = {"state": state, "manifest": _manifest_or_none(read_manifest, folder / "register")}
        try:
            WatchIndexStore(folder / "watchlist").load(_watch_brands(svc))
            state = "current"
        except IndexProblem as exc:
            state = f"needs rebuilding: {exc}"
        rows["watchlist"] = {"state": state, "manifest": _manifest_or_none(read_manifest, folder / "watchlist")}
    if as_json:
        _print_json(rows)
        return
    t = Table(title=f"indexes in {folder}")
    for col in ("index", "state", "rows", "max id", "normaliser", "built"):
        t.add_column(col)
    for name, r in rows.items():
        m = r["manifest"] or {}
        t.add_row(name, r["state"], str(m.get("rows", "")), str(m.get("max_id", "")),
                  str(m.get("normaliser_version", "")), str(m.get("built_at", "")))
    out.print(t)


def _manifest_or_none(read, folder):
    from markwatch.index_files import IndexProblem

    try:
        return read(folder)
    except IndexProblem:
        return None
