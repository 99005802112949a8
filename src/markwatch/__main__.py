"""`python -m markwatch` runs the command line."""

from markwatch.cli import app

app(prog_name="markwatch")
