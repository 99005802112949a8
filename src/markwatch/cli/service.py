"""Commands of the service: organisations and tokens, serve, schedule, pull, deliver.

Every command calls the service.
"""

from __future__ import annotations

import logging

import typer
from rich.table import Table

from markwatch.cli import common
from markwatch.cli.common import app, err, errors, out, print_json

org_app = typer.Typer(help="Organisations (指导站, 协会, admin) and their API tokens.", no_args_is_help=True)
app.add_typer(org_app, name="org")


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


# ---------------------------------------------------------------- organisations
_EXPIRES_HELP = "The token stops working after this many days (default: it does not expire)."


@org_app.command("create")
def org_create(name: str = typer.Argument(..., help="Organisation name, e.g. 杭州市商标品牌指导站"),
               kind: str = typer.Option("station", help="station, association or admin"),
               expires_days: int | None = typer.Option(None, "--expires-days", help=_EXPIRES_HELP),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Create an organisation and print its API token (shown once; only a hash is stored)."""
    with errors():
        org, token = common.service().create_org(name, kind, expires_days)
    if as_json:
        print_json({**org, "token": token})
        return
    err.print(f"created {org['kind']} {org['name']!r} (id {org['id']}). Its API token, shown only now:")
    out.print(token, soft_wrap=True, highlight=False)


@org_app.command("list")
def org_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Organisations, their kinds and whether they have a token."""
    with errors():
        rows = common.service().orgs()
    if as_json:
        print_json(rows)
        return
    t = Table(title="organisations")
    for col in ("id", "name", "kind", "token", "token expires", "created"):
        t.add_column(col)
    for r in rows:
        t.add_row(str(r["id"]), r["name"], r["kind"], "yes" if r["has_token"] else "no",
                  (r["token_expires_at"] or "never") if r["has_token"] else "", r["created_at"] or "")
    out.print(t)


@org_app.command("token")
def org_token(name: str = typer.Argument(..., help="Organisation name"),
              expires_days: int | None = typer.Option(None, "--expires-days", help=_EXPIRES_HELP)) -> None:
    """Issue a new token for an organisation (the old one stops working) and print it once."""
    with errors():
        token = common.service().rotate_token(name, expires_days)
    until = f", valid for {expires_days} days" if expires_days is not None else ""
    err.print(f"new API token for {name!r}{until}; the previous token no longer works:")
    out.print(token, soft_wrap=True, highlight=False)


@org_app.command("calendar-token")
def org_calendar_token(name: str = typer.Argument(..., help="Organisation name"),
                       base_url: str = typer.Option("http://127.0.0.1:8000", help="Where markwatch serve is reached.")
                       ) -> None:
    """Issue the organisation's deadline calendar token and print the feed URL to subscribe to (the old
    token stops working)."""
    from markwatch.api.routers.calendar import FEED_PATH

    with errors():
        token = common.service().calendar_token(name)
    err.print(f"calendar feed of {name!r}; subscribe to this URL in Outlook or on a phone (shown only now):")
    out.print(f"{base_url.rstrip('/')}{FEED_PATH}?token={token}", soft_wrap=True, highlight=False)


@org_app.command("revoke")
def org_revoke(name: str = typer.Argument(..., help="Organisation name")) -> None:
    """Cut off an organisation's token at once (e.g. when it leaked); `org token` issues a new one."""
    with errors():
        had = common.service().revoke_token(name)
    err.print(f"the API token of {name!r} is revoked" if had else f"{name!r} had no token; nothing to revoke")


# ---------------------------------------------------------------- serve, schedule, pull, deliver
@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="Port."),
          log_level: str = typer.Option("info"),
          workers: int = typer.Option(1, min=1, max=32,
                                      help="Worker processes, each with its own matcher (about 0.5 GB each); "
                                           "compare and search run in parallel across them.")) -> None:
    """Serve the HTTP API (/api/v1, /openapi.json) and the clerk's web page (/)."""
    import uvicorn

    from markwatch.api.app import create_app

    with errors():
        svc = common.service()
        _startup_checks(svc, log=False)
        _ = svc.db  # open and migrate the database once, before any worker takes requests
        if workers == 1:
            uvicorn.run(create_app(svc, warm_up=True), host=host, port=port, log_level=log_level,
                        proxy_headers=True)
        else:
            # each worker builds its app from the same environment (settings are read from MARKWATCH_*)
            uvicorn.run("markwatch.api.app:serving_app", factory=True, workers=workers, host=host, port=port,
                        log_level=log_level, proxy_headers=True)


