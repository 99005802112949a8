"""Commands of the cli_scale part, registered on markwatch.cli.app."""
