"""Request dependencies: the service, and the organisation a call is made as (Bearer token).

They are ``async``: FastAPI runs a plain ``def`` dependency in a worker thread, and the hop there and
back costs more than these do. Only the token lookup touches the database, and it alone goes to a thread.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from markwatch.service.facade import Service
from markwatch.service.org_service import OrgService
from markwatch.service.orgs import Principal

bearer = HTTPBearer(auto_error=False, scheme_name="token",
                    description="An organisation's API token, from `markwatch org create` or `markwatch org token`.")

UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}
MISSING_TOKEN = "missing token: send the header Authorization: Bearer <token> (缺少令牌)"
INVALID_TOKEN = "invalid or revoked token (令牌无效)"
# request.state key under which the body guard (limits.py) leaves the principal it has authenticated
PRINCIPAL_STATE = "principal"


def service_of(request: Request) -> Service:
    return request.app.state.service


async def get_service(request: Request) -> Service:
    return service_of(request)


async def get_principal(request: Request, cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    checked = getattr(request.state, PRINCIPAL_STATE, None)
    if checked is not None:
        return checked
    if cred is None or not cred.credentials:
        raise HTTPException(401, MISSING_TOKEN, headers=UNAUTHORIZED)
    # one indexed lookup, in a worker thread so that the event loop is not held by the database
    principal = await anyio.to_thread.run_sync(service_of(request).authenticate, cred.credentials)
    if principal is None:
        raise HTTPException(401, INVALID_TOKEN, headers=UNAUTHORIZED)
    return principal


async def get_org(request: Request, principal: Principal = Depends(get_principal)) -> OrgService:
    return service_of(request).as_org(principal)