@app.command()
def schedule(once: bool = typer.Option(False, "--once", help="Run one guarded cycle now and exit (for cron/tests)."),
             verbose: bool = typer.Option(False, "-v", "--verbose"),
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Run the nightly job (pull sources, run, deliver) at settings.schedule_cron in settings.timezone."""
    _logging(verbose)
    with errors():
        svc = common.service()
        _startup_checks(svc, log=True)
        if once:
            result = svc.cycle(kind="scheduled")
            if as_json:
                print_json(result.as_dict())
            else:
                _print_cycle(result)
            if result.status in ("failed", "partial"):
                raise typer.Exit(1)
            return
        from markwatch.scheduler import serve_forever

        err.print(f"scheduler: cron {svc.settings.schedule_cron!r} in {svc.settings.timezone}; database "
                  f"{_redact(svc.settings.database_url)}; Ctrl-C to stop")
        serve_forever(svc)


def _startup_checks(svc, *, log: bool) -> None:
    """Settings that work but are unsafe are reported as errors when serve and schedule start (invalid
    ones were refused when the settings were read): into the log of `schedule`, on the standard error
    of `serve` (uvicorn has not set up its log yet)."""
    from rich.markup import escape

    for problem in svc.settings.startup_problems():
        if log:
            logging.getLogger("markwatch").error("settings: %s", problem)
        else:
            err.print(f"[red]error:[/red] settings: {escape(problem)}", highlight=False)


def _print_cycle(result) -> None:
    if result.status == "skipped":
        err.print(f"[yellow]skipped[/yellow]: another run holds the lease ({result.holder})")
        return
    pull = result.pull or {}
    run = result.run or {}
    delivery = result.delivery or {}
    out.print(f"cycle {result.status}: run {result.run_id}; files {len(pull.get('files', []))}, marks ingested "
              f"{pull.get('marks_ingested', 0)}, not modified {pull.get('not_modified', 0)}; alerts new "
              f"{run.get('alerts_new', 0)}; webhooks sent {delivery.get('webhooks_sent', 0)}, e-mails sent "
              f"{delivery.get('emails_sent', 0)}")
    if result.error:
        err.print(f"[red]error:[/red] {result.error}")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(database)"


@app.command()
def pull(as_json: bool = typer.Option(False, "--json")) -> None:
    """Take new gazette files from the drop folder and the source URLs once, and ingest them."""
    with errors():
        summary = common.service().pull()
    if as_json:
        print_json(summary.as_dict())
    else:
        t = Table(title="pull")
        for col in ("source", "file", "stored", "duplicates", "quarantined", "error"):
            t.add_column(col)
        for f in summary.files:
            t.add_row(f.source, f.item, str(f.stored), str(f.duplicates), str(f.quarantined), f.error or "")
        out.print(t)
        out.print(f"files {len(summary.files)}, marks ingested {summary.marks_ingested}, not modified "
                  f"{summary.not_modified}")
        for e in summary.errors:
            err.print(f"[red]error:[/red] {e}")
    if summary.errors:
        raise typer.Exit(1)


@app.command()
def deliver(retry_failed: bool = typer.Option(False, "--retry-failed",
                                              help="First put the messages marked failed back in the queue "
                                                   "(attempts reset, due now)."),
            subscription: int | None = typer.Option(None, "--subscription",
                                                    help="With --retry-failed: only this subscription's messages."),
            alert: int | None = typer.Option(None, "--alert", help="With --retry-failed: only this alert's messages."),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """One delivery pass now: queue new alerts for subscribers and send what is due (webhooks, then
    e-mail digests). Exit code 1 when a message could not be sent (it is retried after its backoff)."""
    from rich.markup import escape

    if (subscription is not None or alert is not None) and not retry_failed:
        err.print("[red]error:[/red] --subscription and --alert go with --retry-failed")
        raise typer.Exit(2)
    with errors():
        summary = common.service().deliver(retry_failed=retry_failed, subscription_id=subscription, alert_id=alert)
    if as_json:
        print_json(summary.as_dict())
    elif summary.skipped:
        err.print("[yellow]skipped[/yellow]: another delivery pass is running"
                  + ("; nothing was requeued, try again" if retry_failed else ""))
    else:
        if retry_failed:
            out.print(f"requeued {len(summary.requeued)} failed message(s)")
            for r in summary.requeued:
                out.print(f"  outbox {r['id']}: alert {r['alert_id']}, subscription {r['subscription_id']}, "
                          f"{r['channel']}, {r['attempts']} attempts; last error: {escape(r['last_error'] or '')}",
                          highlight=False)
        out.print(f"queued {summary.queued}; webhooks sent {summary.webhooks_sent}, failed attempts "
                  f"{summary.webhook_failures}; e-mails sent {summary.emails_sent} ({summary.email_alerts} alerts), "
                  f"failed {summary.email_failures}; gave up {summary.gave_up}; waiting {summary.waiting}")
        if summary.confirmations_sent or summary.awaiting_confirmation:
            out.print(f"address confirmations sent {summary.confirmations_sent}; e-mails awaiting their "
                      f"address's confirmation {summary.awaiting_confirmation}")
        for e in summary.errors:
            err.print(f"[yellow]not delivered:[/yellow] {escape(e)}", highlight=False)
    if summary.webhook_failures or summary.email_failures:
        raise typer.Exit(1)
