"""The `markwatch` command. Every command is thin: it parses options, calls the service, prints."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator, List, Optional

import typer
from sqlalchemy.exc import OperationalError
from rich.console import Console
from rich.table import Table

from markwatch.alerts import AlertFilter
from markwatch.errors import DatabaseBusy, MarkwatchError

app = typer.Typer(help="markwatch: watch Chinese trademark gazettes for marks that copy watched brands.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
watchlist_app = typer.Typer(help="Watchlists of brands to protect.", no_args_is_help=True)
alerts_app = typer.Typer(help="Early warnings: list and export.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Records set aside at ingest, with their reasons.", no_args_is_help=True)
app.add_typer(watchlist_app, name="watchlist")
app.add_typer(alerts_app, name="alerts")
app.add_typer(quarantine_app, name="quarantine")

out = Console()
if not out.is_terminal:  # piped or in CI: wide enough for Chinese text and reasons
    out = Console(width=160)
err = Console(stderr=True)


def _service():
    from markwatch.service import Service

    return Service()


def _classes(text: Optional[str]) -> list[int]:
    if not text:
        return []
    try:
        return [int(x) for x in text.replace("，", ",").split(",") if x.strip()]
    except ValueError:
        raise typer.BadParameter(f"classes must be numbers separated by commas, e.g. 30,32 (got {text!r})")


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except MarkwatchError as exc:
        from rich.markup import escape

        # Escaped: messages name extras such as markwatch[dask], which rich would read as markup.
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2)
    except OperationalError as exc:  # the database stayed locked or went away: say so, no traceback
        from rich.markup import escape

        err.print(f"[red]error:[/red] {escape(str(DatabaseBusy(str(exc.orig))))}")
        raise typer.Exit(2)


@contextmanager
def _progress(description: str, total: int | None = None):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as p:
        task = p.add_task(description, total=total)
        yield p, task


# ---------------------------------------------------------------- ingest
@app.command()
def ingest(files: List[Path] = typer.Argument(..., help="Gazette files: JSONL, CSV, XLSX, ST.66 or ST.96 XML."),
           as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON.")) -> None:
    """Store gazette records; bad records go to quarantine with their reasons."""
    with _errors():
        svc = _service()
        with _progress("ingest") as (p, task):
            summaries = svc.ingest(files, progress=lambda n: p.advance(task, n))
    if as_json:
        _print_json([s.as_dict() for s in summaries])
    else:
        t = Table(title="ingest")
        for col in ("file", "format", "read", "stored", "duplicates", "quarantined", "error"):
            t.add_column(col)
        for s in summaries:
            t.add_row(s.path, s.format, str(s.read), str(s.stored), str(s.duplicates), str(s.quarantined),
                      s.error or "")
        out.print(t)
    if any(s.error for s in summaries):
        raise typer.Exit(1)


# ---------------------------------------------------------------- watchlists
@watchlist_app.command("import")
def watchlist_import(files: List[Path] = typer.Argument(..., help="YAML, JSONL, CSV or XLSX watchlist files."),
                     as_json: bool = typer.Option(False, "--json")) -> None:
    """Create or update watchlists, their brands and subscribers."""
    with _errors():
        summary = _service().import_watchlists(files)
    if as_json:
        _print_json(summary.as_dict())
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
    from markwatch.watchlists import list_watchlists

    with _errors():
        rows = list_watchlists(_service().db)
    if as_json:
        _print_json(rows)
        return
    t = Table(title="watchlists")
    for col in ("id", "watchlist", "organisation", "brands", "subscribers"):
        t.add_column(col)
    for r in rows:
        t.add_row(str(r["id"]), r["name"], r["organisation"], str(r["brands"]), str(len(r["subscribers"])))
    out.print(t)


# ---------------------------------------------------------------- run
@app.command()
def run(engine: str = typer.Option("local", help="local, or dask (needs markwatch[dask])."),
        scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address; a LocalCluster if absent."),
        as_json: bool = typer.Option(False, "--json")) -> None:
    """Match every gazette mark not yet matched against every watchlist; store new alerts."""
    with _errors():
        svc = _service()
        with _progress("matching") as (p, task):
            def show(done: int, total: int) -> None:
                p.update(task, completed=done, total=total)

            summary = svc.run(progress=show, engine=engine, scheduler_address=scheduler)
    if as_json:
        _print_json(summary.as_dict())
    else:
        out.print(f"run {summary.run_id}: marks matched {summary.marks_matched}, pairs compared "
                  f"{summary.pairs_compared}, alerts new {summary.alerts_new} / total {summary.alerts_total}, "
                  f"{summary.seconds:.2f} s")


@app.command()
def runs(limit: int = typer.Option(20), as_json: bool = typer.Option(False, "--json")) -> None:
    """Run history: started, finished, marks, alerts, errors."""
    with _errors():
        rows = _service().runs(limit)
    if as_json:
        _print_json(rows)
        return
    t = Table(title="runs")
    for col in ("id", "kind", "status", "started", "marks", "alerts new", "error"):
        t.add_column(col)
    for r in rows:
        t.add_row(str(r["id"]), r["kind"], r["status"], r["started_at"] or "", str(r["marks_matched"]),
                  str(r["alerts_new"]), (r["error"] or "")[:60])
    out.print(t)


# ---------------------------------------------------------------- compare and search
@app.command()
def compare(brand: str, candidate: str,
            brand_classes: Optional[str] = typer.Option(None, help="e.g. 30,32"),
            candidate_classes: Optional[str] = typer.Option(None, help="e.g. 30"),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """Compare a brand with a candidate mark, as an examiner would: sound, look, meaning, goods."""
    with _errors():
        match = _service().compare(brand, candidate, brand_classes=_classes(brand_classes),
                                   candidate_classes=_classes(candidate_classes))
    if as_json:
        _print_json(match.as_dict())
        return
    verdict = "近似 similar" if match.similar else "不近似 not similar"
    out.print(f"{brand} / {candidate}: score {match.score:.3f} — {verdict}"
              + (f" ({match.severity})" if match.severity else ""))
    for r in match.reasons:
        out.print(f"  [{r.kind}] {r.detail}  ({r.detail_en})")


@app.command()
def search(mark: str, classes: Optional[str] = typer.Option(None, help="e.g. 30,32"),
           top: int = typer.Option(10, help="How many results."),
           as_json: bool = typer.Option(False, "--json")) -> None:
    """Clearance search: the stored marks most similar to MARK (in the register index as it is)."""
    with _errors():
        answer = _service().search(mark, classes=_classes(classes), top=top)
    if as_json:
        _print_json(answer)
        return
    results = answer["results"]
    t = Table(title=f"search {mark}")
    for col in ("score", "mark", "application no", "classes", "reasons"):
        t.add_column(col)
    for r in results:
        t.add_row(f"{r['score']:.3f}", r["mark"], r["application_no"], ",".join(map(str, r["classes"])),
                  "；".join(x["detail"] for x in r["reasons"][:3]))
    out.print(t)
    if answer["marks_not_indexed"]:
        out.print(f"index of {answer['index_marks']} marks, updated {answer['index_updated_at']}: "
                  f"{answer['marks_not_indexed']} newer marks not searched (markwatch index build)")


# ---------------------------------------------------------------- alerts
def _filter(watchlist, brand, severity, status, since, until, limit) -> AlertFilter:
    return AlertFilter(watchlist=watchlist, brand_id=brand, severity=severity, status=status,
                       since=date.fromisoformat(since) if since else None,
                       until=date.fromisoformat(until) if until else None, limit=limit)


@alerts_app.command("list")
def alerts_list(watchlist: Optional[str] = None, brand: Optional[str] = None, severity: Optional[str] = None,
                status: Optional[str] = None, since: Optional[str] = None, until: Optional[str] = None,
                limit: int = typer.Option(50), as_json: bool = typer.Option(False, "--json")) -> None:
    """Alerts sorted by opposition deadline."""
    with _errors():
        rows = _service().alerts(_filter(watchlist, brand, severity, status, since, until, limit))
    if as_json:
        _print_json(rows)
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
                  watchlist: Optional[str] = None, brand: Optional[str] = None, severity: Optional[str] = None,
                  status: Optional[str] = None, since: Optional[str] = None, until: Optional[str] = None) -> None:
    """Write alerts to a JSONL, CSV or XLSX file (Chinese column headers)."""
    with _errors():
        path, n = _service().export(fmt, out_path, _filter(watchlist, brand, severity, status, since, until, None))
    out.print(f"exported {n} alerts to {path}")


# ---------------------------------------------------------------- quarantine
@quarantine_app.command("list")
def quarantine_list(all_: bool = typer.Option(False, "--all", help="Include resolved records."),
                    as_json: bool = typer.Option(False, "--json")) -> None:
    """Records set aside at ingest, with file, place and reason."""
    with _errors():
        rows = _service().quarantine(include_resolved=all_)
    if as_json:
        _print_json(rows)
        return
    t = Table(title=f"quarantine ({len(rows)})")
    for col in ("id", "file", "place", "reason"):
        t.add_column(col)
    for r in rows:
        t.add_row(str(r["id"]), Path(r["path"]).name, r["locator"], r["reason"])
    out.print(t)


@quarantine_app.command("retry")
def quarantine_retry(ids: List[int] = typer.Argument(..., help="Quarantine ids."),
                     set_: List[str] = typer.Option([], "--set", help="field=value corrections, e.g. classes=30")
                     ) -> None:
    """Re-ingest quarantined records, optionally with corrected fields."""
    fixes: dict[int, dict] = {}
    for item in set_:
        if "=" not in item:
            raise typer.BadParameter(f"--set takes field=value (got {item!r})")
        k, v = item.split("=", 1)
        for i in ids:
            fixes.setdefault(i, {})[k.strip()] = v
    with _errors():
        outcomes = _service().retry_quarantine(ids, fixes)
    for qid, outcome in outcomes.items():
        out.print(f"{qid}: {outcome}")


# ---------------------------------------------------------------- eval and demo
@app.command("eval")
def eval_(pairs: Path, as_json: bool = typer.Option(False, "--json"),
          min_precision: Optional[float] = typer.Option(None, help="Exit 1 when headline precision is lower."),
          min_recall: Optional[float] = typer.Option(None, help="Exit 1 when recall is lower.")) -> None:
    """Precision and recall of the matcher on labelled pairs."""
    from markwatch.evaluation import evaluate_file, format_report

    with _errors():
        report = evaluate_file(_service().matcher, pairs)
    if as_json:
        _print_json(report)
    else:
        out.print(format_report(report))
    head = report["headline"]
    if (min_precision is not None and head["precision"] < min_precision) or (
            min_recall is not None and head["recall"] < min_recall):
        err.print(f"[red]quality below the floor[/red]: precision {head['precision']:.3f}, recall {head['recall']:.3f}")
        raise typer.Exit(1)


@app.command()
def demo(data_dir: Path = typer.Option(Path("data/demo"), help="Sample gazette files."),
         watchlist_dir: Path = typer.Option(Path("watchlists"), help="Sample watchlists."),
         export_to: Path = typer.Option(Path("exports/alerts.xlsx"), help="Where the XLSX export goes.")) -> None:
    """The whole job on the shipped sample data: ingest, import watchlists, run, show and export alerts."""
    import time

    started = time.perf_counter()
    with _errors():
        svc = _service()
        gazettes = sorted(p for p in data_dir.iterdir() if p.suffix in (".jsonl", ".csv", ".xlsx", ".xml")
                          and not p.name.startswith("planted"))
        summaries = svc.ingest(gazettes)
        for s in summaries:
            out.print(f"ingest {s.path}: read {s.read}, stored {s.stored}, duplicates {s.duplicates}, "
                      f"quarantined {s.quarantined}" + (f", error {s.error}" if s.error else ""))
        wl = svc.import_watchlists(sorted(watchlist_dir.glob("*.y*ml")))
        out.print(f"watchlists: {wl.watchlists}, brands new {wl.brands_new}, updated {wl.brands_updated}, "
                  f"unchanged {wl.brands_unchanged}")
        summary = svc.run()
        out.print(f"run {summary.run_id}: marks matched {summary.marks_matched}, pairs compared "
                  f"{summary.pairs_compared}, alerts new {summary.alerts_new} / total {summary.alerts_total}, "
                  f"{summary.seconds:.2f} s")
        rows = svc.alerts(AlertFilter(limit=30))
        print_alerts(rows)
        path, n = svc.export("xlsx", export_to)
        jsonl, _ = svc.export("jsonl", export_to.with_suffix(".jsonl"))
    out.print(f"exported {n} alerts to {path} and {jsonl}; database {svc.settings.database_url}; "
              f"total {time.perf_counter() - started:.1f} s")


# Commands that live with their own part of the system register themselves on `app`.
from markwatch import cli_scale, cli_service  # noqa: E402,F401


def main() -> None:  # pragma: no cover
    app()

