"""Commands of the cli_service part, registered on markwatch.cli.app."""
