"""Request bodies: authenticated before they are read, and capped in size while they stream in.

FastAPI parses the body (JSON, multipart spooled to disk) before it resolves ``get_principal``, and
neither Starlette nor uvicorn limits its size. This pure ASGI middleware runs first: a request with a
body under the API prefix is answered 401 unless its token is valid, without one byte of the body
having been received, and any body is answered 413 once ``Content-Length`` or the bytes received so
far pass the route's limit (chunked bodies have no ``Content-Length``).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import anyio.to_thread

from markwatch.api.deps import INVALID_TOKEN, MISSING_TOKEN, PRINCIPAL_STATE

if TYPE_CHECKING:  # pragma: no cover
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from markwatch.service.facade import Service

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# the brand import takes a whole table (20 MiB, see routers/watchlists.py) and the search by image a
# picture (20 MiB, routers/tools.py), each plus its multipart framing
IMPORT_PATH = re.compile(r"(/watchlists/[^/]+/brands/import|/search/image)/?$")


class BodyGuard:
    def __init__(self, app: ASGIApp, service: Service, prefix: str) -> None:
        self.app, self.service, self.prefix = app, service, prefix

    def limit_for(self, path: str) -> int:
        settings = self.service.settings
        if path.startswith(self.prefix) and IMPORT_PATH.search(path):
            return settings.max_import_bytes
        return settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        has_body = (scope.get("method") in BODY_METHODS or b"content-length" in headers
                    or b"transfer-encoding" in headers)
        if has_body and path.startswith(self.prefix):
            principal = await self._principal(headers.get(b"authorization"))
            if principal is None:
                detail = INVALID_TOKEN if headers.get(b"authorization") else MISSING_TOKEN
                await _answer(send, 401, detail, [(b"www-authenticate", b"Bearer")])
                return
            # get_principal takes it from here instead of looking the token up a second time; a new
            # state dict, so that nothing shared between requests could ever carry it over
            scope = {**scope, "state": {**scope.get("state", {}), PRINCIPAL_STATE: principal}}

        limit = self.limit_for(path)
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await _answer(send, 400, "bad Content-Length header")
                return
            if too_big:
                await _answer(send, 413, _too_large(limit))
                return

        received = 0
        started = False  # the app has begun its answer: too late for ours
        answered = False  # we sent the 413: whatever the app sends afterwards is dropped

        async def counted_receive() -> Message:
            nonlocal received, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    answered = True
                    if not started:
                        await _answer(send, 413, _too_large(limit))
                    # the app sees the client gone, stops reading and its own answer goes nowhere
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not answered:
                raise

    async def _principal(self, header: bytes | None):
        if not header:
            return None
        scheme, _, token = header.decode("latin-1").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        # a single indexed lookup, in a worker thread so that the event loop is not held by the database
        return await anyio.to_thread.run_sync(self.service.authenticate, token)


def _too_large(limit: int) -> str:
    return f"request body larger than {limit} bytes (请求体过大)"


async def _answer(send: Send, status: int, detail: str, headers: list | None = None) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
