"""The station clerk's page (商标品牌指导站工作台), served at / by the API app.

One Jinja2 template and a little vanilla JavaScript that calls /api/v1 with the organisation's token
(kept in sessionStorage for the browser tab). Everything is served from here: no CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
CSP = ("default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")


def _secured(resp: HTMLResponse) -> HTMLResponse:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def mount_web(app: FastAPI) -> None:
    from markwatch.service.email_addresses import CONFIRM_PATH

    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> HTMLResponse:
        return _secured(templates.TemplateResponse(request, "index.html", {"api": "/api/v1"}))

    # The link of the address confirmation e-mail (service/email_addresses.py). Opening it only shows a
    # button: mail scanners fetch links, and a fetch must not confirm anything. No token is needed:
    # the link's own token is the proof that the address received it.
    @app.get(CONFIRM_PATH, response_class=HTMLResponse, include_in_schema=False)
    def confirm_page(request: Request, token: str = "") -> HTMLResponse:
        return _secured(templates.TemplateResponse(request, "confirm_email.html",
                                                   {"token": token, "done": None, "path": CONFIRM_PATH}))

    @app.post(CONFIRM_PATH, response_class=HTMLResponse, include_in_schema=False)
    async def confirm_address(request: Request) -> HTMLResponse:
        from urllib.parse import parse_qs

        import anyio.to_thread

        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0]
        done = await anyio.to_thread.run_sync(request.app.state.service.confirm_email, token)
        resp = templates.TemplateResponse(request, "confirm_email.html",
                                          {"token": "", "done": done or False, "path": CONFIRM_PATH},
                                          status_code=200 if done else 404)
        return _secured(resp)
