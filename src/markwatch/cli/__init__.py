"""The `markwatch` command (console script ``markwatch.cli:app``). Every command is thin: it parses
options, calls the service, prints. Each module registers its commands on the one ``app``."""

from markwatch.cli import alerts, gazette, holidays, indexes, service, tools, watchlists, words  # noqa: F401  (registers the commands)
from markwatch.cli.common import app


def main() -> None:
    """The `markwatch` console script and `python -m markwatch`: the command, then `exit.leave`."""
    from markwatch.cli.exit import leave

    try:
        app(prog_name="markwatch")
    except SystemExit as done:
        leave(done.code)
    leave(0)


__all__ = ["app", "main"]
