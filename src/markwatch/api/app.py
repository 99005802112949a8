"""The FastAPI application: ``create_app(service)`` builds it around one Service (built once)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from markwatch import __version__
from markwatch.api.throttle import ToolLimits
from markwatch.errors import (
    ConfigError,
    Conflict,
    FileFormatError,
    Forbidden,
    MarkwatchError,
    NotFound,
    RecordError,
    Unavailable,
)
from markwatch.service.facade import Service

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)

# most specific first: the first class the error is an instance of decides the status
_STATUS: tuple[tuple[type[MarkwatchError], int], ...] = (
    (NotFound, 404), (Forbidden, 403), (Conflict, 409), (RecordError, 422), (FileFormatError, 400),
    (ConfigError, 500), (Unavailable, 503), (MarkwatchError, 400),
)


def create_app(service: Service | None = None, *, warm_up: bool = False) -> FastAPI:
    """The app around one Service. With `warm_up`, the matcher (dictionaries, goods table, lexicon) and the
    register index are loaded before the first request is taken, so no caller pays for them."""
    from markwatch.api.routers import alerts, calendar, subscriptions, tools, watchlists

    svc = service or Service()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            await asyncio.to_thread(_warm, svc)
            # The tables the warm-up loaded live as long as the process: out of the cyclic collector's
            # walks, which would otherwise go over all of them again during requests.
            gc.collect()
            gc.freeze()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="markwatch API",
        version=__version__,
        description="Watch Chinese trademark gazettes (初步审定公告) for marks that copy watched brands. "
                    "Every call is made as an organisation: send `Authorization: Bearer <token>`.",
        openapi_url="/openapi.json",
        # the interactive docs pages load their scripts from a CDN; markwatch serves nothing from elsewhere
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = svc
    app.state.tool_limits = ToolLimits.from_settings(app.state.service.settings)

    @app.exception_handler(MarkwatchError)
    def markwatch_error(_: Request, exc: MarkwatchError) -> JSONResponse:
        status = next(code for cls, code in _STATUS if isinstance(exc, cls))
        return JSONResponse({"detail": str(exc)}, status_code=status)

    from markwatch.api.limits import BodyGuard

    # outermost: bodies are refused (no token, too large) before any parsing reads them
    app.add_middleware(BodyGuard, service=app.state.service, prefix=API_PREFIX)

    for r in (watchlists.router, subscriptions.router, alerts.router, tools.router, calendar.router):
        app.include_router(r, prefix=API_PREFIX)

    from markwatch.web import mount_web

    mount_web(app)
    return app


def _warm(svc: Service) -> None:
    _ = svc.matcher
    try:
        svc.search("康师傅", top=1)
    except Exception as exc:  # a warm-up only works ahead of time: the request itself will say what is wrong
        log.warning("warm-up search skipped: %s", exc)


def serving_app() -> FastAPI:
    """The app `markwatch serve` runs in each worker process: settings from the environment, warmed up."""
    return create_app(Service(), warm_up=True)
