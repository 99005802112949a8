"""Index commands: build and inspect the persistent indexes.

    markwatch index build [--register/--no-register] [--watchlist/--no-watchlist] [--force] [--json]
    markwatch index status [--json]

`markwatch run --engine dask [--scheduler ADDRESS]` (cli.gazette) and `markwatch search` (cli.tools)
reach the engines and the register index through the service.
"""

from __future__ import annotations

import typer
from rich.table import Table

from markwatch.cli import common
from markwatch.cli.common import app, err, errors, out, print_json

index_app = typer.Typer(help="Persistent indexes (register and watchlist) under settings.index_dir.",
                        no_args_is_help=True)
app.add_typer(index_app, name="index")


@index_app.command("build")
def index_build(register: bool = typer.Option(True, "--register/--no-register", help="The stored-marks index."),
                watchlist: bool = typer.Option(True, "--watchlist/--no-watchlist", help="The brands' index."),
                pictures: bool = typer.Option(True, "--pictures/--no-pictures",
                                              help="The stored marks' pictures and the words read in them."),
                force: bool = typer.Option(False, "--force", help="Rebuild even when the index is current."),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """Build (or bring up to date) the register, watchlist and picture indexes, with their manifests."""
    from markwatch.service.indexes import build_indexes

    with errors():
        svc = common.service()
        report = build_indexes(svc, register=register, watchlist=watchlist, pictures=pictures, force=force)
    if as_json:
        print_json(report)
        return
    for name, r in report.items():
        count = (f"{r['marks']} marks" if name == "register"
                 else f"{r['marks']} marks, {r['pictures']} pictures, {r['words_rows']} lines of words"
                 if name == "pictures" else f"{r['brands']} brands, {r['keys']} keys")
        out.print(f"{name}: {count} at {r['path']} ({r['seconds']:.2f} s)")
        for note in r["notes"]:
            err.print(f"  [yellow]{note}[/yellow]")


@index_app.command("status")
def index_status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Each index's manifest, and whether it is current, stale or corrupt."""
    from markwatch.service.indexes import index_status as status_of

    with errors():
        svc = common.service()
        folder = svc.settings.index_dir
        rows = status_of(svc)
    if as_json:
        print_json(rows)
        return
    t = Table(title=f"indexes in {folder}")
    for col in ("index", "state", "rows", "max id", "normaliser", "built"):
        t.add_column(col)
    for name, r in rows.items():
        m = r["manifest"] or {}
        t.add_row(name, r["state"], str(m.get("rows", m.get("marks", ""))), str(m.get("max_id", "")),
                  str(m.get("normaliser_version", "")), str(m.get("built_at", "")))
    out.print(t)
