"""The HTTP API (FastAPI) under /api/v1, and the clerk's web page at /."""

from markwatch.api.app import create_app

__all__ = ["create_app"]
