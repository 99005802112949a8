"""The comparisons a matcher combines, one module per kind of evidence (音, 形, 义, structure, Latin)."""
