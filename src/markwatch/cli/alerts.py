"""Alert commands: list and export early warnings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from markwatch.cli import common
from markwatch.cli.common import app, errors, out, print_json
from markwatch.service.alerts import AlertFilter

alerts_app = typer.Typer(help="Early warnings: list and export.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")



# ---------------------------------------------------------------- alerts
def _filter(watchlist, brand, severity, status, since, until, limit) -> AlertFilter:
    return AlertFilter(watchlist=watchlist, brand_id=brand, severity=severity, status=status,
                       since=date.fromisoformat(since) if since else None,
                       until=date.fromisoformat(until) if until else None, limit=limit)


@alerts_app.command("list")
def alerts_list(watchlist: str | None = None, brand: str | None = None, severity: str | None = None,
                status: str | None = None, since: str | None = None, until: str | None = None,
                limit: int = typer.Option(50), as_json: bool = typer.Option(False, "--json")) -> None:
    """Alerts sorted by opposition deadline."""
    with errors():
        rows = common.service().alerts(_filter(watchlist, brand, severity, status, since, until, limit))
    if as_json:
        print_json(rows)
        return
    print_alerts(rows)


def print_alerts(rows: list[dict]) -> None:
    t = Table(title=f"alerts ({len(rows)})")
    for col in ("deadline", "severity", "score", "brand", "new mark", "application no", "classes", "reasons"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["opposition_deadline"] or "", r["severity"], f"{r['score']:.2f}", r["brand"], r["mark"],
                  r["application_no"], ",".join(map(str, r["classes"])),
                  r["reasons"][0]["detail"] if r["reasons"] else "")
    out.print(t)


@alerts_app.command("export")
def alerts_export(fmt: str = typer.Option("xlsx", "--format", help="jsonl, csv or xlsx"),
                  out_path: Path = typer.Option(..., "--out", help="File to write."),
                  watchlist: str | None = None, brand: str | None = None, severity: str | None = None,
                  status: str | None = None, since: str | None = None, until: str | None = None) -> None:
    """Write alerts to a JSONL, CSV or XLSX file (Chinese column headers)."""
    with errors():
        path, n = common.service().export(fmt, out_path, _filter(watchlist, brand, severity, status, since, until, None))
    out.print(f"exported {n} alerts to {path}")


@alerts_app.command("pack")
def alerts_pack(alert_id: int = typer.Argument(..., help="Alert id (预警编号)."),
                fmt: str = typer.Option("docx", "--format", help="docx or pdf"),
                out_path: Path | None = typer.Option(None, "--out", help="File to write (default: in export_dir).")) -> None:
    """Write the opposition pack (异议材料) of an alert: the opposed mark as published, the opponent, the
    deadline, a grounds outline, an evidence index."""
    with errors():
        path = common.service().pack(alert_id, fmt, out_path)
    out.print(f"wrote the opposition pack of alert {alert_id} to {path}", highlight=False)


@alerts_app.command("stats")
def alerts_stats(organisation: str | None = typer.Option(None, "--organisation", help="Only this organisation's "
                                                         "watchlists (owned and subscribed); default all."),
                 out_path: Path | None = typer.Option(None, "--out", help="Write an XLSX workbook."),
                 since: str | None = None, until: str | None = None,
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Station statistics (统计分析): alerts by brand, region, class, week and month, with review outcomes."""
    from markwatch.service.statistics import write_statistics_xlsx

    with errors():
        stats = common.service().statistics(organisation, _filter(None, None, None, None, since, until, None))
        if out_path:
            write_statistics_xlsx(stats, out_path)
    if as_json:
        print_json(stats)
        return
    t = stats["totals"]
    out.print(f"{stats['organisation']}: {t['total']} alerts, opposition filed {t['opposition_filed']}, "
              f"dismissed {t['dismissed']}, open {t['new'] + t['reviewing']}", highlight=False)
    for r in stats["by_region"][:10]:
        out.print(f"  {r['province']} {r['city']}: {r['total']}", highlight=False)
    if out_path:
        out.print(f"wrote {out_path}", highlight=False)
