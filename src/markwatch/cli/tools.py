"""Examiner tools: compare two marks, clearance search, evaluation on labelled pairs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from markwatch.cli import common
from markwatch.cli.common import app, err, errors, out, parse_classes, print_json


# ---------------------------------------------------------------- compare and search
@app.command()
def compare(brand: str, candidate: str = typer.Argument("", help="The candidate's words; \"\" for a figurative mark."),
            brand_classes: str | None = typer.Option(None, help="e.g. 30,32"),
            candidate_classes: str | None = typer.Option(None, help="e.g. 30"),
            brand_image: str | None = typer.Option(None, help="The brand's logo: a file, a URL or page.pdf#page=N&box=x0,y0,x1,y1."),
            candidate_image: str | None = typer.Option(None, help="The candidate's image (its words are read too)."),
            brand_vienna: str | None = typer.Option(None, help="The brand's Vienna codes, e.g. 3.7.1,26.1.1"),
            candidate_vienna: str | None = typer.Option(None, help="The candidate's Vienna codes."),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """Compare a brand with a candidate mark, as an examiner would: sound, look, meaning, pictures, goods."""
    with errors():
        match = common.service().compare(brand, candidate, brand_classes=parse_classes(brand_classes),
                                         candidate_classes=parse_classes(candidate_classes),
                                         brand_image=brand_image, candidate_image=candidate_image,
                                         brand_vienna=_codes(brand_vienna), candidate_vienna=_codes(candidate_vienna))
    if as_json:
        print_json(match.as_dict())
        return
    verdict = "近似 similar" if match.similar else "不近似 not similar"
    out.print(f"{brand} / {candidate}: score {match.score:.3f} — {verdict}"
              + (f" ({match.severity})" if match.severity else ""))
    for r in match.reasons:
        out.print(f"  [{r.kind}] {r.detail}  ({r.detail_en})")


def _codes(text: str | None) -> list[str]:
    return [c for c in (text or "").replace("，", ",").replace(";", ",").split(",") if c.strip()]


@app.command()
def search(mark: str = typer.Argument("", help="The mark's words (\"\" with --image alone)."),
           classes: str | None = typer.Option(None, help="e.g. 30,32"),
           top: int = typer.Option(10, min=1, max=100, help="How many results (1-100)."),
           image: str | None = typer.Option(None, help="Search by image: the stored marks whose pictures are nearest."),
           as_json: bool = typer.Option(False, "--json")) -> None:
    """Clearance search: the stored marks most similar to MARK (in the register index as it is), or to an image."""
    if image:
        with errors():
            answer = common.service().search_image(image, mark=mark, classes=parse_classes(classes), top=top)
        if as_json:
            print_json(answer)
            return
        if answer.get("not_compared"):
            out.print(f"{answer['not_compared']} ({answer['not_compared_en']})")
            return
        t = Table(title=f"search by image {image}")
        for col in ("score", "picture", "mark", "application no", "reasons"):
            t.add_column(col)
        for r in answer["results"]:
            t.add_row(f"{r['score']:.3f}", f"{r['similarity']:.2f}", r["mark"], r["application_no"],
                      "；".join(x["detail"] for x in r["reasons"][:3]))
        out.print(t)
        out.print(f"picture index of {answer['index_pictures']} pictures, updated {answer['index_updated_at']}"
                  + (f": {answer['pictures_not_indexed']} newer pictured marks not searched (markwatch index build)"
                     if answer["pictures_not_indexed"] else ""))
        return
    with errors():
        answer = common.service().search(mark, classes=parse_classes(classes), top=top)
    if as_json:
        print_json(answer)
        return
    results = answer["results"]
    t = Table(title=f"search {mark}")
    for col in ("score", "mark", "found in", "application no", "classes", "reasons"):
        t.add_column(col)
    for r in results:
        t.add_row(f"{r['score']:.3f}", r["mark"], r["found_in"], r["application_no"], ",".join(map(str, r["classes"])),
                  "；".join(x["detail"] for x in r["reasons"][:3]))
    out.print(t)
    if answer["marks_not_indexed"]:
        out.print(f"index of {answer['index_marks']} marks, updated {answer['index_updated_at']}: "
                  f"{answer['marks_not_indexed']} newer marks not searched (markwatch index build)")



# ---------------------------------------------------------------- eval and demo
@app.command("eval")
def eval_(pairs: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                        help="Labelled pairs, one JSON object a line."),
          as_json: bool = typer.Option(False, "--json"),
          min_precision: float | None = typer.Option(None, help="Exit 1 when headline precision is lower."),
          min_recall: float | None = typer.Option(None, help="Exit 1 when recall is lower."),
          combination: str | None = typer.Option(
              None, help="How findings combine: rules or learned (default: the combination setting).")) -> None:
    """Precision and recall of the matcher on labelled pairs."""
    from dataclasses import replace

    from markwatch.matching.combination import combination_named
    from markwatch.matching.evaluation import evaluate_file, format_report

    with errors():
        matcher = common.service().matcher
        if combination is not None:
            matcher = replace(matcher, combination=combination_named(combination))
        report = evaluate_file(matcher, pairs)
    if as_json:
        print_json(report)
    else:
        out.print(format_report(report))
    head = report["headline"]
    if (min_precision is not None and head["precision"] < min_precision) or (
            min_recall is not None and head["recall"] < min_recall):
        err.print(f"[red]quality below the floor[/red]: precision {head['precision']:.3f}, recall {head['recall']:.3f}")
        raise typer.Exit(1)
