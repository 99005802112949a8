"""JSON answers made in the endpoint's own worker thread.

An endpoint that returns a dict has FastAPI validate it against its response model in one more worker
thread hop and then serialise it. The hot endpoints (compare, search, the alert list) return dicts of
plain JSON values that need no validation, so they answer with the bytes at once: the same bytes
(pydantic-core's JSON encoder, as FastAPI uses), and the route keeps ``response_model=dict``, so the
OpenAPI document is unchanged.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response
from pydantic_core import to_json


def json_response(content: Any) -> Response:
    return Response(content=to_json(content), media_type="application/json")
