"""Screening at scale: execution engines (local processes, Dask), the persistent register and
watchlist indexes, and clearance search over the register."""
