"""The deadline calendar feed (iCalendar), with its own token for calendar programs."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from markwatch.api.deps import INVALID_TOKEN, MISSING_TOKEN, UNAUTHORIZED, bearer, get_org, service_of
from markwatch.service.org_service import OrgService
from markwatch.service.orgs import Principal

router = APIRouter(prefix="/calendar", tags=["calendar"])
FEED_PATH = "/api/v1/calendar/deadlines.ics"


def feed_principal(request: Request, token: str | None = Query(None, description="The calendar feed token"),
                   cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    """The calendar token in the URL (what calendar programs can send), or the API token as a header."""
    service = service_of(request)
    if token:
        principal = service.authenticate_calendar(token)
        if principal is None:
            raise HTTPException(401, "invalid or revoked calendar token (日历令牌无效)", headers=UNAUTHORIZED)
        return principal
    if cred is None or not cred.credentials:
        raise HTTPException(401, MISSING_TOKEN + "; calendar programs use ?token=<calendar token>",
                            headers=UNAUTHORIZED)
    principal = service.authenticate(cred.credentials)
    if principal is None:
        raise HTTPException(401, INVALID_TOKEN, headers=UNAUTHORIZED)
    return principal


@router.get("/deadlines.ics", summary="The organisation's opposition deadlines as an iCalendar feed",
            description="One all-day event per open alert (new, reviewing) on its deadline, with reminders. "
                        "Subscribe with `?token=<calendar token>` (from POST /calendar/token), or send the API "
                        "token as a Bearer header.", response_class=Response)
def feed(request: Request, principal: Principal = Depends(feed_principal)) -> Response:
    body = service_of(request).as_org(principal).calendar()
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="markwatch-deadlines.ics"',
                             "Cache-Control": "private, max-age=300"})


@router.post("/token", summary="Issue the calendar feed token (the previous one stops working)")
def issue_token(request: Request, org: OrgService = Depends(get_org)) -> dict:
    token = org.calendar_token()
    url = str(request.base_url).rstrip("/") + FEED_PATH + f"?token={token}"
    return {"token": token, "url": url}


@router.delete("/token", status_code=204, summary="Revoke the calendar feed token")
def revoke_token(org: OrgService = Depends(get_org)) -> Response:
    org.calendar_token(revoke=True)
    return Response(status_code=204)
