"""Gazette commands: ingest, quarantine, run, runs, and the demo job."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from markwatch.cli import common
from markwatch.cli.alerts import print_alerts
from markwatch.cli.common import app, err, errors, out, print_json, progress
from markwatch.service.alerts import AlertFilter

quarantine_app = typer.Typer(help="Records set aside at ingest, with their reasons.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")



# ---------------------------------------------------------------- ingest
@app.command()
def ingest(files: list[Path] = typer.Argument(..., help="Gazette files: JSONL, JSON (the gazette site's list "
                                                        "export), CSV, XLSX, ST.66, ST.96 or WIPO Madrid XML."),
           as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON.")) -> None:
    """Store gazette records; bad records go to quarantine with their reasons, records not watched
    (other announcement types) are counted as skipped; then the completeness of each issue read."""
    from markwatch.service.ingest import local_workers

    with errors():
        svc = common.service()
        with progress("ingest") as (p, task), _local_workers("local"):
            summaries = svc.ingest(files, progress=lambda n: p.advance(task, n), workers=local_workers())
        touched = sorted({i for s in summaries for i in s.issues})
        report = svc.issues(touched) if touched else []
    if as_json:
        print_json([{**s.as_dict(), "completeness": [r for r in report if r["issue"] in s.issues]}
                    for s in summaries])
    else:
        t = Table(title="ingest")
        for col in ("file", "format", "read", "stored", "duplicates", "quarantined", "skipped", "error"):
            t.add_column(col)
        for s in summaries:
            t.add_row(s.path, s.format, str(s.read), str(s.stored), str(s.duplicates), str(s.quarantined),
                      str(s.skipped), s.error or "")
        out.print(t)
        for s in summaries:
            for reason, n in s.skipped_reasons.items():
                out.print(f"{Path(s.path).name}: skipped {n} × {reason}", highlight=False)
            for note in s.notes:
                out.print(f"[yellow]{Path(s.path).name}: {note}[/yellow]", highlight=False)
            if s.images or s.image_errors:
                out.print(f"{Path(s.path).name}: {s.images} images stored, {s.images_read} pictures read",
                          highlight=False)
            for note in s.image_errors[:20]:
                out.print(f"[yellow]{Path(s.path).name}: stored without its image: {escape(note)}[/yellow]",
                          highlight=False)
        for r in report:
            colour = "green" if r["status"] == "complete" else "yellow"
            out.print(f"[{colour}]{r['summary']}[/{colour}]", highlight=False)
    if any(s.error for s in summaries):
        raise typer.Exit(1)


@app.command()
def issues(issue: list[str] = typer.Argument(None, help="Issue numbers; all issues if none."),
           as_json: bool = typer.Option(False, "--json")) -> None:
    """Completeness of each gazette issue: pages seen of the page count, marks stored, quarantined records,
    and the missing pages."""
    with errors():
        rows = common.service().issues(issue or None)
    if as_json:
        print_json(rows)
        return
    t = Table(title=f"gazette issues ({len(rows)})")
    for col in ("issue", "date", "marks", "pages", "quarantined", "missing pages", "status"):
        t.add_column(col)
    from markwatch.service.issues import show_ranges

    for r in rows:
        pages = f"{r['pages_seen']}/{r['page_count']}" if r["page_count"] else str(r["pages_seen"] or "")
        t.add_row(r["issue"], r["publication_date"] or "", str(r["marks"]), pages, str(r["quarantined"]),
                  show_ranges(r["missing_pages"]), r["status"])
    out.print(t)



# ---------------------------------------------------------------- run
@app.command()
def run(engine: str = typer.Option("local", help="local, or dask (needs markwatch[dask])."),
        scheduler: str | None = typer.Option(None, help="Dask scheduler address; a LocalCluster if absent."),
        as_json: bool = typer.Option(False, "--json")) -> None:
    """Match every gazette mark not yet matched against every watchlist; store new alerts."""
    with errors():
        svc = common.service()
        with progress("matching") as (p, task), _local_workers(engine):
            def show(done: int, total: int) -> None:
                p.update(task, completed=done, total=total)

            summary = svc.run(progress=show, engine=engine, scheduler_address=scheduler)
    if as_json:
        print_json(summary.as_dict())
    else:
        out.print(f"run {summary.run_id}: marks matched {summary.marks_matched}, pairs compared "
                  f"{summary.pairs_compared}, alerts new {summary.alerts_new} / total {summary.alerts_total}, "
                  f"kept dismissed {summary.alerts_suppressed}, {summary.seconds:.2f} s")


@contextmanager
def _local_workers(engine: str) -> Iterator[None]:
    """A command-line run or ingest has the machine: unless MARKWATCH_LOCAL_WORKERS says otherwise, the
    local engine screens, and ingest reads large JSON Lines files, on up to two of its cores (forked
    workers; a run of one partition, a file of a few thousand records stay in this process).
    MARKWATCH_LOCAL_WORKERS=1: one process. Set for this command only."""
    if engine != "local" or os.environ.get("MARKWATCH_LOCAL_WORKERS"):
        yield
        return
    from markwatch.scale.engines import default_local_workers

    os.environ["MARKWATCH_LOCAL_WORKERS"] = str(default_local_workers())
    try:
        yield
    finally:
        os.environ.pop("MARKWATCH_LOCAL_WORKERS", None)


@app.command()
def runs(limit: int = typer.Option(20, min=1), as_json: bool = typer.Option(False, "--json")) -> None:
    """Run history: started, finished, marks, alerts, errors."""
    with errors():
        svc = common.service()
        rows = svc.runs(limit)
        total = svc.counts()["runs"]
    if as_json:
        print_json(rows)
        return
    t = Table(title=f"runs (latest {len(rows)} of {total})" if total > len(rows) else f"runs ({len(rows)})")
    for col in ("id", "kind", "status", "started", "marks", "alerts new", "error"):
        t.add_column(col)
    for r in rows:
        t.add_row(str(r["id"]), r["kind"], r["status"], r["started_at"] or "", str(r["marks_matched"]),
                  str(r["alerts_new"]), (r["error"] or "")[:60])
    out.print(t)



# ---------------------------------------------------------------- quarantine
@quarantine_app.command("list")
def quarantine_list(all_: bool = typer.Option(False, "--all", help="Include resolved records."),
                    as_json: bool = typer.Option(False, "--json")) -> None:
    """Records set aside at ingest, with file, place and reason."""
    with errors():
        rows = common.service().quarantine(include_resolved=all_)
    if as_json:
        print_json(rows)
        return
    t = Table(title=f"quarantine ({len(rows)})")
    for col in ("id", "file", "place", "reason"):
        t.add_column(col)
    for r in rows:
        t.add_row(str(r["id"]), Path(r["path"]).name, r["locator"], r["reason"])
    out.print(t)


@quarantine_app.command("retry")
def quarantine_retry(ids: list[int] = typer.Argument(..., help="Quarantine ids."),
                     set_: list[str] = typer.Option([], "--set", help="field=value corrections, e.g. classes=30")
                     ) -> None:
    """Re-ingest quarantined records, optionally with corrected fields."""
    fixes: dict[int, dict] = {}
    for item in set_:
        if "=" not in item or not item.split("=", 1)[0].strip():
            raise typer.BadParameter(f"--set takes field=value, e.g. classes=30 (got {item!r})", param_hint="--set")
        k, v = item.split("=", 1)
        for i in ids:
            fixes.setdefault(i, {})[k.strip()] = v
    with errors():
        outcomes = common.service().retry_quarantine(ids, fixes)
    for qid, outcome in outcomes.items():
        out.print(f"{qid}: {outcome}")
    failed = [qid for qid, outcome in outcomes.items() if outcome not in ("stored", "duplicate")]
    if failed:
        err.print(f"{len(failed)} of {len(outcomes)} not re-ingested (see markwatch quarantine list)")
        raise typer.Exit(1)


@app.command()
def demo(data_dir: Path = typer.Option(Path("data/demo"), help="Sample gazette files."),
         watchlist_dir: Path = typer.Option(Path("watchlists"), help="Sample watchlists."),
         export_to: Path = typer.Option(Path("exports/alerts.xlsx"), help="Where the XLSX export goes.")) -> None:
    """The whole job on the shipped sample data: ingest, import watchlists, run, show and export alerts."""
    import shlex
    import time

    started = time.perf_counter()
    with errors():
        svc = common.service()
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
        page = svc.alerts_page(AlertFilter(limit=30))
        print_alerts(page["items"], page["total"])
        path, n = svc.export("xlsx", export_to)
        jsonl, _ = svc.export("jsonl", export_to.with_suffix(".jsonl"))
    out.print(f"exported {n} alerts to {path} and {jsonl}; database {svc.settings.database_url}; "
              f"total {time.perf_counter() - started:.1f} s")
    out.print("To see these alerts again with the other commands (markwatch alerts list, serve ...), set:")
    out.print(f"  export MARKWATCH_DATABASE_URL={shlex.quote(svc.settings.database_url)}", soft_wrap=True,
              highlight=False)
