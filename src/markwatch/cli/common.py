"""What every `markwatch` command shares: the app, the consoles, the service, error handling.

Commands call ``common.service()`` (looked up at call time, so tests can hand in their own service).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from markwatch.errors import DatabaseBusy, MarkwatchError

app = typer.Typer(help="markwatch: watch Chinese trademark gazettes for marks that copy watched brands.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


def _version(value: bool) -> None:
    if value:
        from markwatch import __version__

        sys.stdout.write(f"markwatch {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """markwatch: watch Chinese trademark gazettes for marks that copy watched brands."""

out = Console()
if not out.is_terminal:  # piped or in CI: wide enough for Chinese text and reasons
    out = Console(width=160)
err = Console(stderr=True)


def service():
    from markwatch.service.facade import Service

    return Service()


def parse_classes(text: str | None) -> list[int]:
    if not text:
        return []
    try:
        return [int(x) for x in text.replace("，", ",").split(",") if x.strip()]
    except ValueError:
        raise typer.BadParameter(f"classes must be numbers separated by commas, e.g. 30,32 (got {text!r})") from None


def parse_day(text: str | None, option: str):
    """A date in any form ingest accepts (2026-10-20, 2026/10/20, 2026年10月20日, 20261020)."""
    if text is None or not text.strip():
        return None
    from markwatch.errors import RecordError
    from markwatch.sources.fields import parse_date

    try:
        return parse_date(text, option)
    except RecordError:
        raise typer.BadParameter(f"{text!r} is not a date; write it as 2026-10-20, 2026/10/20 or 2026年10月20日",
                                 param_hint=option) from None


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def errors() -> Iterator[None]:
    try:
        yield
    except MarkwatchError as exc:
        from rich.markup import escape

        # Escaped: messages name extras such as markwatch[dask], which rich would read as markup.
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except OperationalError as exc:  # the database stayed locked or went away: say so, no traceback
        from rich.markup import escape

        err.print(f"[red]error:[/red] {escape(str(DatabaseBusy(str(exc.orig))))}")
        raise typer.Exit(2) from None
    except OSError as exc:  # a file named on the command line is missing, a folder, or not readable
        from rich.markup import escape

        name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        err.print(f"[red]error:[/red] cannot use{escape(name)}: {escape(exc.strerror or str(exc))}")
        raise typer.Exit(2) from None
    except UnicodeDecodeError as exc:
        err.print(f"[red]error:[/red] the file is not UTF-8 text ({exc.reason})")
        raise typer.Exit(2) from None


@contextmanager
def progress(description: str, total: int | None = None):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as p:
        task = p.add_task(description, total=total)
        yield p, task
