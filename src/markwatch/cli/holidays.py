"""Holiday arrangement commands: load the State Council's arrangement for a year, list what is loaded."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from markwatch.cli import common
from markwatch.cli.common import app, err, errors, out, print_json

holidays_app = typer.Typer(help="Official holidays (节假日安排) for years chinese_calendar does not cover.",
                           no_args_is_help=True)
app.add_typer(holidays_app, name="holidays")


@holidays_app.command("load")
def holidays_load(files: list[Path] = typer.Argument(..., help="TOML or JSON files, one year each."),
                  as_json: bool = typer.Option(False, "--json")) -> None:
    """Validate and load a year's holidays and make-up working days; the deadlines of stored alerts are
    computed again with them."""
    with errors():
        results = [common.service().load_holidays(f) for f in files]
    if as_json:
        print_json(results)
        return
    for r in results:
        out.print(f"{r['year']}: {r['status']}, {r['holidays']} holidays, {r['workdays']} make-up working days"
                  f"{' (' + r['source'] + ')' if r['source'] else ''}; alerts updated {r['alerts_updated']}",
                  highlight=False)
        for w in r["warnings"]:
            err.print(f"[yellow]warning[/yellow] {r['year']}: {w}", highlight=False)


@holidays_app.command("list")
def holidays_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """The years loaded, and how many alerts still have a deadline computed on weekends only."""
    with errors():
        svc = common.service()
        rows = svc.holiday_years()
        pending = svc.weekends_only_alerts()
    if as_json:
        print_json({"years": rows, "alerts_weekends_only": pending})
        return
    t = Table(title="holiday arrangements")
    for col in ("year", "holidays", "working days", "source", "loaded"):
        t.add_column(col)
    for r in rows:
        t.add_row(str(r["year"]), str(r["holidays"]), str(r["workdays"]), r["source"] or "", r["loaded_at"] or "")
    out.print(t)
    out.print(f"alerts with a deadline computed on weekends only (周末顺延，未含节假日): {pending}", highlight=False)
