"""Watchlist commands: import files, list what is watched."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from markwatch.cli import common
from markwatch.cli.common import app, err, errors, out, print_json

watchlist_app = typer.Typer(help="Watchlists of brands to protect.", no_args_is_help=True)
app.add_typer(watchlist_app, name="watchlist")



# ---------------------------------------------------------------- watchlists
@watchlist_app.command("import")
def watchlist_import(files: list[Path] = typer.Argument(..., help="YAML, JSONL, CSV or XLSX watchlist files."),
                     as_json: bool = typer.Option(False, "--json")) -> None:
    """Create or update watchlists, their brands and subscribers."""
    with errors():
        summary = common.service().import_watchlists(files)
    if as_json:
        print_json(summary.as_dict())
    else:
        out.print(f"watchlists: {summary.watchlists}  brands new: {summary.brands_new}  updated: "
                  f"{summary.brands_updated}  unchanged: {summary.brands_unchanged}  subscriptions: "
                  f"{summary.subscriptions}")
        for e in summary.errors:
            err.print(f"[yellow]skipped[/yellow] {e}")
    if summary.errors:
        raise typer.Exit(1)


@watchlist_app.command("list")
def watchlist_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Watchlists with their owners and brand counts."""
    from markwatch.service.orgs import OPERATOR
    from markwatch.service.tenancy import list_watchlists

    with errors():
        with common.service().db.session() as s:
            rows = list_watchlists(s, OPERATOR)
    if as_json:
        print_json(rows)
        return
    t = Table(title="watchlists")
    for col in ("id", "watchlist", "organisation", "brands", "subscribers"):
        t.add_column(col)
    for r in rows:
        t.add_row(str(r["id"]), r["name"], r["organisation"], str(r["brands"]), str(r["subscribers"]))
    out.print(t)


@watchlist_app.command("import-list")
def watchlist_import_list(file: Path = typer.Argument(..., help="The list as XLSX, CSV or TSV (商标, 注册号, 类别, 权利人)."),
                          organisation: str = typer.Option(..., "--organisation", help="Owner of the watchlist."),
                          watchlist: str | None = typer.Option(None, help="Watchlist name (default: the list's name)."),
                          list_name: str | None = typer.Option(None, "--list-name",
                                                               help="名录名称 (default: the title row or file name)."),
                          year: int | None = typer.Option(None, help="名录年度 (default: from the name)."),
                          kind: str = typer.Option("station", help="station, association or admin, for a new owner."),
                          as_json: bool = typer.Option(False, "--json")) -> None:
    """Import a key-trademark protection list (重点商标保护名录) into a watchlist: one key brand per
    registration, with the list's name and year."""
    with errors():
        summary = common.service().import_protection_list(file, organisation=organisation, watchlist=watchlist,
                                                          list_name=list_name, year=year, organisation_kind=kind)
    if as_json:
        print_json(summary)
    else:
        out.print(f"{summary['list_name']} ({summary['year'] or 'year unknown'}) → watchlist {summary['watchlist']!r}: "
                  f"brands new {summary['brands_new']}, updated {summary['brands_updated']}, unchanged "
                  f"{summary['brands_unchanged']}", highlight=False)
        for e in summary["errors"]:
            err.print(f"[yellow]skipped[/yellow] {e}", highlight=False)
    if summary["errors"]:
        raise typer.Exit(1)
