"""Request dependencies: the service, and the organisation a call is made as (Bearer token)."""

from __future__ import annotations

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


def get_service(request: Request) -> Service:
    return request.app.state.service


def get_principal(request: Request, cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    checked = getattr(request.state, PRINCIPAL_STATE, None)
    if checked is not None:
        return checked
    if cred is None or not cred.credentials:
        raise HTTPException(401, MISSING_TOKEN, headers=UNAUTHORIZED)
    principal = get_service(request).authenticate(cred.credentials)
    if principal is None:
        raise HTTPException(401, INVALID_TOKEN, headers=UNAUTHORIZED)
    return principal


def get_org(request: Request, principal: Principal = Depends(get_principal)) -> OrgService:
    return get_service(request).as_org(principal)
