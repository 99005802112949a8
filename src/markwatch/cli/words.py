"""Word commands: how common each word is among the stored marks.

    markwatch words build [--out FILE] [--json]

Writes the counts to FILE or to the setting `word_counts_path` (MARKWATCH_WORD_COUNTS_PATH); the
matcher reads that setting at start-up, so a word found in very many marks weighs little when shared.
"""

from __future__ import annotations

from pathlib import Path

import typer

from markwatch.cli import common
from markwatch.cli.common import app, errors, out, print_json

words_app = typer.Typer(help="Word counts of the stored marks (distinctiveness of a shared word).",
                        no_args_is_help=True)
app.add_typer(words_app, name="words")


@words_app.command("build")
def words_build(out_path: Path | None = typer.Option(None, "--out", dir_okay=False,
                                                     help="Where to write (default: the word_counts_path setting)."),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """Count in how many stored marks each word of 2 to 4 characters occurs, and write the counts."""
    from markwatch.service.words import build_word_counts

    with errors():
        report = build_word_counts(common.service(), out_path)
    if as_json:
        print_json(report)
        return
    out.print(f"{report['marks']} marks counted, {report['words']} words kept (in {report['min_count']} marks "
              f"or more), {report['frequent']} frequent, at {report['path']} ({report['seconds']:.2f} s)")
    if report["top"]:
        out.print("most frequent: " + "、".join(f"{t['word']} {t['marks']}" for t in report["top"]))
