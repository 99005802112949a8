"""`python -m markwatch` runs the command line."""

from markwatch.cli import main

main()
